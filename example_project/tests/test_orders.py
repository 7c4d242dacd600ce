import sqlite3
from contextlib import closing

from shop.orders import find_orders, find_orders_safely


def make_db():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE orders (id INTEGER, customer TEXT, total REAL)")
    db.execute("INSERT INTO orders VALUES (1, 'ann', 9.5)")
    return db


def test_find_orders():
    with closing(make_db()) as db:
        assert find_orders(db, "ann") == [(1, 9.5)]


def test_find_orders_safely():
    with closing(make_db()) as db:
        assert find_orders_safely(db, "ann") == [(1, 9.5)]
