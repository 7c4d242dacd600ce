"""The quick start's promise: the example project scans offline and shows every planted issue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def test_the_example_project_shows_its_planted_findings(pytester: pytest.Pytester) -> None:
    shutil.copytree(
        EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".pytest_cache")
    )
    result = pytester.runpytest_subprocess("--devsecops", "-p", "no:cacheprovider", "-rf")
    result.stdout.fnmatch_lines_random(
        [
            "bandit *: 6 files scanned*, complete; 6 findings: 6 failed*",
            "pip-audit *: 4 dependencies scanned*, complete; 9 findings: 9 failed*",
            "built-in engine: 9 pages scanned*, complete; 13 findings: 13 failed*",
            "trivy * + ours: * files scanned*, complete; 7 findings: 7 failed*",
            "FAILED devsecops/secrets::aws-access-key-id[[]deploy/.env.production:2[]]*",
            "FAILED devsecops/secrets::url-credentials[[]deploy/.env.production:3[]]*",
            "FAILED devsecops/secrets::private-key[[]deploy/shop-deploy.pem:1[]]*",
            "FAILED devsecops/secrets::generic-secret[[]deploy/shop.ini:5[]]*",
            "FAILED devsecops/secrets::generic-secret[[]shop/admin.py:8[]]*",
            "FAILED devsecops/secrets::stripe-secret-token[[]shop/payments.py:6[]]*",
            "FAILED devsecops/secrets::github-pat[[]shop/static/checkout.js:2[]]*",
            "FAILED devsecops/bandit::B602[[]shop/admin.py:13[]]*",
            "FAILED devsecops/pip-audit::PYSEC-2019-217[[]jinja2==2.10[]]*",
            "FAILED devsecops/dast::40012[[]GET /search q[]]*",
            "FAILED devsecops/dast::40018[[]GET /orders customer[]]*",
            "FAILED devsecops/dast::20019-1[[]GET /go next[]]*",
            "FAILED devsecops/dast::40003[[]GET /go next[]]*",
            "SUBFAILED[[]40012[[]GET /search q[]][]] tests/test_web.py::test_web_front_end_passes_a_dast_scan*",
            "FAILED devsecops/dast::10038-1[[]site-wide[]]*",
            "test traffic: 2 URLs checked, complete; 0 findings",
            "trivy * (embedded checks + 2 Rego files from policies): 5 configuration files "
            "scanned*, complete; 39 findings: 39 failed*",
            "zizmor *: 2 workflow files scanned*, complete; 5 findings: 5 failed*",
            "FAILED devsecops/iac::DS-0002[[]Dockerfile[]]*",
            "FAILED devsecops/iac::KSV-0017[[]k8s/deployment.yaml[]]*",
            "FAILED devsecops/iac::AWS-0107[[]terraform/main.tf:aws_security_group.ssh[]]*",
            "FAILED devsecops/iac::USER-001[[]terraform/main.tf:aws_s3_bucket.uploads[]]*",
            "FAILED devsecops/iac::USER-002[[]Dockerfile[]]*",
            "FAILED devsecops/actions::template-injection[[].github/workflows/pr-comment.yml:17[]]*",
            "FAILED devsecops/actions::dangerous-triggers[[].github/workflows/pr-comment.yml:6[]]*",
            "trivy + OSV *: 1 image scanned*, complete; 7 findings: 7 failed*",
            "FAILED devsecops/image::DEBIAN-CVE-2024-0727[[]shop:1.0 openssl@3.0.11-1~deb12u2[]]*",
            "FAILED devsecops/image::DS-0002[[]shop:1.0[]]*",
            "FAILED devsecops/image::secret-aws-access-key-id[[]shop:1.0 /app/settings.py[]]*",
        ]
    )
    # The summary lines come first: when a count is off, they name the scanner that is.
    # Passing: 4 functional tests and 7 status items. Failing (the demo gates at "low"):
    # 6 bandit + 9 dependency + 7 secrets + 13 DAST items, the in-test DAST scan with its 13
    # subtests, the 5 site-wide findings on the functional tests' own traffic, which the DAST
    # scan reported too (once each, under devsecops/dast, with both sources), 7 image items,
    # 39 infrastructure findings (Dockerfile, Kubernetes, Terraform and the two custom Rego
    # checks) and 5 workflow ones.
    result.assert_outcomes(passed=11, failed=100)
    result.stdout.no_fnmatch_line("FAILED devsecops/dast-traffic::*")
    # The hardened twins stay clean.
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert not [line for line in failed if "hardened/" in line or "workflows/ci.yml" in line]
    for decoy in ("/safe-search", "/help/passwd", "/sql-help", "/safe-go"):
        assert not [line for line in result.outlines if line.startswith("FAILED") and decoy in line]
    # The planted secrets are shown masked, never in clear.
    planted = ("AKIAZ4RT7WQ2MVB5XK3P", "Wq3-tide-Harbor-91", "Harbor-Lantern-2718", "letmein-2024")
    planted += ("sk_live_4fQ9zL2mX8rT1vB6nK3pW7cY", "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K")
    assert [value for value in planted if value in result.stdout.str()] == []
