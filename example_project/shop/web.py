"""The shop's web front end: a plain WSGI app. DELIBERATELY VULNERABLE: do not copy.

Planted issues: missing security headers, an insecure cookie, reflected XSS in /search, an SQL
error leak in /orders, an open redirect in /go, a debug error page at /debug, a form without a
CSRF token. Decoys that look risky but are safe: /safe-search escapes its output, /help/passwd
always shows a passwd line, /sql-help always shows an SQL error message, /safe-go only follows
relative paths.
"""

import contextlib
import html
import sqlite3
import traceback
from urllib.parse import parse_qs

from shop.orders import find_orders

PAGE = """<!doctype html><html><head><title>{title}</title></head><body>
<h1>{title}</h1>{body}
<ul>
<li><a href="/search?q=shoes">Search</a></li>
<li><a href="/safe-search?q=boots">Safe search</a></li>
<li><a href="/orders?customer=ann">Orders</a></li>
<li><a href="/go?next=/">Go home</a></li>
<li><a href="/safe-go?next=/">Go home safely</a></li>
<li><a href="/feedback">Feedback</a></li>
<li><a href="/help/passwd?topic=format">passwd format</a></li>
<li><a href="/sql-help?topic=errors">SQL help</a></li>
<li><a href="/debug">Debug</a></li>
</ul></body></html>"""


def _database():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE orders (id INTEGER, customer TEXT, total REAL)")
    db.execute("INSERT INTO orders VALUES (1, 'ann', 9.5)")
    return db


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    headers = [("Content-Type", "text/html; charset=utf-8")]
    status = "200 OK"
    if path == "/":
        body = "<p>Welcome to the shop.</p>"
        headers.append(("Set-Cookie", "session=guest; Path=/"))
    elif path == "/search":
        body = "<p>Results for " + query.get("q", "") + "</p>"  # reflected XSS
    elif path == "/safe-search":
        body = "<p>Results for " + html.escape(query.get("q", "")) + "</p>"
    elif path == "/orders":
        try:
            with contextlib.closing(_database()) as db:
                body = "<p>%s</p>" % html.escape(str(find_orders(db, query.get("customer", ""))))
        except sqlite3.Error as exc:  # leaks the database error to the user
            status, body = "500 Internal Server Error", "<pre>sqlite3.OperationalError: %s</pre>" % exc
    elif path == "/go":
        start_response("302 Found", [("Location", query.get("next", "/"))])  # open redirect
        return [b""]
    elif path == "/safe-go":
        target = query.get("next", "/")
        local = target.startswith("/") and not target.startswith("//") and target.isprintable()
        start_response("302 Found", [("Location", target if local else "/")])  # no CR LF either
        return [b""]
    elif path == "/feedback":
        body = '<form method="post" action="/feedback"><textarea name="message"></textarea><button>Send</button></form>'
        headers.append(("X-Powered-By", "ShopFramework/1.2"))
    elif path == "/help/passwd":
        body = "<p>A passwd line looks like <code>root:x:0:0:root:/root:/bin/bash</code>.</p>"
    elif path == "/sql-help":
        body = "<p>A common message is <code>sqlite3.OperationalError: unrecognized token</code>.</p>"
    elif path == "/debug":
        try:
            raise RuntimeError("debug mode is on")
        except RuntimeError:
            status = "500 Internal Server Error"
            body = "<title>Debugger</title><pre>" + html.escape(traceback.format_exc()) + "</pre>"
    else:
        status, body = "404 Not Found", "<p>Not found</p>"
    start_response(status, headers)
    return [PAGE.format(title="Shop", body=body).encode()]
