"""Held-out benchmark app 3: a Django blog (templates, CSRF middleware, raw SQL through Django's
connection, DEBUG pages) configured in one module. Deliberately vulnerable (see README)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import urllib.request
from typing import Any

import django
from django.conf import settings

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")

LAYOUT = """<!doctype html><html><head><title>Blog</title></head><body>
<header><a href="/">Blog</a></header>{% block content %}{% endblock %}</body></html>"""
PAGES = {
    "layout.html": LAYOUT,
    "index.html": """{% extends "layout.html" %}{% block content %}<ul>
{% for prefix in prefixes %}
<li><a href="{{ prefix }}/post/?id=1">post</a> <a href="{{ prefix }}/entry/2/">entry</a>
<a href="{{ prefix }}/archive/?year=2024">archive</a>
<a href="{{ prefix }}/search/?q=django">search</a>
<a href="{{ prefix }}/tag/?t=python">tag</a> <a href="{{ prefix }}/author/?site=%2F">author</a>
<a href="{{ prefix }}/comments/">comments</a> <a href="{{ prefix }}/greet/?name=reader">greet</a>
<a href="{{ prefix }}/out/?url=%2F">out</a> <a href="{{ prefix }}/bounce/?next=%2F">bounce</a>
<a href="{{ prefix }}/export/?fmt=csv">export</a>
<a href="{{ prefix }}/feed/?source=%2Ffeed.xml">feed</a>
<a href="{{ prefix }}/attachment/?name=intro.txt">attachment</a></li>
{% endfor %}</ul>{% endblock %}""",
    "post.html": """{% extends "layout.html" %}{% block content %}{% for p in posts %}
<article><h2>{{ p.2 }}</h2><p>{{ p.3 }}</p></article>{% empty %}<p>No posts.</p>{% endfor %}
{% endblock %}""",
    "search.html": """{% extends "layout.html" %}{% block content %}
<p>Results for {{ q }}</p>{% endblock %}""",
    "tag.html": """{% extends "layout.html" %}{% block content %}
<a class={{ t }} href="/">tagged</a>{% endblock %}""",
    "author.html": """{% extends "layout.html" %}{% block content %}
<a href="{{ site }}">author's site</a>{% endblock %}""",
    "comments.html": """{% extends "layout.html" %}{% block content %}
{% for c in comments %}<div class="c">{{ c }}</div>{% endfor %}
<form method="post" action="">{% csrf_token %}<input name="author" value="anon">
<textarea name="text"></textarea><button>Send</button></form>{% endblock %}""",
    "out.html": """{% extends "layout.html" %}{% block content %}
<meta http-equiv="refresh" content="0; url={{ url }}"><p>Leaving the blog...</p>{% endblock %}""",
    "bounce.html": """{% extends "layout.html" %}{% block content %}
<script>window.location = "{{ next }}";</script>{% endblock %}""",
    "text.html": """{% extends "layout.html" %}{% block content %}<pre>{{ text }}</pre>
{% endblock %}""",
}
if not settings.configured:
    settings.configure(
        DEBUG=True,  # a dev server left in debug mode: errors show their message
        SECRET_KEY="heldout-benchmark-not-secret",  # noqa: S106
        ROOT_URLCONF=__name__,
        LOGGING={  # the planted errors are expected: keep them off the console
            "version": 1,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "loggers": {"django": {"handlers": ["null"], "propagate": False}},
        },
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        INSTALLED_APPS=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(tempfile.mkdtemp(prefix="blog-"), "db.sqlite3"),
            }
        },
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [("django.template.loaders.locmem.Loader", PAGES)],
                    "context_processors": ["django.template.context_processors.csrf"],
                },
            }
        ],
    )
    django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

with connection.cursor() as _cursor:
    _cursor.execute("CREATE TABLE posts (id INTEGER, year INTEGER, title TEXT, body TEXT)")
    _cursor.execute(
        "INSERT INTO posts VALUES (1, 2024, 'Hello', 'first'), (2, 2024, 'Again', 'second'),"
        " (3, 2023, 'Old', 'third')"
    )
COMMENTS: list[str] = []
SAFE_COMMENTS: list[str] = []


def _rows(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "index.html", {"prefixes": ["", "/safe"]})


# 1. numeric SQL injection, the DEBUG page shows the error
def post(request: HttpRequest) -> HttpResponse:
    ident = request.GET.get("id", "1")
    return render(request, "post.html", {"posts": _rows(f"SELECT * FROM posts WHERE id = {ident}")})  # noqa: S608


def safe_post(request: HttpRequest) -> HttpResponse:
    ident = request.GET.get("id", "1")
    return render(
        request, "post.html", {"posts": _rows("SELECT * FROM posts WHERE id = %s", (ident,))}
    )


# 2. numeric SQL injection in a path segment
def entry(request: HttpRequest, ident: str) -> HttpResponse:
    return render(request, "post.html", {"posts": _rows(f"SELECT * FROM posts WHERE id = {ident}")})  # noqa: S608


def safe_entry(request: HttpRequest, ident: str) -> HttpResponse:
    return render(
        request, "post.html", {"posts": _rows("SELECT * FROM posts WHERE id = %s", (ident,))}
    )


# 3. boolean-blind numeric SQL injection (errors swallowed)
def archive(request: HttpRequest) -> HttpResponse:
    try:
        posts = _rows(f"SELECT * FROM posts WHERE year = {request.GET.get('year', '2024')}")  # noqa: S608
    except Exception:
        posts = []
    return render(request, "post.html", {"posts": posts})


def safe_archive(request: HttpRequest) -> HttpResponse:
    posts = _rows("SELECT * FROM posts WHERE year = %s", (request.GET.get("year", "2024"),))
    return render(request, "post.html", {"posts": posts})


# 4. reflected XSS through mark_safe
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "search.html", {"q": mark_safe(request.GET.get("q", ""))})  # noqa: S308


def safe_search(request: HttpRequest) -> HttpResponse:
    return render(request, "search.html", {"q": request.GET.get("q", "")})


# 5. reflected XSS in an unquoted attribute (autoescaping does not save an unquoted attribute)
def tag(request: HttpRequest) -> HttpResponse:
    return render(request, "tag.html", {"t": request.GET.get("t", "")})


def safe_tag(request: HttpRequest) -> HttpResponse:
    value = "".join(ch for ch in request.GET.get("t", "") if ch.isalnum() or ch in "-_")
    return render(request, "tag.html", {"t": value})


# 6. XSS in href: autoescaping leaves javascript: URLs alone
def author(request: HttpRequest) -> HttpResponse:
    return render(request, "author.html", {"site": request.GET.get("site", "/")})


def safe_author(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("site", "/")
    if not site.startswith(("/", "https://", "http://")):
        site = "/"
    return render(request, "author.html", {"site": site})


# 7. stored XSS: comments shown with |safe applied in the view
def comments(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        COMMENTS.append(request.POST.get("text", ""))
        del COMMENTS[:-20]
    return render(request, "comments.html", {"comments": [mark_safe(c) for c in COMMENTS]})  # noqa: S308


def safe_comments(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        SAFE_COMMENTS.append(request.POST.get("text", ""))
        del SAFE_COMMENTS[:-20]
    return render(request, "comments.html", {"comments": SAFE_COMMENTS})


# 8. template injection: the name becomes part of a Django template
def greet(request: HttpRequest) -> HttpResponse:
    source = "{% load static %}<p>Hello " + request.GET.get("name", "") + "</p>"
    return HttpResponse(Template(source).render(Context({})))


def safe_greet(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        Template("<p>Hello {{ n }}</p>").render(Context({"n": request.GET.get("name", "")}))
    )


# 9. open redirect through <meta http-equiv="refresh">
def out(request: HttpRequest) -> HttpResponse:
    return render(request, "out.html", {"url": request.GET.get("url", "/")})


def _local(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def safe_out(request: HttpRequest) -> HttpResponse:
    return render(request, "out.html", {"url": _local(request.GET.get("url", "/"))})


# 10. open redirect through a JavaScript location assignment
def bounce(request: HttpRequest) -> HttpResponse:
    return render(request, "bounce.html", {"next": request.GET.get("next", "/")})


def safe_bounce(request: HttpRequest) -> HttpResponse:
    return render(request, "bounce.html", {"next": _local(request.GET.get("next", "/"))})


# 11. command injection (double-quoted in the shell line)
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("fmt", "csv")
    done = subprocess.run(  # noqa: S602 - the planted vulnerability
        f'echo "exporting posts as {fmt}"', shell=True, capture_output=True, text=True, timeout=10
    )
    return render(request, "text.html", {"text": done.stdout + done.stderr})


def safe_export(request: HttpRequest) -> HttpResponse:
    done = subprocess.run(
        ["/bin/echo", "exporting posts as", request.GET.get("fmt", "csv")],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return render(request, "text.html", {"text": done.stdout})


# 12. SSRF: a feed fetched from an address the reader gives
def feed(request: HttpRequest) -> HttpResponse:
    source = request.GET.get("source", "/feed.xml")
    if source.startswith("/"):
        return render(request, "text.html", {"text": "local feed"})
    try:
        with urllib.request.urlopen(source, timeout=3) as answer:  # noqa: S310
            text = answer.read(2000).decode("utf-8", "replace")
    except Exception as exc:
        text = f"could not fetch: {exc}"
    return render(request, "text.html", {"text": text})


def safe_feed(request: HttpRequest) -> HttpResponse:
    return render(request, "text.html", {"text": "feeds are configured by the admin"})


# 13. path traversal
def attachment(request: HttpRequest) -> HttpResponse:
    try:
        with open(os.path.join(FILES, request.GET.get("name", "intro.txt")), encoding="utf-8") as f:
            return render(request, "text.html", {"text": f.read(20_000)})
    except (OSError, UnicodeDecodeError):
        return HttpResponse("not found", status=404)


def safe_attachment(request: HttpRequest) -> HttpResponse:
    name = os.path.basename(request.GET.get("name", "intro.txt"))
    try:
        with open(os.path.join(FILES, name), encoding="utf-8") as handle:
            return render(request, "text.html", {"text": handle.read(20_000)})
    except OSError:
        return HttpResponse("not found", status=404)


def _pair(route: str, view: Any, safe_view: Any) -> list[Any]:
    return [path(route, view), path("safe/" + route, safe_view)]


urlpatterns = [
    path("", index),
    *_pair("post/", post, safe_post),
    *_pair("entry/<str:ident>/", entry, safe_entry),
    *_pair("archive/", archive, safe_archive),
    *_pair("search/", search, safe_search),
    *_pair("tag/", tag, safe_tag),
    *_pair("author/", author, safe_author),
    *_pair("comments/", comments, safe_comments),
    *_pair("greet/", greet, safe_greet),
    *_pair("out/", out, safe_out),
    *_pair("bounce/", bounce, safe_bounce),
    *_pair("export/", export, safe_export),
    *_pair("feed/", feed, safe_feed),
    *_pair("attachment/", attachment, safe_attachment),
]


def application() -> Any:
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()
