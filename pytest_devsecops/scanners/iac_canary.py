"""The IaC canary: a Dockerfile that runs as root, which `trivy config` must flag in every run."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from . import trivy

RULE = "DS-0002"  # "Image user should not be 'root'"
SAMPLE = "FROM alpine:3.20\nRUN echo canary\n"


class IacCanary:
    """trivy config on the sample, in the background, with the real scan's own flags."""

    def __init__(self, tool: Path, args: Sequence[str], workdir: Path, timeout: float) -> None:
        self.failure = ""
        folder = workdir / "sample"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text(SAMPLE, encoding="utf-8")
        self._thread = threading.Thread(
            target=self._run, args=(tool, list(args), folder, workdir, timeout), daemon=True
        )
        self._timeout = timeout
        self._thread.start()

    def _run(
        self, tool: Path, args: list[str], folder: Path, workdir: Path, timeout: float
    ) -> None:
        run = trivy.run_trivy(tool, "config", args, [folder], timeout=timeout, workdir=workdir)
        if run.error:
            self.failure = f"trivy failed on its canary sample: {run.error}"
            return
        found = {
            str(item.get("ID") or item.get("AVDID") or "")
            for result in run.results
            for item in result.get("Misconfigurations") or []
            if isinstance(item, dict) and item.get("Status") == "FAIL"
        }
        if RULE not in found:
            self.failure = (
                f"as configured, trivy did not find its canary: {RULE} (a Dockerfile that "
                "runs as root) — the tool or its rules are broken"
            )

    def wait(self) -> str:
        """Why the canary failed, or ''."""
        self._thread.join(self._timeout + 15)
        if self._thread.is_alive():
            return "trivy did not finish its canary sample in time"
        return self.failure
