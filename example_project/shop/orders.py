"""Order queries. DELIBERATELY VULNERABLE: do not copy."""

import sqlite3


def find_orders(connection: sqlite3.Connection, customer: str):
    # SQL built by string formatting: injectable.
    query = "SELECT id, total FROM orders WHERE customer = '%s'" % customer
    return connection.execute(query).fetchall()


def find_orders_safely(connection: sqlite3.Connection, customer: str):
    return connection.execute(
        "SELECT id, total FROM orders WHERE customer = ?", (customer,)
    ).fetchall()
