"""The actions scanner: zizmor offline over workflows and composite actions, fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from infra_trees import BAD_WORKFLOW, HARDENED_WORKFLOW, write

from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.scanners.actions import ActionsScanner
from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.tools import find_tool
from pytest_devsecops.settings import DEFAULT_EXCLUDES

pytestmark = pytest.mark.skipif(not find_tool("zizmor").found, reason="zizmor is not installed")

REPOSITORY = Path(__file__).resolve().parent.parent


def scan(root: Path, tmp_path: Path, paths: tuple[Path, ...] = (), **options: object) -> ScanResult:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    context = ScanContext(
        root=root,
        paths=paths or (root,),
        excludes=DEFAULT_EXCLUDES,
        timeout=120,
        workdir=workdir,
    )
    return ActionsScanner(**options).scan(context)  # type: ignore[arg-type]


def test_the_classic_mistakes_are_reported_and_the_hardened_twin_is_clean(tmp_path: Path) -> None:
    root = write(
        tmp_path / "project",
        {
            ".github/workflows/pr.yml": BAD_WORKFLOW,
            ".github/workflows/ci.yml": HARDENED_WORKFLOW,
            "tools/greet/action.yml": (
                "name: greet\ndescription: d\nruns:\n  using: composite\n  steps:\n"
                '    - run: echo "${{ github.event.issue.title }}"\n      shell: bash\n'
            ),
        },
    )
    result = scan(root, tmp_path)
    assert result.complete, result.error or result.coverage.gaps
    found = {(f.rule, f.item_label) for f in result.findings}
    assert ("template-injection", ".github/workflows/pr.yml:11") in found
    assert ("unpinned-uses", ".github/workflows/pr.yml:8") in found
    assert ("dangerous-triggers", ".github/workflows/pr.yml:3") in found
    assert ("template-injection", "tools/greet/action.yml:6") in found
    assert not [f for f in result.findings if f.location.path.endswith("ci.yml")]
    injection = next(f for f in result.findings if f.rule == "template-injection")
    assert injection.severity.value == "high"
    assert injection.confidence == "high"
    assert "github.event.pull_request.title" in injection.snippet
    assert injection.references == ("https://docs.zizmor.sh/audits/#template-injection",)
    # zizmor's low-confidence findings move one step down the scale, as bandit's do.
    artipacked = next(f for f in result.findings if f.rule == "artipacked")
    assert (artipacked.confidence, artipacked.severity.value) == ("low", "low")


def test_a_workflow_zizmor_cannot_load_fails_the_status(tmp_path: Path) -> None:
    root = write(
        tmp_path / "project",
        {
            ".github/workflows/ci.yml": HARDENED_WORKFLOW,
            ".github/workflows/broken.yml": "name: x\non: [push\njobs: {\n",
            ".github/workflows/schema.yml": "name: x\non: push\njobs:\n  a:\n    steps: 5\n",
        },
    )
    result = scan(root, tmp_path)
    gaps = {skip.target: skip.reason for skip in result.coverage.gaps}
    assert set(gaps) == {".github/workflows/broken.yml", ".github/workflows/schema.yml"}
    assert "invalid YAML syntax" in gaps[".github/workflows/broken.yml"]
    assert "runs-on" in gaps[".github/workflows/schema.yml"]
    assert result.coverage.scanned == (".github/workflows/ci.yml",)


def test_no_workflows_passes_and_says_so(tmp_path: Path) -> None:
    result = scan(write(tmp_path / "p", {"app.py": ""}), tmp_path)
    assert result.complete
    assert result.notes == ("no workflows",)


def test_inline_ignores_and_a_repository_zizmor_config_change_nothing(tmp_path: Path) -> None:
    ignored = BAD_WORKFLOW.replace(
        'run: echo "${{ github.event.pull_request.title }}"',
        'run: echo "${{ github.event.pull_request.title }}" # zizmor: ignore[template-injection]',
    )
    root = write(
        tmp_path / "project",
        {
            ".github/workflows/pr.yml": ignored,
            ".github/zizmor.yml": "rules:\n  template-injection:\n    disable: true\n",
            "zizmor.yml": "rules:\n  template-injection:\n    disable: true\n",
        },
    )
    assert "template-injection" in {f.rule for f in scan(root, tmp_path).findings}


def test_the_repository_workflows_are_audited_wherever_the_code_is(tmp_path: Path) -> None:
    root = write(tmp_path / "project", {".github/workflows/pr.yml": BAD_WORKFLOW, "src/a.py": ""})
    result = scan(root, tmp_path, paths=(root / "src",))
    assert result.coverage.scanned == (".github/workflows/pr.yml",)


def test_our_own_ci_workflow_passes_our_actions_scanner(tmp_path: Path) -> None:
    result = scan(REPOSITORY, tmp_path, paths=(REPOSITORY / "pytest_devsecops",))
    assert result.complete, result.error or result.coverage.gaps
    assert ".github/workflows/ci.yml" in result.coverage.scanned
    assert result.findings == ()
    ci = (REPOSITORY / ".github/workflows/ci.yml").read_text()
    assert "uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683" in ci
    assert "run: .ci/run" in ci


def test_a_missing_zizmor_is_an_error_when_named_and_a_skip_otherwise(tmp_path: Path) -> None:
    named = scan(tmp_path, tmp_path, zizmor_path=tmp_path / "none", required=True)
    assert named.error
    assert "pytest-devsecops[actions]" in named.hint
    default = scan(tmp_path, tmp_path, zizmor_path=tmp_path / "none")
    assert not default.error
    assert "pytest-devsecops[actions]" in default.unavailable


def test_the_readme_signed_commits_job_passes_our_actions_scanner(tmp_path: Path) -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Checking a pull request's commits") :]
    job = section[section.index("```yaml") + len("```yaml") : section.index("```\n\n")]
    assert "devsecops_commit_range=origin/$BASE..HEAD" in job
    root = write(tmp_path / "project", {".github/workflows/commits.yml": "name: commits\n" + job})
    result = scan(root, tmp_path)
    assert result.complete, result.coverage.gaps
    assert result.findings == ()
