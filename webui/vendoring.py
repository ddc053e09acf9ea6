"""Vendor the front end's libraries from the npm registry, pinned, with their licences.

`python -m webui.vendoring` fetches each package of `static/vendor/manifest.json` at its pinned version
with `npm pack` (the registry's ordinary client; Node is needed only here, never by users), checks the
tarball against the integrity recorded in the manifest, copies the listed files and records their
SHA-256. `--check` verifies the copied files against those hashes without any network (a unit test runs
it), so what the page loads is exactly what the registry published at that version.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).parent / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"


def load() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(manifest: dict[str, Any]) -> list[str]:
    """What differs between the vendored files and the manifest (empty: all as pinned)."""
    problems = []
    for package in manifest["packages"]:
        hashes = package.get("sha256", {})
        for target in package["files"].values():
            path = VENDOR / target
            if not path.exists():
                problems.append(f"{target}: missing")
            elif hashes.get(target) != sha256(path):
                problems.append(f"{target}: not the file of {package['name']}@{package['version']}")
    return problems


def _integrity(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def fetch(package: dict[str, Any], work: Path) -> None:
    spec = f"{package['name']}@{package['version']}"
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = work / json.loads(done.stdout)[0]["filename"]
    integrity = _integrity(tarball)
    if package.setdefault("integrity", integrity) != integrity:
        raise SystemExit(f"{spec}: the registry's tarball does not match the manifest's integrity")
    with tarfile.open(tarball) as archive:
        for source, target in package["files"].items():
            member = archive.extractfile(f"package/{source}")
            if member is None:
                raise SystemExit(f"{spec} has no file {source}")
            path = VENDOR / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(member.read())
    package["sha256"] = {target: sha256(VENDOR / target) for target in package["files"].values()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the vendored files, offline")
    args = parser.parse_args(argv)
    manifest = load()
    if args.check:
        problems = check(manifest)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    with tempfile.TemporaryDirectory() as work:
        for package in manifest["packages"]:
            fetch(package, Path(work))
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
