"""detect-secrets through its Python API: every plugin, network verification always off."""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from .files import stage
from .model import DETECT_SECRETS_KINDS, PRIVATE_KEY, Candidate, slug
from .trivy_engine import private_key_block

ENGINE = "detect-secrets"
INSTALL_HINT = 'pip install "pytest-devsecops[secrets]" (installs detect-secrets)'
_VERIFY = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
# An inline `# pragma: allowlist secret` would hide a finding from review; we accept findings
# in the baseline instead (with a reason), as for bandit's `# nosec`.
_ALLOWLIST = "detect_secrets.filters.allowlist.is_line_allowlisted"
# detect-secrets keeps its settings in a process-global singleton: one scan at a time.
_LOCK = threading.Lock()
_TAIL_CHARS = r"[A-Za-z0-9_\-+/=~]*"


def version() -> str:
    """detect-secrets' version, or '' when it is not installed."""
    try:
        return metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        return ""


def scan(
    root: Path, files: Iterable[str], read: dict[str, str], commit: str = ""
) -> list[Candidate]:
    """Scan each file's text in `read` with all of detect-secrets' plugins.

    detect-secrets reads files itself, so it is given copies of the very text the other
    engines saw and the cache keyed (at the same relative paths, for its file-type handling):
    a file rewritten on disk mid-scan must not put another content's results under this digest.
    """
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    del root  # the text comes from `read`; see above
    found: list[Candidate] = []
    wanted = {name: read[name] for name in files if name in read}
    with _LOCK, default_settings() as settings, tempfile.TemporaryDirectory() as scratch:
        present = [name for name in (_VERIFY, _ALLOWLIST) if name in settings.filters]
        if present:
            settings.disable_filters(*present)
        copies = Path(scratch) / "copies"
        stage(copies, {n: text.encode("utf-8", "surrogatepass") for n, text in wanted.items()})
        for relative, text in wanted.items():
            copy = copies / relative
            if not copy.is_file():  # a name that would leave the folder was not written
                continue
            secrets = scan_file(str(copy))
            found.extend(_candidates(secrets, relative, text.splitlines(), commit))
    return found


def _candidates(
    secrets: Iterable[object], relative: str, lines: list[str], commit: str
) -> Iterator[Candidate]:
    for secret in secrets:
        kind_name = str(getattr(secret, "type", "secret"))
        kind = DETECT_SECRETS_KINDS.get(kind_name, slug(kind_name))
        number = int(getattr(secret, "line_number", 0) or 0)
        value = str(getattr(secret, "secret_value", "") or "")
        if not (1 <= number <= len(lines)) or not value:
            continue
        if kind == PRIVATE_KEY:
            line, value, header = private_key_block(lines, number)
            yield Candidate(ENGINE, kind_name, kind, relative, line, value, header, commit)
            continue
        text = lines[number - 1]
        whole = _whole(value, text)
        yield Candidate(ENGINE, kind_name, kind, relative, number, whole, text, commit)


def _whole(value: str, line: str) -> str:
    """The whole token: some plugins (GitHub's) capture only its prefix, `ghp`."""
    match = re.search(re.escape(value) + _TAIL_CHARS, line)
    return match.group(0) if match else value
