from __future__ import annotations

from pytest_devsecops.core.redact import mask_string_literals, printable, redact


def test_credentials_are_masked() -> None:
    text = 'password = "Summer2024!" token: ghp_' + "a" * 36 + " key AKIAABCDEFGHIJKLMNOP"
    masked = redact(text)
    assert "Summer2024!" not in masked
    assert "ghp_" not in masked
    assert "AKIA" not in masked


def test_explicit_secrets_are_masked() -> None:
    assert redact("key is s3cr3t-value", extra=["s3cr3t-value"]) == "key is ***"


def test_string_literals_are_masked() -> None:
    assert mask_string_literals("PASSWORD = 'hunter2'  # x") == "PASSWORD = '***'  # x"


def test_terminal_escapes_are_neutralised() -> None:
    assert printable("a\x1b[2Jb\x1b]8;;x") == "a\\x1b[2Jb\\x1b]8;;x"


def test_bidi_overrides_cannot_disguise_a_name() -> None:
    assert printable("app/\u202egnp.py") == "app/\\u202egnp.py"
    assert "\u2066" not in printable("a\u2066b")
