"""Reflected cross-site scripting: find where a harmless marker lands (element, quoted or unquoted
attribute, URL attribute, script block, JavaScript string, comment) and send the breakout that
fits, in spellings without spaces so that no query decoding can spoil them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

from .passive import Alert
from .probing import Probing

_WINDOW = 400  # characters before a reflection read to tell its context
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "xlink:href")
_RAW_TEXT = ("textarea", "title", "style", "noscript", "xmp")


def context(body: str, at: int) -> str:
    """Where the text at `at` sits: element, attr-dq, attr-sq, attr-unquoted, url, script,
    js-sq, js-dq, comment or raw:<tag>."""
    before = body[max(0, at - 4000) : at].lower()
    if before.rfind("<!--") > before.rfind("-->"):
        return "comment"
    script_open = before.rfind("<script")
    if script_open > before.rfind("</script"):
        line = before[before.find(">", script_open) + 1 :].rsplit("\n", 1)[-1][-_WINDOW:]
        unescaped = re.sub(r"\\.", "", line)
        if unescaped.count("'") % 2:
            return "js-sq"
        if unescaped.count('"') % 2:
            return "js-dq"
        return "script"
    for tag in _RAW_TEXT:
        if before.rfind(f"<{tag}") > before.rfind(f"</{tag}"):
            return f"raw:{tag}"
    if before.rfind("<") > before.rfind(">"):
        return _in_tag(before[before.rfind("<") :][-_WINDOW:])
    return "element"


def _in_tag(text: str) -> str:
    """Read a tag's text up to the reflection: which attribute value (and quoting) it is in."""
    state, name, value = "name", "", ""
    for char in text[1:]:
        if state == "name":
            if char == "=":
                state, value = "after", ""
            elif char.isspace() or char == "/":
                name = ""
            else:
                name += char
        elif state == "after":
            if char in "'\"":
                state = char
            elif not char.isspace():
                state, value = "bare", char
        elif state in "'\"":
            if char == state:
                state, name = "name", ""
            else:
                value += char
        elif state == "bare":
            if char.isspace():
                state, name = "name", ""
            else:
                value += char
    if state == "name":
        return "tag"
    if state in ("after", "bare"):
        kind = "attr-unquoted"
    else:
        kind = "attr-dq" if state == '"' else "attr-sq"
    if name.lower() in _URL_ATTRIBUTES and state != "bare" and not value:
        return "url"
    return kind


def _breakouts(where: str, marker: str) -> list[tuple[str, str]]:
    """(payload, the text that proves it broke out) for one context."""
    element = f"<{marker}/onmouseover=alert(1)>"
    if where.startswith("raw:"):
        return [(f"</{where[4:]}>{element}", element)]
    return {
        "element": [(element, element), (f"<{marker}>", f"<{marker}>")],
        "comment": [(f"-->{element}", f"-->{element}")],
        "attr-dq": [(f'"><{marker}>', f'"><{marker}>'), (f'"/{marker}="1', f'"/{marker}="1')],
        "attr-sq": [(f"'><{marker}>", f"'><{marker}>"), (f"'/{marker}='1", f"'/{marker}='1")],
        "attr-unquoted": [(f"x/{marker}=1/", f"x/{marker}=1/"), (f"x><{marker}>", f"x><{marker}>")],
        "tag": [(f"/{marker}=1", f"/{marker}=1")],
        "url": [(f"javascript:{marker}(1)", f"javascript:{marker}(1)")],
        "script": [
            (f"</script>{element}", f"</script>{element}"),
            (f";{marker}(1);", f";{marker}(1);"),
        ],
        "js-sq": [(f"';{marker}(1);//", f"';{marker}(1);//")],
        "js-dq": [(f'";{marker}(1);//', f'";{marker}(1);//')],
    }.get(where, [(element, element)])


def _proven(body: str, proof: str, where: str) -> bool:
    """The proof is in the page, in the context it was made for (a `"/x="1` quoted in element
    text, or an escaped quote inside a JavaScript string, proves nothing)."""
    start = 0
    for _ in range(5):
        at = body.find(proof, start)
        if at < 0:
            return False
        if "<" in proof:  # a new element is a breakout wherever it lands
            return True
        if body[at - 1 : at] != "\\" and context(body, at) == where:
            return True
        start = at + 1
    return False


def contexts(body: str, marker: str) -> list[str]:
    """The distinct contexts of every reflection of `marker` (at most five looked at)."""
    found: list[str] = []
    start = 0
    for _ in range(5):
        at = body.find(marker, start)
        if at < 0:
            break
        where = context(body, at)
        if where not in found:
            found.append(where)
        start = at + len(marker)
    return found


def reflected(probe: Probing) -> Iterator[Alert]:
    marker = f"dsx{secrets.token_hex(4)}"
    echo = probe.send(marker)
    if not echo.is_html or marker not in echo.body:
        return
    for where in contexts(echo.body, marker):
        for payload, proof in _breakouts(where, marker):
            response = probe.send(payload)
            if response.is_html and _proven(response.body, proof, where):
                yield probe.alert(response, "40012", payload, proof, "Medium", other=where)
                return


PROBES = (reflected,)
