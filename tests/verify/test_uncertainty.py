"""Uncertainty: known answers by hand, Monte Carlo against approach 1, seeds, correlations."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import carbon_core
from carbon_core.cli import main
from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary
from carbon_core.results import validate_results
from carbon_core.uncertainty import Z95, approach1_sum, load_table, propagate

sys.path.insert(0, str(Path(__file__).parents[1]))
from factories import write_inventory  # noqa: E402

from verify_helpers import EXAMPLE  # noqa: E402

HEAT_10PCT = ("heat.toml", '''schema = "carbon_core.uncertainty/1"
[source]
publisher = "test"
[[parameter]]
key = "heat.purchased.co2"
default = 0.11
lower = 0.099
upper = 0.121
table = "test: +-10 %"
''')

DIESEL_NCV_5PCT = ("diesel.toml", '''schema = "carbon_core.uncertainty/1"
[source]
publisher = "test"
[[parameter]]
key = "fuel.diesel.ncv"
default = 40.0
lower = 38.0
upper = 42.0
table = "test: +-5 %"
[[none]]
prefix = ""
reason = "test: everything else exact"
''')


def _heat_factory(tmp_path, gj=1000.0):
    return write_inventory(tmp_path, activities=[{
        "id": "heat-bill", "carrier": "heat", "role": "heat_purchase", "amount": gj,
        "unit": "GJ", "period": "2024"}], production={"output": 10.0, "output_unit": "t"})


def test_one_normal_factor_known_answer(tmp_path):
    """1,000 GJ of purchased heat x 0.11 tCO2/GJ (GB/T 32150 default) = 110 tCO2. With the
    factor normal and +-10 % its 95 % interval is, by hand, 110 x (1 -+ 0.10) = [99, 121]."""
    res = carbon_core.compute(_heat_factory(tmp_path))
    u = propagate(res, draws=40_000, seed=7, table=load_table([HEAT_10PCT]))
    q = u["quantities"]["scope2_location_tco2e"]
    assert q["value"] == pytest.approx(110.0)
    assert q["approach1_half_width_95"] == pytest.approx(11.0)       # exactly, by Eq. 3.1
    sigma = 11.0 / Z95
    # sampling error of a 2.5 % quantile: sqrt(p(1-p)/N) / phi(z) x sigma
    se_q = math.sqrt(0.025 * 0.975 / 40_000) / (math.exp(-Z95 ** 2 / 2) / math.sqrt(2 * math.pi))
    assert q["mc_p2_5"] == pytest.approx(99.0, abs=4 * se_q * sigma)
    assert q["mc_p97_5"] == pytest.approx(121.0, abs=4 * se_q * sigma)
    assert q["mc_mean"] == pytest.approx(110.0, abs=4 * sigma / math.sqrt(40_000))
    # the intensity per output carries the same relative interval (output is exact)
    qi = u["quantities"]["intensity.tco2e_per_output"]
    assert qi["approach1_relative_95"] == pytest.approx(0.10)


def test_one_factor_used_by_many_lines_is_one_draw(tmp_path):
    """Two diesel invoices share the diesel NCV: fully correlated, so the sum's half-width is
    5 % of the sum (not 5 % / sqrt(2) as two independent draws would give)."""
    inv = write_inventory(tmp_path, activities=[
        {"id": "a", "carrier": "diesel", "role": "fuel", "amount": 10.0, "unit": "t",
         "period": "2024"},
        {"id": "b", "carrier": "diesel", "role": "fuel", "amount": 30.0, "unit": "t",
         "period": "2024"}])
    res = carbon_core.compute(inv)
    u = propagate(res, draws=20_000, seed=1, table=load_table([DIESEL_NCV_5PCT]))
    q = u["quantities"]["scope1_tco2e"]
    assert [p["id"] for p in u["parameters"]] == ["factor:fuel.diesel.ncv"]
    assert q["approach1_half_width_95"] == pytest.approx(0.05 * q["value"])
    independent = approach1_sum([li.emissions_tco2e for li in res.line_items], [0.05, 0.05])
    assert independent < 0.9 * q["approach1_half_width_95"]
    assert Z95 * q["mc_std"] == pytest.approx(q["approach1_half_width_95"], rel=0.03)


def _with_accuracy(example_copy, classes):
    text = example_copy.read_text(encoding="utf-8")
    for meter, cls in classes.items():
        text = text.replace(f'id = "{meter}"\n', f'id = "{meter}"\naccuracy_class = "{cls}"\n')
    example_copy.write_text(text, encoding="utf-8")
    return example_copy


def test_monte_carlo_and_approach1_agree_on_a_linear_case(example_copy):
    """Meter errors only (one parameter per line item, so every quantity is linear): the Monte
    Carlo's 1.96 sigma equals approach 1 within the sampling error of a standard deviation,
    sqrt(1 / (2 (N - 1))) relative."""
    inv = _with_accuracy(example_copy, {"grid-incomer-1": "0.5S", "grid-incomer-2": "0.2S",
                                        "pv-export": "1", "gas-boiler": "1.5",
                                        "steam-purchase": "2"})
    res = carbon_core.compute(inv)
    n = 20_000
    u = propagate(res, draws=n, seed=11, table=load_table([("none.toml", '''
schema = "carbon_core.uncertainty/1"
[[none]]
prefix = ""
reason = "test: factors exact"
''')]))
    assert {p["id"] for p in u["parameters"]} == {
        "meter:grid-incomer-1", "meter:grid-incomer-2", "meter:pv-export", "meter:gas-boiler",
        "meter:steam-purchase"}
    rel_se = 1 / math.sqrt(2 * (n - 1))
    for name in ("scope1_tco2e", "scope2_location_tco2e", "scope2_market_tco2e",
                 "balance_net_tco2e", "energy_tce_calorific"):
        q = u["quantities"][name]
        assert q["approach1_half_width_95"] > 0, name
        assert Z95 * q["mc_std"] == pytest.approx(q["approach1_half_width_95"],
                                                  rel=4 * rel_se), name
        assert q["mc_mean"] == pytest.approx(q["value"], abs=4 * q["mc_standard_error_of_mean"])
    # the grid meters move market-based Scope 2 through the unmatched volume x residual factor
    grid = res.balance["residual_factor"]["value"] * math.hypot(
        res.dataset["activity"].sel(meter="grid-incomer-1").sum().item() / 1000 * 0.005,
        res.dataset["activity"].sel(meter="grid-incomer-2").sum().item() / 1000 * 0.002)
    heat = [li.emissions_tco2e for li in res.line_items if li.category == "purchased_heat"][0]
    by_hand = math.hypot(grid, heat * 0.02)
    assert u["quantities"]["scope2_market_tco2e"]["approach1_half_width_95"] == \
        pytest.approx(by_hand)


def test_same_seed_same_digits_and_another_seed_other_digits():
    res = carbon_core.compute(EXAMPLE)
    a = propagate(res, draws=1000, seed=42)
    b = propagate(res, draws=1000, seed=42)
    c = propagate(res, draws=1000, seed=43)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["quantities"]["scope1_tco2e"]["mc_mean"] != c["quantities"]["scope1_tco2e"]["mc_mean"]


def test_the_example_has_published_ranges_for_its_fuels_and_none_for_the_grid():
    res = carbon_core.compute(EXAMPLE)
    u = propagate(res, draws=500, seed=0)
    ids = {p["id"] for p in u["parameters"]}
    assert "factor:fuel.natural_gas.ncv" in ids and "factor:fuel.natural_gas.carbon_content" in ids
    without = {w["key"] for w in u["without_uncertainty"]}
    assert "electricity.grid.average" in without and "fuel.natural_gas.oxidation" in without
    q = u["quantities"]
    # the stated value of every quantity is the result's own number
    assert q["scope1_tco2e"]["value"] == pytest.approx(res.scope1_tco2e)
    assert q["scope2_market_tco2e"]["value"] == pytest.approx(res.scope2_market_tco2e)
    assert q["balance_net_tco2e"]["value"] == pytest.approx(res.balance["net_tco2e"])
    assert q["intensity.tco2e_per_tce"]["value"] == pytest.approx(
        res.metrics["intensity.tco2e_per_tce"])
    # IPCC 2006 Table 1.2/1.3 natural gas: NCV 46.5-50.4 around 48.0, CC 14.8-15.9 around 15.3
    gas = [li for li in res.line_items if li.source == "gas-boiler"][0].emissions_tco2e
    by_hand = gas * math.hypot((50.4 - 46.5) / 96.0, (15.9 - 14.8) / 30.6)
    diesel = [li for li in res.line_items if li.source.startswith("diesel")][0].emissions_tco2e
    petrol = [li for li in res.line_items if li.source.startswith("gasoline")][0].emissions_tco2e
    by_hand = math.sqrt(by_hand ** 2
                        + (diesel * math.hypot(1.9 / 86.0, 0.6 / 40.4)) ** 2
                        + (petrol * math.hypot(2.3 / 88.6, 1.5 / 37.8)) ** 2)
    assert q["scope1_tco2e"]["approach1_half_width_95"] == pytest.approx(by_hand)


def test_every_default_factor_has_a_range_or_a_reason():
    table = load_table()
    for f in FactorLibrary.default():
        row, reason = table.lookup(f.key)
        assert row is not None or (reason and reason != "no entry in the uncertainty table"), f.key


def test_bad_inputs():
    res = carbon_core.compute(EXAMPLE)
    with pytest.raises(InputError, match="draws"):
        propagate(res, draws=10)
    with pytest.raises(InputError, match="lower <= default <= upper"):
        load_table([("bad.toml", 'schema = "carbon_core.uncertainty/1"\n[[parameter]]\n'
                                 'key = "x.y"\ndefault = 1.0\nlower = 2.0\nupper = 3.0\n')])


def test_unknown_accuracy_class_is_refused(example_copy):
    _with_accuracy(example_copy, {"grid-incomer-1": "0.7Z"})
    with pytest.raises(InputError) as exc:
        carbon_core.compute(example_copy)
    text = str(exc.value)
    assert "accuracy_class" in text and "meters[0]" in text and "0.7Z" in text


def test_cli_uncertainty_in_json_only_when_asked(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--json", "--uncertainty", "200",
                             "--seed", "5"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    validate_results(doc)
    assert doc["uncertainty"]["draws"] == 200 and doc["uncertainty"]["seed"] == 5
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--json"])
    assert "uncertainty" not in json.loads(r.output)
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--uncertainty", "200"])
    assert r.exit_code == 0 and "Uncertainty" in r.output
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--uncertainty", "5"])
    assert r.exit_code == 2 and "Traceback" not in r.output
