"""The one redaction and escaping step every scanner's result goes through before anyone sees it."""

from __future__ import annotations

import dataclasses

from .finding import Component, Coverage, Finding, Location, ScanResult, Skipped
from .redact import clean, printable, redact


def result(scan: ScanResult) -> ScanResult:
    """`scan` with every text field redacted and made printable, whichever scanner wrote it.

    Identities are redacted too (not escaped), so a fingerprint is computed on the masked
    line: a committed baseline cannot confirm a guessed password.
    """
    coverage = scan.coverage
    return dataclasses.replace(
        scan,
        tool=clean(scan.tool),
        version=clean(scan.version),
        findings=tuple(finding(item) for item in scan.findings),
        coverage=Coverage(
            requested=tuple(clean(text) for text in coverage.requested),
            scanned=tuple(clean(text) for text in coverage.scanned),
            skipped=tuple(
                Skipped(clean(skip.target), clean(skip.reason), skip.deliberate)
                for skip in coverage.skipped
            ),
            unit=printable(coverage.unit),
        ),
        error=printable(redact(scan.error), multiline=True),
        hint=printable(redact(scan.hint), multiline=True),
        notes=tuple(printable(redact(note), multiline=True) for note in scan.notes),
        components=tuple(
            Component(
                clean(item.name), clean(item.version), clean(item.purl), clean(item.path), item.line
            )
            for item in scan.components
        ),
    )


def finding(item: Finding) -> Finding:
    """One finding, every field that is shown or stored cleaned."""
    where = item.location
    return dataclasses.replace(
        item,
        scanner=printable(item.scanner),
        rule=printable(item.rule),
        title=clean(item.title),
        location=Location(
            path=printable(where.path),
            line=where.line,
            column=where.column,
            url=clean(where.url),
            method=clean(where.method),
            param=clean(where.param),
        ),
        identity=redact(item.identity),
        confidence=clean(item.confidence),
        snippet=printable(redact(item.snippet), multiline=True),
        remediation=printable(redact(item.remediation), multiline=True),
        references=tuple(clean(reference) for reference in item.references),
        label=clean(item.label),
        details=tuple((clean(name), clean(value)) for name, value in item.details),
        policy=printable(item.policy),
    )
