"""``carbon bundle --results``: bundling a result the user already computed, and refusing one
that belongs to another factory, year, inventory version, meter file or engine."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from carbon_core.verify import make_bundle, verify_bundle
from carbon_core.verify.archive import BundleError
from verify_helpers import EXAMPLE

OTHER_CODE = "91350100M000100Y43"  # a valid code (GB 32100-2015 check digit), not the example's
EXAMPLE_CODE = "91340100MA2N0K1X3U"


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture(scope="module")
def example_results(tmp_path_factory) -> Path:
    """``carbon compute --json`` of the example, as a user would have it."""
    from carbon_core.cli import main

    out = tmp_path_factory.mktemp("res") / "results.json"
    r = CliRunner().invoke(main, ["compute", str(EXAMPLE), "--json"])
    assert r.exit_code == 0, r.output
    out.write_text(r.output, encoding="utf-8")
    return out


def test_bundle_of_given_results_verifies_and_matches_a_computed_bundle(example_results,
                                                                         example_bundle,
                                                                         tmp_path):
    out = tmp_path / "given.bundle"
    info = make_bundle(EXAMPLE, out, results=example_results)
    got = _members(out)
    # the user's file is bundled byte for byte, and parsed once for the caller
    assert got["results/results.json"] == example_results.read_bytes()
    assert info.results == json.loads(example_results.read_bytes())
    # the score from the file's metrics is the score a computing bundle writes
    assert got["results/score.json"] == _members(example_bundle)["results/score.json"]
    # every other member is the same file as in a bundle that computed
    ref = _members(example_bundle)
    same = {k for k in got if k not in ("manifest.json", "results/results.json")}
    assert same == {k for k in ref if k not in ("manifest.json", "results/results.json")}
    assert all(got[k] == ref[k] for k in same)
    rep = verify_bundle(out)
    assert rep.ok, [str(d) for d in rep.differences[:5]]
    assert rep.compared > 1000


def test_results_of_another_factory_refused_naming_both_codes(example_copy, tmp_path):
    from carbon_core import compute

    text = example_copy.read_text(encoding="utf-8")
    assert EXAMPLE_CODE in text
    example_copy.write_text(text.replace(EXAMPLE_CODE, OTHER_CODE), encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(compute(example_copy).to_dict()), encoding="utf-8")
    with pytest.raises(BundleError) as exc:
        make_bundle(EXAMPLE, tmp_path / "x.bundle", results=other)
    msg = str(exc.value)
    assert OTHER_CODE in msg and EXAMPLE_CODE in msg and "another factory" in msg
    assert not (tmp_path / "x.bundle").exists()


def _edited(example_results: Path, tmp_path: Path, edit) -> Path:
    doc = json.loads(example_results.read_bytes())
    edit(doc)
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.__setitem__("reporting_year", d["reporting_year"] - 1), "reporting_year is"),
    (lambda d: d["provenance"]["inventory"].__setitem__("sha256", "0" * 64),
     "another version of the inventory"),
    (lambda d: d["provenance"]["input_files"][0].__setitem__("sha256", "1" * 64),
     "meter data files"),
    (lambda d: d["provenance"]["engine"].__setitem__("version", "0.0.1"),
     "the installed engine is"),
    (lambda d: d.pop("provenance"), "not a carbon_core results document"),
])
def test_results_that_do_not_belong_are_refused(example_results, tmp_path, edit, words):
    bad = _edited(example_results, tmp_path, edit)
    with pytest.raises(BundleError, match="--results") as exc:
        make_bundle(EXAMPLE, tmp_path / "x.bundle", results=bad)
    assert words in str(exc.value)


def test_results_of_an_edited_inventory_refused(example_results, example_copy, tmp_path):
    text = example_copy.read_text(encoding="utf-8")
    example_copy.write_text(text + "\n# an edit after the results were computed\n",
                            encoding="utf-8")
    with pytest.raises(BundleError, match="another version of the inventory"):
        make_bundle(example_copy, tmp_path / "x.bundle", results=example_results)


def test_results_with_another_as_of_refused(example_results, tmp_path):
    with pytest.raises(BundleError, match="--as-of asks for '2024-06-30'"):
        make_bundle(EXAMPLE, tmp_path / "x.bundle", results=example_results, as_of="2024-06-30")


def test_edited_numbers_in_given_results_bundle_but_do_not_verify(example_results, tmp_path):
    """The belonging checks are about provenance; a changed number is the verifier's to find."""
    def edit(d):
        d["scope1"]["total_tco2e"] += 1.0

    bad = _edited(example_results, tmp_path, edit)
    out = tmp_path / "tampered.bundle"
    make_bundle(EXAMPLE, out, results=bad)
    rep = verify_bundle(out)
    assert not rep.ok
    assert any(d.item == "scope1" and d.field == "total_tco2e" for d in rep.differences)


def test_cli_bundle_results(example_results, tmp_path):
    from carbon_core.cli import main

    out = tmp_path / "cli.bundle"
    r = CliRunner().invoke(main, ["bundle", str(EXAMPLE), "--results", str(example_results),
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "bundle written" in r.output
    r = CliRunner().invoke(main, ["verify", str(out)])
    assert r.exit_code == 0, r.output
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ not json", encoding="utf-8")
    r = CliRunner().invoke(main, ["bundle", str(EXAMPLE), "--results", str(not_json),
                                  "-o", str(tmp_path / "y.bundle")])
    assert r.exit_code == 2
    assert "not a results JSON" in r.output and "Traceback" not in r.output
