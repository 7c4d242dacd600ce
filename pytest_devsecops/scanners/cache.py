"""A per-file result cache for scanners: reuse what a file's exact content already produced.

A result is reused only for the same path, the same bytes (a keyed SHA-256), the same tool
version and configuration (the scanner's `key`) and the same pytest-devsecops version. As git's
index does, a file whose size, times, inode and device are those recorded with its digest is not
read again, unless it changed too close to when the cache was written to tell ("racily clean").
The cache lives in pytest's cache folder, which is inside the repository and so may be planted
by a pull request: every cache file is signed with a key kept outside the repository (in the
user's cache folder), and anything unsigned, corrupt, foreign or too big is ignored with a note
and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import __version__
from ..core import atomic

FORMAT = 4  # 2: keyed digests, stat signatures; 3: two keys; 4: the racy bound on two clocks
MAX_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 200_000
# A file changed less than this before the cache was written may have changed again within the
# same timestamp tick (coarse on some file systems): its stat signature is not trusted.
RACY_NS = 2_000_000_000


def stat_signature(info: os.stat_result) -> list[int]:
    """What must be unchanged for a file's recorded digest to still hold without reading it.

    The change time (ctime) cannot be set from user space, so a file rewritten with its old
    size and a forged modification time still shows as changed.
    """
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


class FileCache:
    """Results of one scanner, per file; `hits` counts the files answered from the cache."""

    def __init__(self, path: Path | None, key: str, secret: bytes) -> None:
        self.path = path
        self.key = key
        # Two keys derived from the user's secret: with one key, the digest of a committed file
        # whose bytes are a cache payload would be a valid signature for that payload.
        self._sign_key = hmac.digest(secret, b"pytest-devsecops/cache-signature", "sha256")
        self._digest_key = hmac.digest(secret, b"pytest-devsecops/content-digest", "sha256")
        # Files changed after this moment may still change within one timestamp tick of their
        # stat: the racy margin counts from before any file of this run was looked at.
        self._opened_ns = time.time_ns()
        self._opened_monotonic_ns = time.monotonic_ns()  # a wall-clock step cannot move this
        self._old: dict[str, list[Any]] = {}
        self._new: dict[str, list[Any]] = {}
        self._trusted_before = 0  # stat signatures of files changed before this time (ns)
        self._dirty = False  # something to write: a new result, a new or racy signature
        self.hits = 0
        self.notes: list[str] = []

    @classmethod
    def open(
        cls, folder: Path | None, scanner: str, key: Mapping[str, object], *, read: bool = True
    ) -> FileCache:
        """The cache of `scanner` under `folder` (None: a cache that keeps nothing).

        `key` holds everything the results depend on besides the file: tool version, effective
        configuration... `read=False` starts empty (after --cache-clear) but still saves.
        """
        digest = hashlib.sha256(
            json.dumps({"ours": __version__, **key}, sort_keys=True, default=str).encode()
        ).hexdigest()
        if folder is None:
            return cls(None, digest, b"")
        if folder.is_symlink():  # committed in a pull request: writes would go where it points
            cache = cls(None, digest, b"")
            cache.notes.append(f"result cache off: {folder} is a symbolic link")
            return cache
        try:
            secret = _secret()
        except OSError as exc:
            cache = cls(None, digest, b"")
            cache.notes.append(f"result cache off: its signing key cannot be stored ({exc})")
            return cache
        cache = cls(folder / f"{scanner}.cache", digest, secret)
        if read:
            cache._load()
        return cache

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def stored(self) -> int:
        """How many files' results the cache held when it was opened."""
        return len(self._old)

    def digest(self, data: bytes) -> str:
        """A file's content digest, keyed with this user's secret (HMAC-SHA256).

        A plain SHA-256 of a small file is a fast hash of what it holds: a file that is only a
        token would put the token's SHA-256 in the cache. Keyed, a copied cache file (a CI cache,
        an artifact) gives nobody a way to test guesses without the key kept outside the project.
        """
        return hmac.digest(self._digest_key, data, "sha256").hex()

    def known_digest(self, rel: str, info: os.stat_result) -> str | None:
        """`rel`'s recorded digest when `info` shows the file unchanged since; else None."""
        entry = self._old.get(rel)
        if entry is None or entry[2] != stat_signature(info):
            return None
        if max(info.st_mtime_ns, info.st_ctime_ns) >= self._trusted_before:
            self._dirty = True  # written again now, the signature will be trusted next time
            return None  # racily clean: read it again
        return str(entry[0])

    @property
    def trusted_before(self) -> int:
        """Stat signatures recorded in this cache hold only for paths last changed before this
        moment (ns): one changed later may change again unseen within the same time tick."""
        return self._trusted_before

    def file_digest(self, rel: str, path: Path) -> tuple[str, list[int]]:
        """`path`'s digest, from its stat signature when that is known, else from its bytes;
        with the signature to store beside it (raises OSError when it cannot be read)."""
        info = os.stat(path)
        known = self.known_digest(rel, info)
        if known is not None:
            return known, stat_signature(info)
        return self.digest(path.read_bytes()), stat_signature(info)

    def get(self, rel: str, digest: str, signature: list[int] | None = None) -> Any | None:
        """The stored result of `rel` with content `digest`, or None."""
        entry = self._old.get(rel)
        if entry is None or entry[0] != digest:
            return None
        self.hits += 1
        self._new[rel] = [digest, entry[1], signature or []]
        self._dirty = self._dirty or self._new[rel][2] != entry[2]
        return entry[1]

    def keep(self, rel: str) -> None:
        """Carry `rel`'s entry over unchanged (one that is no result, e.g. a binary verdict)."""
        if rel in self._old:
            self._new[rel] = self._old[rel]

    def put(self, rel: str, digest: str, value: Any, signature: list[int] | None = None) -> None:
        """Store `rel`'s result; with the stat `signature` taken *before* its bytes were read."""
        self._new[rel] = [digest, value, signature or []]
        self._dirty = True

    def unchanged(self, current: Iterable[str]) -> bool:
        """Whether `save(current)` would write nothing: every file answered by its unchanged
        signature, none added or gone. The file on disk is current."""
        if self.path is None:
            return True
        return not self._dirty and self._kept(current).keys() == self._old.keys()

    def _kept(self, current: Iterable[str]) -> dict[str, list[Any]]:
        """The entries a save writes: this run's files only, so deleted files drop out."""
        return {rel: self._new[rel] for rel in sorted(set(current)) if rel in self._new}

    def release(self) -> None:
        """Drop the entries held in memory (only when `unchanged`: a save then writes nothing)."""
        self._old, self._new = {}, {}

    def save(self, current: Iterable[str]) -> None:
        """Keep the results of this run's files only: deleted files drop out."""
        current = list(current)
        if self.path is None or self.unchanged(current):
            return
        entries = self._kept(current)
        if len(entries) > MAX_ENTRIES:
            self.notes.append(f"result cache not written: more than {MAX_ENTRIES} files")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            written = self._racy_bound(self.path.parent)
        except OSError as exc:
            self.notes.append(f"result cache not written: {exc}")
            return
        payload = json.dumps(
            {"format": FORMAT, "key": self.key, "written": written, "entries": entries},
            separators=(",", ":"),
        ).encode()
        if len(payload) > MAX_BYTES:
            self.notes.append(f"result cache not written: it would exceed {MAX_BYTES >> 20} MiB")
            return
        signature = hmac.new(self._sign_key, payload, "sha256").hexdigest().encode()
        try:
            if self.path.is_symlink():
                raise atomic.UnsafePathError(f"{self.path} is a symbolic link")
            atomic.write_atomic(self.path, signature + b"\n" + payload)
        except (OSError, atomic.UnsafePathError) as exc:
            self.notes.append(f"result cache not written: {exc}")

    def _racy_bound(self, folder: Path) -> int:
        """When this run began looking at files, less the margin, on the earlier of two clocks.

        File times come from the file system's clock, which on a network share may run behind
        ours: as git compares files with its index file's own mtime, the moment is also placed
        on the clock of the file system the cache lives on, read from a file created here
        before our clock is read again (the offset can only be underestimated: trusting less,
        never more). Our clock's value is the earlier of the wall clock at opening and now less
        the monotonic time since: a wall clock stepped back during the run cannot move it later.
        """
        file_system_now = _file_system_now(folder)
        now = time.time_ns()
        elapsed = time.monotonic_ns() - self._opened_monotonic_ns
        began = min(self._opened_ns, now - elapsed)
        return began - RACY_NS + min(0, file_system_now - now)

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            if self.path.is_symlink() or not self.path.exists():
                return
            if self.path.stat().st_size > MAX_BYTES + 100:
                self._ignored("it is too big")
                return
            data = self.path.read_bytes()
        except OSError as exc:
            self._ignored(f"it cannot be read ({exc})")
            return
        signature, _, payload = data.partition(b"\n")
        expected = hmac.new(self._sign_key, payload, "sha256").hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            self._ignored("it is corrupt or was not written on this machine")
            return
        try:
            content = json.loads(payload)
        except ValueError:
            self._ignored("it is not valid JSON")
            return
        if not isinstance(content, dict) or content.get("format") != FORMAT:
            self._ignored("it was written by another pytest-devsecops version")
            return
        if content.get("key") != self.key:
            self._ignored("it was made for another tool version or configuration")
            return
        entries = content.get("entries")
        written = content.get("written")
        self._trusted_before = written if isinstance(written, int) else 0
        if isinstance(entries, dict):
            self._old = {
                rel: entry
                for rel, entry in entries.items()
                if isinstance(entry, list)
                and len(entry) == 3
                and isinstance(entry[0], str)
                and isinstance(entry[2], list)
            }

    def _ignored(self, why: str) -> None:
        name = self.path.name if self.path else "cache"
        self.notes.append(f"result cache {name} ignored and rebuilt: {why}")


def _file_system_now(folder: Path) -> int:
    """The time on the clock of `folder`'s file system: a new file's modification time."""
    with tempfile.TemporaryFile(dir=folder, prefix=".clock-") as probe:
        return os.fstat(probe.fileno()).st_mtime_ns


KEY_BYTES = 32


def _secret() -> bytes:
    """This user's signing key for cache files, created on first use (mode 0600)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "pytest-devsecops" / "cache-key"
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written in full under another name, then linked into place: a process starting at the same
    # moment sees either no key or a whole one, never an empty file (an empty HMAC key).
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".cache-key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:  # mkstemp: mode 0600
            handle.write(secrets.token_hex(KEY_BYTES))
        # FileExistsError: another process made one at the same moment; theirs is used.
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        os.unlink(partial)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise OSError(f"{path} is not a valid key; delete it")
    return key
