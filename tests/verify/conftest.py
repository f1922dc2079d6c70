"""Shared fixtures of the verifier tests: one bundle of the example, built once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from verify_helpers import EXAMPLE, EXAMPLE_DIR


@pytest.fixture(scope="session")
def example_bundle(tmp_path_factory) -> Path:
    from carbon_core.verify import make_bundle

    out = tmp_path_factory.mktemp("bundle") / "example.bundle"
    make_bundle(EXAMPLE, out)
    return out


@pytest.fixture
def example_copy(tmp_path) -> Path:
    """The example inventory and its meter file in a folder of its own (safe to edit)."""
    for name in ("inventory.toml", "meters.parquet"):
        shutil.copy(EXAMPLE_DIR / name, tmp_path / name)
    return tmp_path / "inventory.toml"


@pytest.fixture
def rebundle(tmp_path):
    """Write a bundle from edited members with a manifest redone over them (a consistent forgery).

    ``rebundle(members, name, header=None, drop_role=None)``: ``members`` as read from a bundle
    (:func:`carbon_core.verify.archive.read_archive`), edited by the test; the new manifest lists
    every member the old one listed, except those of role ``drop_role``, with the old roles and
    ``header`` (default: the old header). Returns the new bundle's path in ``tmp_path``.
    """
    import json

    from carbon_core.verify.archive import write_archive
    from carbon_core.verify.bundle import build_manifest

    def build(members: dict[str, bytes], name: str, *, header: dict | None = None,
              drop_role: str | None = None) -> Path:
        man = json.loads(members["manifest.json"])
        roles = {m["path"]: m["role"] for m in man["members"] if m["role"] != drop_role}
        files = {p: (members[p], roles[p]) for p in roles}
        members["manifest.json"] = json.dumps(
            build_manifest(files, man["header"] if header is None else header)).encode()
        out = tmp_path / name
        write_archive(out, members)
        return out

    return build
