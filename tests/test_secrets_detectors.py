"""The secrets scanner's engines and filters on real files: every planted kind, no look-alike."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.secrets import generic
from pytest_devsecops.scanners.secrets.filters import dismissed
from pytest_devsecops.scanners.secrets.mask import mask, secret_kdf
from pytest_devsecops.scanners.secrets.scanner import SecretsScanner
from pytest_devsecops.scanners.tools import find_tool

pytestmark = pytest.mark.skipif(not find_tool("trivy").found, reason="trivy is not installed")


def _pem() -> str:
    rng = random.Random(3)
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(240))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    )


# (path, line, kind, value): every one must be an item.
PLANTED = [
    ("app/config.py", 1, "aws-access-key-id", "AKIAZ4RT7WQ2MVB5XK3P"),
    ("app/config.py", 2, "github-pat", "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K"),
    ("app/settings.py", 1, "generic-secret", "Tr0ub4dor-Horse-77"),
    (
        "web/app.js",
        1,
        "slack-access-token",
        "xoxb-2048163902-7736184402915-Qw8RtY2uIo4PaS6dFg9HjK1L",
    ),
    (".env", 1, "stripe-secret-token", "sk_live_4fQ9zL2mX8rT1vB6nK3pW7cY"),
    (".env", 2, "generic-secret", "Lantern-Harbor-2718"),
    ("docker-compose.yml", 4, "url-credentials", "Wq3-tide-Harbor-91"),
    ("keys/deploy.pem", 1, "private-key", ""),
    ("conf/app.ini", 2, "generic-secret", "Mq7-Velvet-Orbit"),
    ("conf/app.yaml", 2, "generic-secret", "Pz4-Copper-Delta"),
    ("conf/app.json", 1, "generic-secret", "Kx9-Amber-Falcon"),
    ("conf/app.toml", 1, "generic-secret", "Rb5-Cedar-Lumen"),
]
FILES = {
    "app/config.py": (
        'AWS_KEY_ID = "AKIAZ4RT7WQ2MVB5XK3P"\n'
        'GH = "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K"\n'
        # look-alikes from here on
        'AWS_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"\n'
        'API_TOKEN = os.environ["API_TOKEN"]\n'
        'DB_PASSWORD = os.getenv("DB_PASSWORD")\n'
        'TEMPLATE_TOKEN = "{{ token }}"\n'
        'USER_KEY = "<your-api-key>"\n'
        'PASSWORD = "changeme"\n'
        'SECRET = "xxxxxxxxxxxx"\n'
        'REQUEST_ID_TOKEN = "2f1c8f8e-3c0b-4d7e-9a55-6a1d0b8e4f21"\n'
        'password_field = "password1"\n'
        'if password == "hunter-7-strong": pass\n'
    ),
    "app/settings.py": 'DATABASE_PASSWORD = "Tr0ub4dor-Horse-77"\nSECRET_KEY = settings.SECRET\n',
    "web/app.js": (
        'const slack = "xoxb-2048163902-7736184402915-Qw8RtY2uIo4PaS6dFg9HjK1L";\n'
        'const s = "<script integrity=\\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\\">";\n'
        'const img = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";\n'
    ),
    ".env": (
        "STRIPE=sk_live_4fQ9zL2mX8rT1vB6nK3pW7cY\nDB_PASSWORD=Lantern-Harbor-2718\n"
        "API_TOKEN=${API_TOKEN}\nSMTP_PASSWORD=$SMTP_PASSWORD\n"
    ),
    "docker-compose.yml": (
        "services:\n  web:\n    environment:\n"
        "      DATABASE_URL: postgres://shop:Wq3-tide-Harbor-91@db:5432/shop\n"
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"
        "      CACHE_URL: redis://:${REDIS_PASSWORD}@cache:6379/0\n"
    ),
    "keys/deploy.pem": _pem(),
    "conf/app.ini": "[db]\npassword = Mq7-Velvet-Orbit\n[mail]\npassword = %(MAIL_PASSWORD)s\n",
    "conf/app.yaml": "db:\n  password: Pz4-Copper-Delta\n  token: '{{ vault_token }}'\n",
    "conf/app.json": '{"client_secret": "Kx9-Amber-Falcon", "api_key": "dummy-key"}\n',
    "conf/app.toml": 'api_token = "Rb5-Cedar-Lumen"\nsecret = "example"\n',
    "requirements.txt": (
        "pyyaml==6.0.2 --hash=sha256:b8eac752c5e14d3eca0e6dd9199cd627518cb5ec06add0de9d32baeee6fe645d\n"
    ),
    "logo.png": "\x89PNG\r\n\x1a\n\x00\x00binary",
}


def _tree(root: Path) -> None:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="latin-1" if name.endswith(".png") else "utf-8")


def scan_tree(root: Path, engine: str = "auto") -> ScanResult:
    context = ScanContext(
        root=root, paths=(root,), excludes=(".git",), timeout=120, workdir=root.parent / "work"
    )
    (root.parent / "work").mkdir(exist_ok=True)
    return SecretsScanner(engine=engine).scan(context)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanResult]:
    root = tmp_path_factory.mktemp("planted") / "tree"
    root.mkdir()
    _tree(root)
    return {engine: scan_tree(root, engine) for engine in ("auto", "all")}


@pytest.mark.parametrize("engine", ["auto", "all"])
@pytest.mark.parametrize(("path", "line", "kind", "value"), PLANTED)
def test_every_planted_secret_is_one_finding(
    results: dict[str, ScanResult], engine: str, path: str, line: int, kind: str, value: str
) -> None:
    result = results[engine]
    assert result.complete, (result.error, result.coverage.gaps)
    here = [f for f in result.findings if (f.location.path, f.location.line) == (path, line)]
    assert [f.rule for f in here] == [kind]


@pytest.mark.parametrize("engine", ["auto", "all"])
def test_no_look_alike_is_reported(results: dict[str, ScanResult], engine: str) -> None:
    planted = {(path, line) for path, line, _, _ in PLANTED}
    extra = [
        f.item_label
        for f in results[engine].findings
        if (f.location.path, f.location.line) not in planted
    ]
    assert extra == []


def test_binary_files_are_listed_as_skipped_and_every_text_file_scanned(
    results: dict[str, ScanResult],
) -> None:
    coverage = results["auto"].coverage
    assert [(s.target, s.reason, s.deliberate) for s in coverage.skipped] == [
        ("logo.png", "binary", True)
    ]
    assert set(coverage.scanned) == set(FILES) - {"logo.png"}


@pytest.mark.parametrize("engine", ["auto", "all"])
def test_no_finding_field_holds_a_secret(results: dict[str, ScanResult], engine: str) -> None:
    text = repr([f.to_dict() for f in results[engine].findings])
    leaked = [value for _, _, _, value in PLANTED if value and value in text]
    assert leaked == []
    key_lines = FILES["keys/deploy.pem"].splitlines()[1:-1]
    assert [line for line in key_lines if line in text] == []


def test_severity_provider_keys_critical_generic_high(results: dict[str, ScanResult]) -> None:
    by_rule = {f.rule: str(f.severity) for f in results["auto"].findings}
    assert by_rule["aws-access-key-id"] == by_rule["private-key"] == "critical"
    assert by_rule["generic-secret"] == by_rule["url-credentials"] == "high"


def test_engines_on_one_line_and_secret_are_one_finding(results: dict[str, ScanResult]) -> None:
    aws = [f for f in results["all"].findings if f.rule == "aws-access-key-id"]
    assert len(aws) == 1
    assert (
        dict(aws[0].details)["found by"]
        == "trivy (aws-access-key-id), detect-secrets (AWS Access Key)"
    )
    assert aws[0].snippet == 'AWS_KEY_ID = "AKIA…(20 chars)"'


def test_the_mask_shows_only_a_public_prefix_and_the_length() -> None:
    assert mask("AKIAZ4RT7WQ2MVB5XK3P") == "AKIA…(20 chars)"
    assert mask("Tr0ub4dor-Horse-77") == "…(18 chars)"


def test_the_kdf_is_salted_and_not_a_plain_hash() -> None:
    import hashlib

    one = secret_kdf("Tr0ub4dor-Horse-77", "a.py\x1fgeneric-secret\x1fline")
    assert one != secret_kdf("Tr0ub4dor-Horse-77", "b.py\x1fgeneric-secret\x1fline")
    assert one != secret_kdf("Tr0ub4dor-Horse-78", "a.py\x1fgeneric-secret\x1fline")
    plain = {
        hashlib.new(name, b"Tr0ub4dor-Horse-77").hexdigest() for name in ("sha1", "sha256", "md5")
    }
    assert not any(one in digest or digest.startswith(one[:16]) for digest in plain)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('password = "Zq8-Lumen-Cobalt"', ["Zq8-Lumen-Cobalt"]),
        ('connect(password="Zq8-Lumen-Cobalt")', ["Zq8-Lumen-Cobalt"]),
        ('"db_password": "Zq8-Lumen-Cobalt",', ["Zq8-Lumen-Cobalt"]),
        ('token: str = "Zq8-Lumen-Cobalt"', ["Zq8-Lumen-Cobalt"]),
        ('url = "amqp://guest:Zq8-Lumen-Cobalt@rabbit/"', ["Zq8-Lumen-Cobalt"]),
        ('if password == "Zq8-Lumen-Cobalt":', []),
        ("password = request.form['password']", []),
        ('password_reset_url = "Zq8-Lumen-Cobalt"', []),
        ('password = "a long sentence that is prose"', []),
        # Django's own look-alikes (the benchmark tree): names of fields and settings.
        ('password1_field_name="password1",', []),
        ('requires_csrf_token.__name__ = "requires_csrf_token"', []),
        ('INTERNAL_RESET_SESSION_TOKEN = "_password_reset_token"', []),
    ],
)
def test_generic_detector_in_code(line: str, expected: list[str]) -> None:
    found = [c for c in generic.scan_text("app.py", line + "\n") if not dismissed(c)]
    assert [c.value for c in found] == expected


def test_git_trees_scan_what_git_would_commit(tmp_path: Path) -> None:
    import subprocess

    git = str(find_tool("git").path)
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "vendor_cache").mkdir()
    subprocess.run([git, "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("ignored.env\n")
    (root / "app" / "tracked.py").write_text('DB_PASSWORD = "Tr0ub4dor-Horse-77"\n')
    (root / "ignored.env").write_text("DB_PASSWORD=Lantern-Harbor-2718\n")
    (root / "untracked.env").write_text("DB_PASSWORD=Mq7-Velvet-Orbit\n")
    (root / "vendor_cache" / "x.env").write_text("DB_PASSWORD=Pz4-Copper-Delta\n")
    subprocess.run([git, "-C", str(root), "add", "app/tracked.py", ".gitignore"], check=True)
    context = ScanContext(
        root=root,
        paths=(root,),
        excludes=(".git", "vendor_cache"),
        timeout=60,
        workdir=tmp_path / "work",
    )
    (tmp_path / "work").mkdir()
    result = SecretsScanner().scan(context)
    assert result.complete, (result.error, result.coverage.gaps)
    assert sorted(result.coverage.scanned) == [".gitignore", "app/tracked.py", "untracked.env"]
    assert sorted(f.item_label for f in result.findings) == ["app/tracked.py:1", "untracked.env:1"]


def test_oversized_files_are_skipped_on_purpose_and_unreadable_ones_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_devsecops.scanners.secrets import files

    root = tmp_path / "tree"
    root.mkdir()
    (root / "dump.json").write_text("x" * (files.MAX_BYTES + 1))
    (root / "ok.py").write_text("x = 1\n")
    (root / "locked.py").write_text('PASSWORD = "Tr0ub4dor-Horse-77"\n')
    original = files.read_if_text

    def unreadable(path: str | Path) -> bytes | None:
        if Path(path).name == "locked.py":
            raise PermissionError(13, "Permission denied")
        return original(path)

    monkeypatch.setattr(files, "read_if_text", unreadable)
    result = scan_tree(root)
    assert [(s.target, s.deliberate) for s in result.coverage.skipped] == [
        ("locked.py", False),
        ("dump.json", True),
    ]
    assert "size cap" in result.coverage.skipped[1].reason
    assert not result.complete  # the unreadable file fails the status item


def test_detect_secrets_alone_never_verifies_over_the_network(
    results: dict[str, ScanResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("detect-secrets tried to verify a secret over the network")

    monkeypatch.setattr(requests.Session, "request", no_network)
    monkeypatch.setattr(requests, "post", no_network)
    monkeypatch.setattr(requests, "get", no_network)
    root = tmp_path / "tree"
    root.mkdir()
    (root / "aws.py").write_text(
        'AWS_KEY_ID = "AKIAZ4RT7WQ2MVB5XK3P"\n'
        'aws_secret_access_key = "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"\n'
    )
    result = scan_tree(root, "detect-secrets")
    assert result.complete
    assert result.tool.startswith("detect-secrets ")
    assert [f.item_label for f in result.findings] == ["aws.py:1", "aws.py:2"]
    engines = [dict(f.details)["found by"] for f in result.findings]
    assert all(found.startswith("detect-secrets (AWS Access Key)") for found in engines)


def test_detect_secrets_scans_the_text_it_is_given_not_the_file_on_disk(tmp_path: Path) -> None:
    # The cache keys results by the text that was hashed; a file rewritten on disk mid-scan must
    # not lend its results to that text.
    pytest.importorskip("detect_secrets")
    from pytest_devsecops.scanners.secrets import ds_engine

    token = "ghp_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text("DEBUG = True\n")  # what the disk holds now
    read = {"app/settings.py": f'GITHUB_TOKEN = "{token}"\n'}  # what was read and hashed
    found = ds_engine.scan(tmp_path, read, read)
    assert {(c.path, c.line) for c in found} == {("app/settings.py", 1)}
    assert ds_engine.scan(tmp_path, read, {"app/settings.py": "DEBUG = True\n"}) == []


@pytest.mark.parametrize(
    ("value", "dummy"),
    [
        ("your-api-key-here", True),
        ("ExamplePassword2024!", True),
        ("changeme123", True),
        ("my-fake-token", True),
        # A dummy word among random characters does not make a real password a dummy.
        ("Tr0ub4dor-Sample-9931", False),
        ("ghp_aB3fakeQ9zXy8Wv7Ut6Sr5Qp4On3Ml2Kj1", False),
    ],
)
def test_a_dummy_is_built_around_its_word_not_merely_containing_it(value: str, dummy: bool) -> None:
    from pytest_devsecops.scanners.secrets.filters import _mostly_dummy

    assert _mostly_dummy(value) is dummy
