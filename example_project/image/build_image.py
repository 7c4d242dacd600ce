"""Build a small `docker save`-format image tarball without Docker: the example's `shop:1.0`.

    python build_image.py            # writes shop-1.0.tar beside this script

The image is a hand-made Debian 12 root with an old openssl and zlib in dpkg's status file,
Jinja2 2.10 installed for Python, no USER (so it runs as root), and a fake AWS key baked into
/app/settings.py: everything the `image` scanner reports. The bytes are deterministic.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path

DEBIAN_12 = {
    "etc/os-release": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n'
    ),
    "etc/debian_version": "12.5\n",
}


def dpkg_status(packages: list[tuple[str, str, str]]) -> str:
    """A /var/lib/dpkg/status for (binary package, source package, version) triples."""
    stanzas = []
    for name, source, version in packages:
        lines = [f"Package: {name}", "Status: install ok installed", "Architecture: amd64"]
        if source != name:
            lines.append(f"Source: {source}")
        lines += [f"Version: {version}", f"Description: {name}", ""]
        stanzas.append("\n".join(lines))
    return "\n".join(stanzas) + "\n"


def python_dist(name: str, version: str) -> dict[str, str]:
    """A dist-info folder as pip leaves it, enough for trivy to list the package."""
    folder = f"usr/local/lib/python3.11/site-packages/{name.lower()}-{version}.dist-info"
    return {f"{folder}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"}


def _tar(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_image(
    path: Path,
    files: Mapping[str, str | bytes],
    tag: str = "shop:1.0",
    user: str = "",
    env: tuple[str, ...] = ("PATH=/usr/local/bin:/usr/bin:/bin",),
) -> Path:
    """Write a one-layer image tarball holding `files` (as `docker save` lays it out)."""
    layer = _tar(
        {name: data.encode() if isinstance(data, str) else data for name, data in files.items()}
    )
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": list(env), "Cmd": ["python", "-m", "shop"], "User": user},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [
            {"created": "2026-01-01T00:00:00Z", "created_by": "COPY rootfs/ /"},
            {
                "created": "2026-01-01T00:00:00Z",
                "created_by": "ENV PYTHONUNBUFFERED=1",
                "empty_layer": True,
            },
            {
                "created": "2026-01-01T00:00:00Z",
                "created_by": 'CMD ["python", "-m", "shop"]',
                "empty_layer": True,
            },
        ],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": ["layer/layer.tar"]}]
    path.write_bytes(
        _tar(
            {
                "manifest.json": json.dumps(manifest).encode(),
                config_name: config_bytes,
                "layer/layer.tar": layer,
            }
        )
    )
    return path


def write_oci_layout(folder: Path, files: Mapping[str, str | bytes], tag: str = "1.0") -> Path:
    """The same one-layer image as an OCI image layout folder (what `skopeo copy oci:` writes)."""
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    layer = _tar(
        {name: data.encode() if isinstance(data, str) else data for name, data in files.items()}
    )
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": ""},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [
            {"created_by": "COPY rootfs/ /"},
            {"created_by": "ENV PYTHONUNBUFFERED=1", "empty_layer": True},
        ],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar")],
    }
    entry = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (folder / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return folder


def example_files() -> dict[str, str]:
    """The example image: old openssl and zlib, Jinja2 2.10, a fake AWS key in a layer."""
    files = dict(DEBIAN_12)
    files["var/lib/dpkg/status"] = dpkg_status(
        [("openssl", "openssl", "3.0.11-1~deb12u2"), ("zlib1g", "zlib", "1:1.2.13.dfsg-1")]
    )
    files.update(python_dist("Jinja2", "2.10"))
    # A fake key, planted for the demo (AWS's format, not AWS's documented example key).
    files["app/settings.py"] = 'AWS_ACCESS_KEY_ID = "AKIAZ7QX4LMN2PQR8TUV"\n'
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("shop-1.0.tar")
    print(write_image(target, example_files()))
