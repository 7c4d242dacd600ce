"""The ZAP rules our engine emits: ids, alert refs, names, risks and CWEs as ZAP defines them.

Using ZAP's own identifiers means a baseline written against one engine means the same on the
other. The facts come from ZAP's public scan-rule sources (zaproxy/zap-extensions).
"""

from __future__ import annotations

import dataclasses

from ..core.severity import Severity

RISKS = ("Informational", "Low", "Medium", "High")
CONFIDENCES = ("False Positive", "Low", "Medium", "High", "Confirmed")


@dataclasses.dataclass(frozen=True)
class Rule:
    """One ZAP alert kind: `alert_ref` is the rule id our findings carry."""

    plugin_id: int
    alert_ref: str
    name: str
    risk: str
    cwe: int
    wasc: int
    active: bool = False
    solution: str = ""
    systemic: bool = False  # a site-wide setting: one finding for the whole site, not per page


def _rule(plugin: int, ref: str, name: str, risk: str, cwe: int, wasc: int, solution: str) -> Rule:
    return Rule(
        plugin, ref, name, risk, cwe, wasc, plugin in _ACTIVE, solution, plugin in _SYSTEMIC
    )


_ACTIVE = {40012, 40014, 40018, 40019, 40022, 6, 20019, 90020, 90035, 90021, 40015, 40046}
_ACTIVE |= {40003, 90023, 40034, 40035, 10095, 90028, 40040}
# ZAP tags these rules SYSTEMIC: headers and cookies set once for the whole site.
_SYSTEMIC = {10038, 10020, 10021, 10035, 10010, 10011, 10054, 10036, 10037, 10098}
SITE_WIDE = "*"
_HEADERS = "Set the header on every response (a middleware or the web server config)."
_COOKIES = "Set the flag on every cookie the application sets."

_REDIRECT_FIX = "Redirect only to relative paths or an allow-list of known destinations."
_SQL_FIX = "Use parameterised queries; never build SQL from request input."
_FILE_FIX = "Remove the file from the web root, or refuse to serve dot-files and backups."
# Added for the deeper active scan; ids, names, risks, CWE and WASC as ZAP defines them.
_MORE = (
    _rule(20019, "20019-2", "External Redirect", "High", 601, 38, _REDIRECT_FIX),
    _rule(20019, "20019-3", "External Redirect", "High", 601, 38, _REDIRECT_FIX),
    _rule(20019, "20019-4", "External Redirect", "High", 601, 38, _REDIRECT_FIX),
    _rule(
        40014,
        "40014-1",
        "Cross Site Scripting (Persistent)",
        "High",
        79,
        8,
        "Encode stored input for the context it is written into when it is shown.",
    ),
    _rule(40019, "40019", "SQL Injection - MySQL (Time Based)", "High", 89, 19, _SQL_FIX),
    _rule(40022, "40022", "SQL Injection - PostgreSQL (Time Based)", "High", 89, 19, _SQL_FIX),
    _rule(
        90021,
        "90021",
        "XPath Injection",
        "High",
        643,
        39,
        "Use parameterised XPath (variables), never concatenate request input.",
    ),
    _rule(
        40015,
        "40015",
        "LDAP Injection",
        "High",
        90,
        29,
        "Escape request input for LDAP filters (RFC 4515) before building a filter.",
    ),
    _rule(
        40046,
        "40046",
        "Server Side Request Forgery",
        "High",
        918,
        20,
        "Fetch only allow-listed destinations; never a URL taken from request input.",
    ),
    _rule(
        40003,
        "40003",
        "CRLF Injection",
        "Medium",
        113,
        25,
        "Refuse CR and LF in anything written into a response header.",
    ),
    _rule(
        90023,
        "90023",
        "XML External Entity Attack",
        "High",
        611,
        43,
        "Disable DTDs and external entities in the XML parser (defusedxml).",
    ),
    _rule(40034, "40034", ".env Information Leak", "Medium", 215, 13, _FILE_FIX),
    _rule(40035, "40035", "Hidden File Found", "Medium", 538, 13, _FILE_FIX),
    _rule(10095, "10095", "Backup File Disclosure", "Medium", 530, 34, _FILE_FIX),
    _rule(
        90028,
        "90028",
        "Insecure HTTP Method",
        "Medium",
        749,
        45,
        "Disable TRACE (and other methods the app does not use) in the server.",
    ),
    _rule(
        40040,
        "40040-2",
        "CORS Misconfiguration",
        "Medium",
        942,
        14,
        "Allow only a fixed list of trusted origins; never echo the request's Origin.",
    ),
    _rule(
        40040,
        "40040-3",
        "CORS Misconfiguration",
        "High",
        942,
        14,
        "Allow only a fixed list of trusted origins; never echo the request's Origin.",
    ),
)


CATALOG = {
    rule.alert_ref: rule
    for rule in (
        _rule(
            10038,
            "10038-1",
            "Content Security Policy (CSP) Header Not Set",
            "Medium",
            693,
            15,
            "Send a Content-Security-Policy header limiting where scripts and content load from.",
        ),
        _rule(
            10020,
            "10020-1",
            "Missing Anti-clickjacking Header",
            "Medium",
            1021,
            15,
            "Send Content-Security-Policy frame-ancestors or X-Frame-Options: DENY/SAMEORIGIN.",
        ),
        _rule(
            10021,
            "10021",
            "X-Content-Type-Options Header Missing",
            "Low",
            693,
            15,
            "Send X-Content-Type-Options: nosniff. " + _HEADERS,
        ),
        _rule(
            10035,
            "10035-1",
            "Strict-Transport-Security Header Not Set",
            "Low",
            319,
            15,
            "Send Strict-Transport-Security with a max-age on HTTPS responses.",
        ),
        _rule(
            10010,
            "10010",
            "Cookie No HttpOnly Flag",
            "Low",
            1004,
            13,
            "Mark session and other sensitive cookies HttpOnly. " + _COOKIES,
        ),
        _rule(
            10011,
            "10011",
            "Cookie Without Secure Flag",
            "Low",
            614,
            13,
            "Mark cookies Secure so they are only sent over HTTPS. " + _COOKIES,
        ),
        _rule(
            10054,
            "10054-1",
            "Cookie without SameSite Attribute",
            "Low",
            1275,
            13,
            "Set SameSite=Lax or Strict on cookies. " + _COOKIES,
        ),
        _rule(
            10054,
            "10054-2",
            "Cookie with SameSite Attribute None",
            "Low",
            1275,
            13,
            "Use SameSite=Lax or Strict unless cross-site use is required.",
        ),
        _rule(
            10036,
            "10036-2",
            'Server Leaks Version Information via "Server" HTTP Response Header Field',
            "Low",
            497,
            13,
            "Configure the server not to send its version in the Server header.",
        ),
        _rule(
            10037,
            "10037",
            'Server Leaks Information via "X-Powered-By" HTTP Response Header Field(s)',
            "Low",
            497,
            13,
            "Stop the framework or server from sending X-Powered-By.",
        ),
        _rule(
            90022,
            "90022",
            "Application Error Disclosure",
            "Medium",
            550,
            13,
            "Show users a generic error page; log the details server-side.",
        ),
        _rule(
            10023,
            "10023",
            "Information Disclosure - Debug Error Messages",
            "Low",
            1295,
            13,
            "Turn off debug error pages in production.",
        ),
        _rule(
            10098,
            "10098",
            "Cross-Domain Misconfiguration",
            "Medium",
            264,
            14,
            "Do not answer Access-Control-Allow-Origin: * on responses that carry user data.",
        ),
        _rule(
            10202,
            "10202",
            "Absence of Anti-CSRF Tokens",
            "Medium",
            352,
            9,
            "Add a per-session anti-CSRF token to every state-changing form and check it.",
        ),
        _rule(
            10033, "10033", "Directory Browsing", "Medium", 548, 16, "Turn off directory listings."
        ),
        _rule(
            2,
            "2",
            "Private IP Disclosure",
            "Low",
            497,
            13,
            "Do not expose internal IP addresses in responses.",
        ),
        _rule(
            40012,
            "40012",
            "Cross Site Scripting (Reflected)",
            "High",
            79,
            8,
            "Encode output for its context (HTML-escape by default, e.g. template autoescaping).",
        ),
        _rule(
            40018,
            "40018",
            "SQL Injection",
            "High",
            89,
            19,
            "Use parameterised queries; never build SQL from request input.",
        ),
        _rule(
            6,
            "6-2",
            "Path Traversal",
            "High",
            22,
            33,
            "Resolve requested paths against a base folder and refuse anything outside it.",
        ),
        _rule(
            20019,
            "20019-1",
            "External Redirect",
            "High",
            601,
            38,
            "Redirect only to relative paths or an allow-list of known destinations.",
        ),
        _rule(
            90020,
            "90020",
            "Remote OS Command Injection",
            "High",
            78,
            31,
            "Never pass request input to a shell; use argv lists and validate input.",
        ),
        _rule(
            90035,
            "90035",
            "Server Side Template Injection",
            "High",
            1336,
            20,
            "Never build templates from request input; pass input as template data.",
        ),
        *_MORE,
    )
}


def severity(risk: str, confidence: str) -> Severity | None:
    """ZAP risk x confidence on our scale; None for a false positive (dropped, as ZAP does)."""
    if confidence == "False Positive":
        return None
    if risk == "High":
        return Severity.CRITICAL if confidence in ("High", "Confirmed") else Severity.HIGH
    return {"Medium": Severity.MEDIUM, "Low": Severity.LOW}.get(risk, Severity.INFO)
