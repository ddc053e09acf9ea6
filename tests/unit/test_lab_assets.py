"""The lab's front-end libraries are the files the npm registry published at the pinned versions, with
their licences, and the page loads nothing from anywhere else."""

from __future__ import annotations

import re

from webui import vendoring
from webui.routes.page import STATIC


def test_every_vendored_file_is_the_pinned_packages_file() -> None:
    manifest = vendoring.load()
    assert vendoring.check(manifest) == []
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), "an exact version, not a range"
        assert package["integrity"].startswith("sha512-")
        assert any(target.endswith("LICENSE") for target in package["files"].values())


def test_a_changed_vendored_file_is_caught(tmp_path, monkeypatch) -> None:
    manifest = vendoring.load()
    target = next(iter(manifest["packages"][0]["files"].values()))
    copy = tmp_path / target
    copy.parent.mkdir(parents=True)
    copy.write_bytes((vendoring.VENDOR / target).read_bytes() + b"\n// changed")
    monkeypatch.setattr(vendoring, "VENDOR", tmp_path)
    assert any(problem.startswith(target) for problem in vendoring.check(manifest))


def test_the_front_end_names_no_other_host() -> None:
    for path in STATIC.rglob("*"):
        if path.suffix in (".js", ".html", ".css") and "vendor" not in path.parts:
            text = path.read_text()
            assert not re.search(r"https?://", text), f"{path} refers to another host"
