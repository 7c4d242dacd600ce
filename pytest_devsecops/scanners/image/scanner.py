"""The `image` scanner: one finding per (image, package, advisory), config check and secret."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from ...core.finding import Component, Coverage, Finding, Location, ScanResult, Skipped
from ...core.redact import printable, redact
from ...core.severity import Severity
from .. import severities
from ..dependencies import osv
from ..dependencies.model import Advisory
from ..interface import ScanContext
from ..tools import find_tool
from ..trivy import version as trivy_version
from . import advisories as advisories_mod
from . import online
from .config import ImageSettings
from .ecosystems import PYPI, Ecosystem, UnsupportedOs, os_ecosystem
from .inventory import ImageInventory, InventoryError, Package, read_inventory

_EXTRA = 'pip install "pytest-devsecops[image]"'


class ImageScanner:
    """Container images: packages matched against OSV, trivy's config checks and secret scan."""

    name = "image"

    def __init__(self, settings: ImageSettings) -> None:
        self.settings = settings

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        settings = self.settings
        lookup = find_tool("trivy", settings.trivy or None)
        if lookup.path is None:
            return ScanResult(
                self.name,
                "trivy + OSV",
                "",
                error=lookup.problem,
                hint=lookup.hint,
                coverage=Coverage(requested=settings.images, unit="images"),
            )
        try:
            import univers  # noqa: F401 - distro version ordering comes from it
        except ImportError:
            return ScanResult(
                self.name,
                "trivy + OSV",
                "",
                error="the image scanner needs the univers package to order distro versions",
                hint=_EXTRA,
                coverage=Coverage(requested=settings.images, unit="images"),
            )
        if not settings.images:
            return ScanResult(
                self.name,
                "trivy + OSV",
                "",
                error="no image to scan",
                hint="list images in ini devsecops_images (names, docker save tarballs or OCI "
                "layout folders), or use the devsecops_image fixture in a test",
                coverage=Coverage(unit="images"),
            )
        findings: list[Finding] = []
        gaps: list[Skipped] = []
        notes: list[str] = []
        components: list[Component] = []
        scanned: list[str] = []
        for image in settings.images:
            outcome = scan_image(image, context, settings, lookup.path)
            findings += outcome.findings
            gaps += outcome.gaps
            notes += outcome.notes
            components += outcome.components
            if outcome.read:
                scanned.append(image)
        return ScanResult(
            self.name,
            "trivy + OSV",
            trivy_version(lookup.path),
            tuple(findings),
            Coverage(
                requested=settings.images,
                scanned=tuple(scanned),
                skipped=tuple(gaps),
                unit="images",
            ),
            hint=_hint(gaps),
            notes=tuple(notes),
            duration=time.monotonic() - started,
            components=tuple(components),
        )


@dataclasses.dataclass
class ImageOutcome:
    """One image's findings, coverage gaps, notes and packages."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    gaps: list[Skipped] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    components: list[Component] = dataclasses.field(default_factory=list)
    read: bool = False


def scan_image(
    image: str, context: ScanContext, settings: ImageSettings, trivy: Path
) -> ImageOutcome:
    """Inventory one image with trivy and match it; problems become gaps of this image."""
    outcome = ImageOutcome()
    local = _local_path(image, context.root)
    try:
        inventory = read_inventory(
            trivy, str(local or image), local is not None, context.workdir, context.timeout, image
        )
    except InventoryError as exc:
        outcome.gaps.append(Skipped(image, printable(redact(str(exc)))))
        return outcome
    outcome.read = True
    where = context.relative(local) if local is not None else settings.config_file
    reference = printable(inventory.reference)
    ecosystems: list[Ecosystem] = []
    os_packages = [p for p in inventory.packages if p.kind == "os"]
    lang_packages = [p for p in inventory.packages if p.kind != "os"]
    distro: Ecosystem | None = None
    try:
        distro = os_ecosystem(inventory.os_family, inventory.os_release)
        ecosystems.append(distro)
    except UnsupportedOs as exc:
        outcome.gaps.append(Skipped(f"{reference} OS packages", str(exc)))
    if inventory.os_family and not os_packages:
        # An OS without a package database (or one trivy could not read) would look clean.
        outcome.gaps.append(
            Skipped(
                f"{reference} OS packages",
                f"trivy found no installed package in the {inventory.os_family} image (is its "
                "package database missing or unreadable?)",
            )
        )
    if lang_packages:
        ecosystems.append(PYPI)
    outcome.notes.append(
        f"{reference}: image {inventory.image_id[:19] or 'id unknown'}, "
        f"{inventory.os_family or 'no OS'} {inventory.os_release}, "
        f"{inventory.layers} layer{'s' if inventory.layers != 1 else ''}, "
        f"{len(os_packages)} OS and {len(lang_packages)} Python packages"
    )
    matcher = _matcher(ecosystems, settings, outcome, reference, inventory.packages, distro)
    if matcher is not None:
        for package in inventory.packages:
            ecosystem = distro if package.kind == "os" else PYPI
            if ecosystem is None:
                continue
            try:
                outcome.findings += _vulnerabilities(
                    package, ecosystem, matcher.get(ecosystem.name, {}), reference, where, settings
                )
            except ValueError as exc:  # a version its ecosystem cannot order: never "clean"
                outcome.gaps.append(
                    Skipped(
                        printable(f"{reference} {package.installed_name} {package.version}"),
                        f"not checked against its advisories: {printable(str(exc))}",
                    )
                )
    if not inventory.config_checked and inventory.user.split(":")[0] in ("", "root", "0"):
        # trivy derives its config checks from the build history; with too little history it
        # checks nothing and says nothing, so a root image would look clean.
        outcome.gaps.append(
            Skipped(
                f"{reference} configuration",
                "trivy ran no configuration check on the image (too little build history) and "
                "the image runs as root",
            )
        )
    outcome.findings += _config_findings(inventory, reference, where)
    outcome.findings += _secret_findings(inventory, reference, where)
    outcome.components += [
        Component(p.installed_name, p.version, p.purl, where) for p in inventory.packages
    ]
    return outcome


def _matcher(
    ecosystems: Sequence[Ecosystem],
    settings: ImageSettings,
    outcome: ImageOutcome,
    reference: str,
    packages: Sequence[Package],
    distro: Ecosystem | None,
) -> dict[str, dict[str, tuple[Advisory, ...]]] | None:
    """Advisories by ecosystem and package; an ecosystem without records is a coverage gap."""
    if not ecosystems:
        return {}
    if settings.osv_dbs:
        loaded = advisories_mod.load_offline(settings.osv_dbs, ecosystems)
        for member, why in loaded.problems[:20]:
            outcome.gaps.append(
                Skipped(f"advisory {member}", f"unreadable record: {printable(why)}")
            )
        result = {}
        for ecosystem in ecosystems:
            index = loaded.indexes[ecosystem.name]
            if not index.records:
                # Matching against nothing would make every package of that distro look clean.
                outcome.gaps.append(
                    Skipped(
                        f"{reference} {ecosystem.name} packages",
                        f"the offline OSV database holds no {ecosystem.name} records",
                    )
                )
                continue
            outcome.notes.append(
                f"{reference}: {index.records} {ecosystem.name} advisories offline"
            )
            result[ecosystem.name] = dict(index.by_package)
        return result
    grouped: dict[Ecosystem, list[Package]] = {e: [] for e in ecosystems}
    for package in packages:
        home = distro if package.kind == "os" else PYPI
        if home is not None:
            grouped[home].append(package)
    base = online.api_base(settings.osv_url)
    outcome.notes.append(f"{reference}: advisories queried online from {base}")
    try:
        return online.query(grouped, base, settings.request_timeout)
    except online.OnlineError as exc:
        outcome.gaps.append(Skipped(f"{reference} packages", printable(str(exc))))
        return None


def _vulnerabilities(
    package: Package,
    ecosystem: Ecosystem,
    by_package: dict[str, tuple[Advisory, ...]],
    reference: str,
    where: str,
    settings: ImageSettings,
) -> list[Finding]:
    key = package.name if ecosystem.kind != "pypi" else _canonical(package.name)
    hits: list[tuple[Advisory, list[str]]] = []
    for advisory in by_package.get(key, ()):
        affected, fixes = advisories_mod.affected_and_fixes(
            advisory, package.name, package.version, ecosystem
        )
        if affected:
            hits.append((advisory, fixes))
    fixes_by_id = {advisory.id: fixes for advisory, fixes in hits}
    findings = []
    for group in osv.merge(advisory for advisory, _ in hits):
        ids = frozenset().union(*(a.ids for a in group))
        primary = osv.primary_id(a.id for a in group)
        rating = osv.rate(group, settings.default_severity)
        fixed = sorted({v for a in group for v in fixes_by_id[a.id]})
        first_fix = next((fixes_by_id[a.id][0] for a in group if fixes_by_id[a.id]), "")
        summary = printable(next((a.summary for a in group if a.summary), primary))
        details = [
            ("image", reference),
            (
                "installed",
                f"{package.installed_name} {package.version}"
                + (
                    f" (source package {package.name})"
                    if package.name != package.installed_name
                    else ""
                ),
            ),
            ("ecosystem", ecosystem.name),
            ("purl", printable(package.purl)),
            ("fixed in", ", ".join(fixed) if fixed else "no fixed version published"),
            ("severity from", rating.source),
        ]
        if others := sorted(ids - {primary}):
            details.insert(3, ("aliases", ", ".join(others)))
        remediation = (
            f"Rebuild the image with {package.name} {first_fix} or later (update the base image "
            "or upgrade the package)."
            if first_fix
            else "No fixed version is published: remove the package, mitigate, or accept the "
            "risk in the baseline with a reason."
        )
        cwes = [c for a in group for c in a.cwes]
        findings.append(
            Finding(
                scanner=ImageScanner.name,
                rule=primary,
                title=summary if len(summary) <= 200 else summary[:197] + "...",
                severity=rating.severity,
                location=Location(path=where),
                # Image name, package and advisory, not the version or digest: a rebuild keeps an
                # accepted risk accepted; an upgraded base image makes the entry stale.
                identity=f"{reference}\x1f{ecosystem.base}\x1f{package.name}\x1f{primary}",
                cwe=cwes[0] if cwes else None,
                remediation=remediation,
                references=(f"https://osv.dev/vulnerability/{primary}",),
                label=f"{reference} {package.installed_name}@{package.version}",
                details=tuple(details),
            )
        )
    return findings


def _config_findings(inventory: ImageInventory, reference: str, where: str) -> list[Finding]:
    return [
        Finding(
            scanner=ImageScanner.name,
            rule=issue.check,
            title=printable(issue.title),
            severity=_severity(issue.severity),
            location=Location(path=where),
            identity=f"{reference}\x1fconfig\x1f{issue.check}",
            remediation=printable(redact(issue.resolution)),
            references=(issue.url,) if issue.url.startswith("https://") else (),
            label=reference,
            details=(("image", reference), ("check", printable(redact(issue.message)))),
        )
        for issue in inventory.config_issues
    ]


def _secret_findings(inventory: ImageInventory, reference: str, where: str) -> list[Finding]:
    findings = []
    for secret in inventory.secrets:
        masked = printable(redact(secret.match))
        path = printable(secret.path)
        findings.append(
            Finding(
                scanner=ImageScanner.name,
                rule=f"secret-{secret.rule}",
                title=f"{printable(secret.title)} baked into the image",
                severity=_severity(secret.severity),
                location=Location(path=where),
                identity=f"{reference}\x1fsecret\x1f{secret.rule}\x1f{path}\x1f{masked}",
                snippet=masked,
                remediation="Remove the secret from the image (and its layer history: rebuild "
                "without it), rotate it, and pass secrets at run time instead.",
                label=f"{reference} {path}",
                details=(
                    ("image", reference),
                    ("file", f"{path}:{secret.line}"),
                    ("layer", printable(redact(secret.layer_command))[:120] or "unknown"),
                ),
            )
        )
    return findings


def _severity(text: str) -> Severity:
    return severities.trivy(text)  # the one trivy mapping, shared with the iac scanner


def _local_path(image: str, root: Path) -> Path | None:
    """The archive or OCI layout an image entry names, when it is a path rather than a name."""
    candidate = (root / image) if not Path(image).is_absolute() else Path(image)
    if candidate.is_file() or (candidate.is_dir() and (candidate / "index.json").is_file()):
        return candidate
    return None


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _hint(gaps: Sequence[Skipped]) -> str:
    if any("holds no" in gap.reason for gap in gaps):
        return (
            "add the OSV export of that ecosystem to devsecops_osv_db (e.g. Debian/all.zip, "
            "Alpine/all.zip from osv.dev's bucket), or leave devsecops_osv_db unset to query OSV"
        )
    if gaps:
        return "see the notes above; an image that cannot be read or matched is never clean"
    return ""
