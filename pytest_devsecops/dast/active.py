"""Active probes, only when asked: each sends payloads into one insertion point and reports only
proof that is absent from the original value's answer. Each parameter has a request budget."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from . import probe_sql, probe_xss, signatures
from .html import Form
from .passive import Alert
from .points import InsertionPoint, form_points, query_points
from .probing import Probing

_PASSWD = re.compile(r"root:[^:\n]{0,40}:0:0:")


def insertion_points(url: str, forms: tuple[Form, ...]) -> Iterator[InsertionPoint]:
    """The query parameters of `url`, and the fields of every form on its page."""
    yield from query_points(url)
    for form in forms:
        yield from form_points(form, url)


Probe = Callable[[Probing], Iterator[Alert]]


def path_traversal(probe: Probing) -> Iterator[Alert]:
    if _PASSWD.search(probe.reference.body):
        return
    for attack in (
        "/etc/passwd",
        "../../../../../../../../etc/passwd",
        "....//....//....//etc/passwd",
        "file:///etc/passwd",  # an app that fetches URLs with a library that reads file: too
    ):
        response = probe.send(attack)
        match = _PASSWD.search(response.body)
        if match:
            yield probe.alert(response, "6-2", attack, match.group(0))
            return


_JS_LOCATION = r"(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*['\"]"
_META = re.compile(r"(?is)<meta[^>]{0,200}http-equiv=['\"]?refresh[^>]{0,300}>")


def external_redirect(probe: Probing) -> Iterator[Alert]:
    host = f"{secrets.token_hex(5)}.example.invalid"
    for attack in (f"https://{host}/", f"//{host}/"):
        response = probe.send(attack, follow=False)
        location = response.header("Location") or ""
        if "//" in location and host in (urlsplit(location).hostname or ""):
            yield probe.alert(response, "20019-1", attack, f"Location: {location}")
            return
        refresh = response.header("Refresh") or ""
        if host in refresh:
            yield probe.alert(response, "20019-2", attack, f"Refresh: {refresh}")
            return
        body = response.body[:200_000]
        meta = _META.search(body)
        if meta and host in meta.group(0):
            yield probe.alert(response, "20019-3", attack, meta.group(0))
            return
        script = re.search(_JS_LOCATION + r"(?:https?:)?//" + re.escape(host), body)
        if script:
            yield probe.alert(response, "20019-4", attack, script.group(0))
            return


def command_injection(probe: Probing) -> Iterator[Alert]:
    marker = f"dsc{secrets.token_hex(3)}"
    a, b = secrets.randbelow(900) + 100, secrets.randbelow(900) + 100
    proof = f"{marker}{a + b}"  # only a shell that ran the command computes this
    original = probe.point.original
    command = f"echo {marker}$(({a}+{b}))"
    attacks = [f"{original}{separator}{command}" for separator in (";", "|", "&&", "\n")]
    # Input inside quotes: close them, run, and open them again for the rest of the line.
    attacks += [f"{original}{quote};{command};{quote}" for quote in ("'", '"')]
    for attack in attacks:
        response = probe.send(attack)
        if proof in response.body:
            yield probe.alert(response, "90020", attack, proof, "High")
            return
    attack = f"$(echo {marker}$(({a}+{b})))"
    response = probe.send(attack)
    if proof in response.body:
        yield probe.alert(response, "90020", attack, proof, "High")


_SLEEP = 2  # seconds a blind command-injection payload asks the shell to wait


def _timed(probe: Probing, value: str) -> float:
    started = time.monotonic()
    probe.send(value)
    return time.monotonic() - started


def blind_command_injection(probe: Probing) -> Iterator[Alert]:
    """A shell whose output is never shown still sleeps: `sleep 2` through each separator must
    delay the answer twice while `sleep 0` does not (as ZAP's and wapiti's time-based command
    probes do). Costs one quick request per separator on a page that does not sleep."""
    if "90020" in probe.found:
        return  # already proven by its output
    original = probe.point.original
    base = max(_timed(probe, original), _timed(probe, original))
    if base + _SLEEP * 2 > probe.client.timeout:
        return  # too slow a page to tell a delay from its own time
    templates = ["{o};sleep {s};", "{o}|sleep {s}", "{o}&&sleep {s}", "{o}\nsleep {s}\n"]
    templates += ["{o}';sleep {s};'", '{o}";sleep {s};"', "$(sleep {s})", "`sleep {s}`"]
    for template in templates:
        slow = template.format(o=original, s=_SLEEP)
        if _timed(probe, slow) < base + _SLEEP * 0.8:
            continue
        quick = template.format(o=original, s=0)
        if _timed(probe, quick) > base + _SLEEP * 0.5:
            continue  # the page is slow with any odd input: no proof
        if _timed(probe, slow) < base + _SLEEP * 0.8:
            continue
        response = probe.send(quick)
        yield probe.alert(
            response,
            "90020",
            slow,
            f"sleep {_SLEEP} delayed the answer twice; sleep 0 did not (baseline {base:.2f}s)",
            "Medium",
            other="time-based",
        )
        return


# Per engine: Jinja2/Tornado/Twig multiply, Django adds with a filter, Mako/Freemarker/JSP use
# ${}, ERB <%= %>, Ruby/Pug #{}.
_TEMPLATES = (
    ("{{%d*%d}}", "mul"),
    ("{{%d|add:%d}}", "add"),
    ("${%d*%d}", "mul"),
    ("<%%= %d*%d %%>", "mul"),
    ("#{%d*%d}", "mul"),
)


def template_injection(probe: Probing) -> Iterator[Alert]:
    a, b = secrets.randbelow(9000) + 1000, secrets.randbelow(9000) + 1000
    for template, operation in _TEMPLATES:
        proof = str(a * b if operation == "mul" else a + b)
        if proof in probe.reference.body:
            continue
        attack = template % (a, b)
        response = probe.send(attack)
        if proof in response.body:
            yield probe.alert(response, "90035", attack, proof, "High")
            return


def xpath_ldap(probe: Probing) -> Iterator[Alert]:
    """A quote or bracket that breaks an XPath expression or an LDAP filter (90021, 40015)."""
    original = probe.point.original
    for attack, kind, rule in (
        (f"{original}'", "xpath", "90021"),
        (f'{original}"', "xpath", "90021"),
        (f"{original})(", "ldap", "40015"),
        (f"{original}*)(|(objectClass=*", "ldap", "40015"),
    ):
        response = probe.send(attack)
        match = signatures.attributed(response.body, probe.reference.body, kind)
        if match:
            yield probe.alert(response, rule, attack, f"{match.source}: {match.text}")
            return


def ssrf(probe: Probing) -> Iterator[Alert]:
    """A URL pointing at our own loopback listener: a request arriving there proves the fetch.
    Inputs named or valued like URLs are checked at once; every other input gets the payload
    too (an app may fetch a `source=/feed.xml` it is given), checked in one wait at the end."""
    listener = probe.listener
    if listener is None:
        return
    token = secrets.token_hex(8)
    attack = f"{listener.base}/{token}"
    response = probe.send(attack)
    alert = probe.alert(response, "40046", attack, f"the app requested {attack}", "High")
    if not _looks_like_url_input(probe.point):
        listener.expect(token, alert)
    elif listener.wait_for(token):
        yield alert


def crlf_injection(probe: Probing) -> Iterator[Alert]:
    """A CR LF that starts a header of our own in the answer (40003)."""
    name = f"X-Devsecops-{secrets.token_hex(3)}"
    original = probe.point.original
    for attack in (f"{original}\r\n{name}: 1", f"{original}\n{name}: 1"):
        response = probe.send(attack, follow=False)
        if response.header(name) is not None:
            yield probe.alert(response, "40003", attack, f"{name}: 1")
            return


_URL_NAMES = re.compile(r"(?i)url|uri|link|href|src|dest|target|callback|webhook|feed|image|site")


def _looks_like_url_input(point: InsertionPoint) -> bool:
    original = point.original
    return bool(_URL_NAMES.search(point.name)) or original.startswith(("http://", "https://"))


# Cheap probes (one or two requests) come before the costly ones (a dozen each): the parameter's
# budget ends at the first probe that does not fit, and a redirect that costs two requests per
# payload must not starve the CRLF probe that needs one.
PROBES: tuple[Probe, ...] = (
    probe_xss.reflected,
    probe_sql.error_based,
    probe_sql.boolean_blind,
    crlf_injection,
    ssrf,
    external_redirect,
    path_traversal,
    command_injection,
    template_injection,
    xpath_ldap,
    blind_command_injection,
    probe_sql.time_based,
)
