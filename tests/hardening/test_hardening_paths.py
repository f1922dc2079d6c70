"""Data files an inventory names stay inside its folder (issue 9, "Paths"): absolute paths, ``..``
escapes and symlinks out of the folder are refused, on every read path (in memory and chunked),
before anything is read; ``--allow-outside-paths`` is the one documented way to accept them."""

from __future__ import annotations

import json
import shutil

import pytest

from carbon_core.cli import main
from hardening_helpers import no_traceback


def _point_data_at(inv, name):
    text = inv.read_text(encoding="utf-8")
    assert 'files = ["meters.parquet"]' in text
    inv.write_text(text.replace('files = ["meters.parquet"]', f"files = [{json.dumps(name)}]"),
                   encoding="utf-8")


@pytest.fixture
def outside(example, tmp_path_factory):
    """The example's meter file moved out of the inventory's folder (a valid file: a refusal is
    the confinement, never a read error)."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "meters.parquet"
    shutil.move(example.parent / "meters.parquet", elsewhere)
    return elsewhere


@pytest.mark.parametrize("extra", [[], ["--memory-limit", "1MB"]], ids=["memory", "chunked"])
@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_path_out_of_the_folder_refused(runner, example, outside, how, extra):
    if how == "absolute":
        name = str(outside)
    elif how == "dotdot":
        name = f"../{outside.parent.name}/{outside.name}"
    else:
        (example.parent / "link.parquet").symlink_to(outside)
        name = "link.parquet"
    _point_data_at(example, name)
    r = runner.invoke(main, ["compute", str(example), "--json", *extra])
    no_traceback(r)
    assert r.exit_code == 2, r.output
    assert "field 'files[0]'" in r.output and str(example) in r.output
    assert ("absolute path refused" if how == "absolute"
            else "path leaves the inventory folder") in r.output
    assert "--allow-outside-paths" in r.output  # the way out is named


@pytest.mark.parametrize("extra", [[], ["--memory-limit", "1MB"]], ids=["memory", "chunked"])
def test_allow_outside_paths_accepts_them(runner, example, outside, extra):
    _point_data_at(example, str(outside))
    r = runner.invoke(main, ["compute", str(example), "--json", "--allow-outside-paths", *extra])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["provenance"]["input_files"]


def test_inside_subfolder_accepted(runner, example):
    (example.parent / "data").mkdir()
    shutil.move(example.parent / "meters.parquet", example.parent / "data" / "meters.parquet")
    _point_data_at(example, "data/meters.parquet")
    r = runner.invoke(main, ["compute", str(example), "--json"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("extra", [[], ["--memory-limit", "1MB"]], ids=["memory", "chunked"])
def test_refused_before_anything_is_read(runner, example, outside, extra):
    """The file out of the folder is junk: the refusal names the path, never the junk (it was
    not opened)."""
    outside.write_bytes(b"not a parquet file")
    _point_data_at(example, str(outside))
    r = runner.invoke(main, ["compute", str(example), "--json", *extra])
    no_traceback(r)
    assert r.exit_code == 2 and "absolute path refused" in r.output
    assert "damaged" not in r.output and "not this format" not in r.output
