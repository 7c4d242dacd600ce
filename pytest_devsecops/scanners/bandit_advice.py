"""What to do about the common bandit findings, in one line each."""

from __future__ import annotations

_ADVICE = {
    "B101": "Do not rely on assert for security checks; it is removed under python -O.",
    "B102": "Avoid exec(); dispatch to known functions instead of running built code.",
    "B103": "Do not make files world-writable; use 0o600/0o644-style modes.",
    "B104": "Bind to 127.0.0.1 unless every interface is meant to be reachable.",
    "B105": "Read credentials from the environment or a secret store, not from source.",
    "B106": "Read credentials from the environment or a secret store, not from source.",
    "B107": "Read credentials from the environment or a secret store, not from source.",
    "B108": "Use tempfile.mkstemp()/TemporaryDirectory() instead of fixed /tmp paths.",
    "B110": "Log or handle the exception instead of passing silently.",
    "B113": "Pass a timeout= to every requests call.",
    "B201": "Never run Flask with debug=True outside local development.",
    "B301": "Do not unpickle untrusted data; use JSON or a schema-checked format.",
    "B303": "Use hashlib.sha256 (or pass usedforsecurity=False for non-security hashes).",
    "B307": "Use ast.literal_eval for data, or avoid evaluating strings entirely.",
    "B311": "Use the secrets module for anything security-sensitive.",
    "B324": "Use hashlib.sha256 (or pass usedforsecurity=False for non-security hashes).",
    "B403": "Do not unpickle untrusted data; use JSON or a schema-checked format.",
    "B404": "Review every subprocess call: argv lists, no shell, validated input.",
    "B501": "Keep TLS certificate verification on (verify=True).",
    "B506": "Use yaml.safe_load (or yaml.load with SafeLoader).",
    "B602": "Pass an argv list and drop shell=True; never build shell strings from input.",
    "B603": "Make sure the argv cannot be influenced by untrusted input.",
    "B605": "Use subprocess.run with an argv list instead of os.system/os.popen.",
    "B607": "Call programs by absolute path or resolve them with shutil.which first.",
    "B608": "Use parameterised queries (cursor.execute(sql, params)), never string formatting.",
    "B701": "Create Jinja2 environments with autoescape=True.",
}


def advice_for(rule: str, test_name: str) -> str:
    """The advice for `rule`, or a pointer to bandit's documentation for the others."""
    return _ADVICE.get(rule, f"See bandit's documentation for {rule} ({test_name}).")
