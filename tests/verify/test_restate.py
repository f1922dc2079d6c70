"""Restatement: two results of one factory and year, explained by cause."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import carbon_core
from carbon_core.cli import main
from carbon_core.errors import InputError
from carbon_core.verify import explain_difference

from verify_helpers import EXAMPLE


@pytest.fixture(scope="module")
def old_new(tmp_path_factory):
    d = tmp_path_factory.mktemp("restate")
    old = carbon_core.compute(EXAMPLE, as_of="2024-12-19").to_dict()  # 2021 grid factors
    new = carbon_core.compute(EXAMPLE, as_of="2025-01-31").to_dict()  # 2022 grid factors
    (d / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (d / "new.json").write_text(json.dumps(new), encoding="utf-8")
    return d / "old.json", d / "new.json", old, new


def test_changed_factor_editions_explain_the_grid_lines(old_new):
    _, _, old, new = old_new
    r = explain_difference(old, new)
    assert r.inputs == [] and r.engine == []
    assert "mee-nbs-electricity-2022: edition now used" in r.factor_editions
    assert "mee-nbs-electricity-2021: edition no longer used" in r.factor_editions
    assert "as-of date 2024-12-19 -> 2025-01-31" in r.factor_editions
    assert any(f.startswith("electricity.grid.average (CN-AH): 0.7075 (data year 2021")
               for f in r.factors)
    moved = {li["id"]: li for li in r.line_items}
    assert set(moved) == {"purchased_electricity:grid-incomer-1:CO2",
                          "purchased_electricity:grid-incomer-2:CO2",
                          "exported_electricity:pv-export:CO2"}
    for li in moved.values():
        assert li["causes"] == ["factor changed (factor editions)"]
    g1 = moved["purchased_electricity:grid-incomer-1:CO2"]
    assert g1["new_tco2e"] / g1["old_tco2e"] == pytest.approx(0.6782 / 0.7075)
    quantities = {t["quantity"] for t in r.totals}
    assert {"Scope 2 location-based", "total"} <= quantities


def test_changed_input_is_named(old_new, example_copy):
    _, _, old, _ = old_new
    text = example_copy.read_text(encoding="utf-8").replace("amount = 18.6", "amount = 19.6")
    example_copy.write_text(text, encoding="utf-8")
    new = carbon_core.compute(example_copy, as_of="2024-12-19").to_dict()
    r = explain_difference(old, new)
    assert any(i.startswith("inventory: content changed") for i in r.inputs)
    moved = {li["id"]: li["causes"] for li in r.line_items}
    assert moved == {"fuel_combustion:diesel-forklifts-gensets:CO2":
                     ["activity changed (inputs)"]}


def test_engine_version_is_a_cause(old_new):
    _, _, old, _ = old_new
    new = json.loads(json.dumps(old))
    new["provenance"]["engine"]["version"] = "9.9.9"
    r = explain_difference(old, new)
    assert r.engine == [f"engine {old['provenance']['engine']['version']} -> 9.9.9"]
    assert r.line_items == []


def test_other_factory_or_year_is_refused(old_new):
    _, _, old, _ = old_new
    other = json.loads(json.dumps(old))
    other["reporting_year"] = 2023
    with pytest.raises(InputError, match="same factory and year"):
        explain_difference(old, other)


def test_cli_diff_and_verify_against(old_new, example_bundle):
    old_p, new_p, _, _ = old_new
    r = CliRunner().invoke(main, ["diff", str(old_p), str(new_p)])
    assert r.exit_code == 0, r.output
    assert "changed factor editions" in r.output and "grid-incomer-1" in r.output
    r = CliRunner().invoke(main, ["diff", str(old_p), str(new_p), "--json"])
    assert json.loads(r.output)["engine"] == []
    r = CliRunner().invoke(main, ["verify", str(example_bundle), "--against", str(old_p)])
    assert r.exit_code == 0, r.output  # the bundle verifies; --against only explains
    assert "against" in r.output and "as-of date" in r.output
    bad = old_p.parent / "bad.json"
    bad.write_text("{", encoding="utf-8")
    r = CliRunner().invoke(main, ["diff", str(old_p), str(bad)])
    assert r.exit_code == 2 and "not a results JSON" in r.output and "Traceback" not in r.output
