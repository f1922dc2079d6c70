"""Hostile archives are refused before anything is inflated or written (the bundle will be
uploaded to a web server): path escapes, absolute paths, symlinks, bombs, too many members."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from carbon_core.verify import BundleError, Limits, verify_bundle
from carbon_core.verify.archive import check_member_name, read_archive, write_archive


def _zip(path: Path, entries, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for item in entries:
            if isinstance(item, zipfile.ZipInfo):
                zf.writestr(item, b"target")
            else:
                name, data = item
                zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name, why", [
    ("../outside.txt", "escapes"),
    ("inventory/../../outside.txt", "escapes"),
    ("/etc/passwd", "absolute"),
    ("C:/Windows/win.ini", "absolute"),
    ("inventory\\..\\x", "backslash"),
    ("a//b", "normalised"),
    ("./a", "normalised"),
    ("a\x00b", "NUL"),
])
def test_bad_member_names_are_refused(tmp_path, name, why):
    assert why in (check_member_name(name) or "")
    path = tmp_path / "bad.bundle"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("placeholder")
        info.filename = name  # bypass zipfile's own normalisation, as an attacker would
        zf.writestr(info, b"x")
    with pytest.raises(BundleError) as exc:
        read_archive(path)
    assert "refused" in str(exc.value) or "cannot be read" in str(exc.value)
    with pytest.raises(BundleError):
        write_archive(tmp_path / "w.bundle", {name: b"x"})


def test_symlink_member_is_refused(tmp_path):
    info = zipfile.ZipInfo("inventory/meters.parquet")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = _zip(tmp_path / "link.bundle", [info])
    with pytest.raises(BundleError, match="symlink"):
        read_archive(path)


def test_device_member_is_refused(tmp_path):
    info = zipfile.ZipInfo("dev")
    info.create_system = 3
    info.external_attr = (stat.S_IFCHR | 0o644) << 16
    with pytest.raises(BundleError, match="special file"):
        read_archive(_zip(tmp_path / "dev.bundle", [info]))


def test_compression_bomb_is_refused_before_inflating(tmp_path):
    path = _zip(tmp_path / "bomb.bundle", [("results/results.json", b"\0" * 20_000_000)])
    assert path.stat().st_size < 100_000  # 20 MB of zeros in a few kB
    with pytest.raises(BundleError, match="inflates"):
        read_archive(path)


def test_member_and_total_size_limits(tmp_path):
    path = _zip(tmp_path / "big.bundle", [("a", b"x" * 5000), ("b", b"y" * 5000)],
                compression=zipfile.ZIP_STORED)
    with pytest.raises(BundleError, match="declares 5000 bytes"):
        read_archive(path, Limits(max_member_bytes=4000))
    with pytest.raises(BundleError, match="total more than"):
        read_archive(path, Limits(max_total_bytes=8000))


def test_member_count_limit(tmp_path):
    path = _zip(tmp_path / "many.bundle", [(f"m{i}", b"") for i in range(20)])
    with pytest.raises(BundleError, match="20 members"):
        read_archive(path, Limits(max_members=10))


def test_duplicate_members_are_refused(tmp_path):
    import warnings

    path = tmp_path / "dup.bundle"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        _zip(path, [("manifest.json", b"{}"), ("manifest.json", b"{}")])
    with pytest.raises(BundleError, match="appears twice"):
        read_archive(path)


def test_lying_size_header_is_refused(tmp_path):
    path = _zip(tmp_path / "lie.bundle", [("a", b"x" * 1000)], compression=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    # central directory entry: uncompressed size at offset 24 of the "PK\x01\x02" record
    cd = raw.rindex(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(BundleError):
        read_archive(path)


def test_not_a_zip_and_not_a_bundle(tmp_path):
    junk = tmp_path / "junk.bundle"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(BundleError, match="not a readable ZIP"):
        verify_bundle(junk)
    empty = _zip(tmp_path / "empty.bundle", [("x", b"1")])
    with pytest.raises(BundleError, match="no manifest.json"):
        verify_bundle(empty)
    bad_manifest = _zip(tmp_path / "bm.bundle", [("manifest.json", b"{not json")])
    with pytest.raises(BundleError, match="manifest.json"):
        verify_bundle(bad_manifest)


def test_unlisted_member_is_named(tmp_path, example_bundle):
    members = read_archive(example_bundle)
    members["factors/core/smuggled.toml"] = b'schema = "carbon_core.factors/1"\n'
    out = tmp_path / "smuggled.bundle"
    write_archive(out, members)
    rep = verify_bundle(out)
    assert not rep.ok
    assert any("'factors/core/smuggled.toml' is not listed" in p for p in rep.integrity)


def test_a_manifest_header_pointing_outside_is_refused(example_bundle, rebundle):
    """A consistent manifest (root recomputed) whose header names a path that is no member."""
    import json

    members = read_archive(example_bundle)
    header = dict(json.loads(members["manifest.json"])["header"], inventory="../../../etc/passwd")
    rep = verify_bundle(rebundle(members, "header.bundle", header=header))
    assert not rep.ok and rep.recomputed is None
    assert any("header inventory names '../../../etc/passwd'" in p for p in rep.integrity)


def test_a_bundle_without_results_is_refused(example_bundle, rebundle):
    members = read_archive(example_bundle)
    del members["results/results.json"]
    rep = verify_bundle(rebundle(members, "nores.bundle", drop_role="results"))
    assert not rep.ok and any("results/results.json" in p for p in rep.integrity)
