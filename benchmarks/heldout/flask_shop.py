"""Held-out benchmark app 1: a Flask shop with Jinja templates, a login form, a session cookie and
CSRF tokens; every page of interest is behind the login. Deliberately vulnerable (see README)."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import threading
from typing import Any

from flask import Flask, abort, redirect, render_template, request, session, url_for
from jinja2 import DictLoader
from markupsafe import Markup

USER, PASSWORD = "clerk", "tr0ub4dor"
FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")

TEMPLATES = {
    "base.html": """<!doctype html><html><head><title>{% block title %}Shop{% endblock %}</title>
</head><body><nav>{% if session.user %}<a href="{{ url_for('home') }}">home</a>
<a href="{{ url_for('logout') }}">log out</a>{% endif %}</nav>
<main>{% block main %}{% endblock %}</main></body></html>""",
    "login.html": """{% extends "base.html" %}{% block main %}<h1>Sign in</h1>
{% if error %}<p class="err">{{ error }}</p>{% endif %}
<form method="post" action="{{ url_for('login') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label>User <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button>Sign in</button>
{% endblock %}""",
    "home.html": """{% extends "base.html" %}{% block main %}<h1>Welcome {{ session.user }}</h1>
<ul>
{% for prefix in ("", "/safe") %}
<li><a href="{{ prefix }}/products?cat=2">products</a>
<a href="{{ prefix }}/search?q=lamp">search</a>
<a href="{{ prefix }}/orders?id=1">orders</a>
<a href="{{ prefix }}/hello?name=clerk">hello</a>
<a href="{{ prefix }}/banner?color=red">banner</a>
<a href="{{ prefix }}/track?ref=home">track</a>
<a href="{{ prefix }}/reviews">reviews</a>
<a href="{{ prefix }}/continue?next=/home">continue</a>
<a href="{{ prefix }}/preview?name=clerk">preview</a>
<a href="{{ prefix }}/manual?page=intro.txt">manual</a>
<a href="{{ prefix }}/stock">stock check</a>
<a href="{{ prefix }}/coupon?code=WELCOME">coupon</a>
<a href="{{ prefix }}/notify">notify</a></li>
{% endfor %}
</ul>{% endblock %}""",
    "list.html": """{% extends "base.html" %}{% block main %}<h2>{{ heading }}</h2>
<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>{% if error %}<pre class="db">{{ error }}</pre>{% endif %}{% endblock %}""",
    "hello.html": """{% extends "base.html" %}{% block main %}<p>Hello {{ name }}</p>
{% endblock %}""",
    "banner.html": """{% extends "base.html" %}{% block main %}
<div class="banner" style="color: {{ color }}">Sale!</div>{% endblock %}""",
    "track.html": """{% extends "base.html" %}{% block main %}<script>
var ref = '{{ ref }}';
console.log("came from " + ref);
</script><p>tracked</p>{% endblock %}""",
    "reviews.html": """{% extends "base.html" %}{% block main %}<h2>Reviews</h2>
{% for text in reviews %}<blockquote>{{ text }}</blockquote>{% endfor %}
<form method="post" action="{{ request.path }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<textarea name="review"></textarea><input name="stars" value="5"><button>Post</button>
</form>{% endblock %}""",
    "stock.html": """{% extends "base.html" %}{% block main %}<form method="post">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input name="sku" value="A-100"><button>Check</button></form><pre>{{ output }}</pre>
{% endblock %}""",
    "text.html": """{% extends "base.html" %}{% block main %}<pre>{{ text }}</pre>{% endblock %}""",
    "notify.html": """{% extends "base.html" %}{% block main %}<form method="get">
<input name="email" value="clerk@shop.test"><button>Notify me</button></form><p>{{ note }}</p>
{% endblock %}""",
}


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.executescript(
        """CREATE TABLE products (id INTEGER, cat INTEGER, name TEXT, price REAL);
        INSERT INTO products VALUES (1, 1, 'desk lamp', 19.5), (2, 2, 'chair', 45),
            (3, 2, 'stool', 12), (4, 3, 'lamp shade', 7);
        CREATE TABLE orders (id INTEGER, item TEXT, total REAL);
        INSERT INTO orders VALUES (1, 'chair', 45), (2, 'stool', 12);
        CREATE TABLE coupons (code TEXT, percent INTEGER);
        INSERT INTO coupons VALUES ('WELCOME', 10);"""
    )
    return db


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(16)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    db = _db()
    lock = threading.Lock()  # one connection, many request threads
    reviews: list[str] = []
    safe_reviews: list[str] = []

    def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with lock:
            return db.execute(sql, params).fetchall()

    def csrf() -> str:
        token = secrets.token_hex(12)
        session["csrf"] = token
        return token

    @app.before_request
    def guard() -> Any:
        if request.endpoint in ("login", "static"):
            return None
        if not session.get("user"):
            return redirect(url_for("login"))
        if request.method == "POST" and request.form.get("csrf_token") != session.get("csrf"):
            abort(403)
        return None

    @app.route("/", methods=["GET"])
    def root() -> Any:
        return redirect(url_for("home"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = ""
        if request.method == "POST":
            if request.form.get("csrf_token") != session.get("csrf"):
                abort(403)
            if request.form.get("username") == USER and request.form.get("password") == PASSWORD:
                session["user"] = USER
                return redirect(url_for("home"))
            error = "wrong user or password"
        return render_template("login.html", csrf=csrf(), error=error)

    @app.route("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.route("/home")
    def home() -> Any:
        return render_template("home.html")

    # 1. numeric SQL injection, error shown
    @app.route("/products")
    def products() -> Any:
        cat = request.args.get("cat", "1")
        try:
            rows = query(f"SELECT name, price FROM products WHERE cat = {cat}")  # noqa: S608
        except sqlite3.Error as exc:
            return render_template("list.html", heading="Products", rows=[], error=repr(exc))
        return render_template("list.html", heading="Products", rows=rows)

    @app.route("/safe/products")
    def safe_products() -> Any:
        cat = request.args.get("cat", "1")
        rows = query("SELECT name, price FROM products WHERE cat = ?", (cat,))
        return render_template("list.html", heading="Products", rows=rows)

    # 2. string SQL injection in LIKE, error shown
    @app.route("/search")
    def search() -> Any:
        q = request.args.get("q", "")
        try:
            rows = query(f"SELECT name FROM products WHERE name LIKE '%{q}%'")  # noqa: S608
        except sqlite3.Error as exc:
            return render_template("list.html", heading="Search", rows=[], error=str(exc))
        return render_template("list.html", heading=f"Search: {q}", rows=rows)

    @app.route("/safe/search")
    def safe_search() -> Any:
        q = request.args.get("q", "")
        rows = query("SELECT name FROM products WHERE name LIKE ?", (f"%{q}%",))
        return render_template("list.html", heading=f"Search: {q}", rows=rows)

    # 3. boolean-blind numeric SQL injection: errors are swallowed
    @app.route("/orders")
    def orders() -> Any:
        try:
            rows = query(
                f"SELECT id, item, total FROM orders WHERE id = {request.args.get('id', '1')}"  # noqa: S608
            )
        except sqlite3.Error:
            rows = []
        return render_template("list.html", heading="Order", rows=rows)

    @app.route("/safe/orders")
    def safe_orders() -> Any:
        ident = request.args.get("id", "1")
        rows = query("SELECT id, item, total FROM orders WHERE id = ?", (ident,))
        return render_template("list.html", heading="Order", rows=rows)

    # 4. reflected XSS in an element (|safe through Markup)
    @app.route("/hello")
    def hello() -> Any:
        return render_template("hello.html", name=Markup(request.args.get("name", "")))  # noqa: S704

    @app.route("/safe/hello")
    def safe_hello() -> Any:
        return render_template("hello.html", name=request.args.get("name", ""))

    # 5. reflected XSS in a double-quoted attribute
    @app.route("/banner")
    def banner() -> Any:
        return render_template("banner.html", color=Markup(request.args.get("color", "")))  # noqa: S704

    @app.route("/safe/banner")
    def safe_banner() -> Any:
        return render_template("banner.html", color=request.args.get("color", ""))

    # 6. reflected XSS in a JavaScript string (autoescaped HTML is not JS escaping: the app
    # marks it safe because "it is inside a script")
    @app.route("/track")
    def track() -> Any:
        return render_template("track.html", ref=Markup(request.args.get("ref", "")))  # noqa: S704

    @app.route("/safe/track")
    def safe_track() -> Any:
        ref = request.args.get("ref", "")
        cleaned = "".join(ch for ch in ref if ch.isalnum() or ch in "-_/ .")
        return render_template("track.html", ref=cleaned)

    # 7. stored XSS: reviews are posted (CSRF-protected) and shown unescaped
    @app.route("/reviews", methods=["GET", "POST"])
    def review_page() -> Any:
        if request.method == "POST":
            reviews.append(request.form.get("review", ""))
            del reviews[:-20]
        return render_template(
            "reviews.html",
            reviews=[Markup(text) for text in reviews],  # noqa: S704 - the planted stored XSS
            csrf=csrf(),
        )

    @app.route("/safe/reviews", methods=["GET", "POST"])
    def safe_review_page() -> Any:
        if request.method == "POST":
            safe_reviews.append(request.form.get("review", ""))
            del safe_reviews[:-20]
        return render_template("reviews.html", reviews=safe_reviews, csrf=csrf())

    # 8. open redirect through Location
    @app.route("/continue")
    def go_on() -> Any:
        return redirect(request.args.get("next", "/home"))

    @app.route("/safe/continue")
    def safe_go_on() -> Any:
        target = request.args.get("next", "/home")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/home"
        return redirect(target)

    # 9. server-side template injection (Jinja2)
    @app.route("/preview")
    def preview() -> Any:
        name = request.args.get("name", "")
        source = "{% extends 'base.html' %}{% block main %}<p>Preview for " + name
        source += "</p>{% endblock %}"
        try:
            return app.jinja_env.from_string(source).render(session=session)
        except Exception as exc:
            return f"<p>template error: {type(exc).__name__}</p>", 500

    @app.route("/safe/preview")
    def safe_preview() -> Any:
        return render_template("hello.html", name=request.args.get("name", ""))

    # 10. path traversal
    @app.route("/manual")
    def manual() -> Any:
        path = os.path.join(FILES, request.args.get("page", "intro.txt"))
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return render_template("text.html", text=handle.read(20_000))
        except OSError:
            abort(404)

    @app.route("/safe/manual")
    def safe_manual() -> Any:
        name = os.path.basename(request.args.get("page", "intro.txt"))
        try:
            with open(os.path.join(FILES, name), encoding="utf-8") as handle:
                return render_template("text.html", text=handle.read(20_000))
        except OSError:
            abort(404)

    # 11. command injection through a POST form (CSRF-protected)
    @app.route("/stock", methods=["GET", "POST"])
    def stock() -> Any:
        output = ""
        if request.method == "POST":
            sku = request.form.get("sku", "")
            done = subprocess.run(  # noqa: S602 - the planted vulnerability
                f"echo checking stock for '{sku}'", shell=True, capture_output=True, text=True
            )
            output = done.stdout + done.stderr
        return render_template("stock.html", csrf=csrf(), output=output)

    @app.route("/safe/stock", methods=["GET", "POST"])
    def safe_stock() -> Any:
        output = ""
        if request.method == "POST":
            sku = request.form.get("sku", "")
            done = subprocess.run(
                ["/bin/echo", "checking stock for", sku], capture_output=True, text=True
            )
            output = done.stdout
        return render_template("stock.html", csrf=csrf(), output=output)

    # 12. string SQL injection, blind: the coupon is "valid" or "unknown", errors hidden
    @app.route("/coupon")
    def coupon() -> Any:
        code = request.args.get("code", "")
        try:
            rows = query(f"SELECT percent FROM coupons WHERE code = '{code}'")  # noqa: S608
        except sqlite3.Error:
            rows = []
        text = f"{rows[0][0]} % off" if rows else "unknown coupon"
        return render_template("text.html", text=text)

    @app.route("/safe/coupon")
    def safe_coupon() -> Any:
        rows = query("SELECT percent FROM coupons WHERE code = ?", (request.args.get("code", ""),))
        return render_template(
            "text.html", text=f"{rows[0][0]} % off" if rows else "unknown coupon"
        )

    # 13. blind command injection: the shell's output is never shown
    @app.route("/notify")
    def notify() -> Any:
        email = request.args.get("email", "")
        if email:
            subprocess.run(  # noqa: S602 - the planted vulnerability
                f"echo restock alert for {email} >> /dev/null 2>&1",
                shell=True,
                check=False,
            )
        return render_template("notify.html", note="we will write to you" if email else "")

    @app.route("/safe/notify")
    def safe_notify() -> Any:
        email = request.args.get("email", "")
        if email:
            subprocess.run(["/bin/echo", "restock", email], capture_output=True, check=False)
        return render_template("notify.html", note="we will write to you" if email else "")

    return app
