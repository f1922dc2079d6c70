"""Property tests: the ISO 14064-1 view and the scopes total the same, a Scope 3 line never moves
Scope 1 or 2, and data quality aggregates stay on their scale."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon_core
from carbon_core.lineitems import LineItem
from carbon_core.scope3 import SCOPE3_CATEGORIES, aggregate, iso14064_view, score_line
from carbon_core.scope3.dq import INDICATORS, LEVELS

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def item(k, scope, cat, e):
    category = {1: "fuel_combustion", 2: "purchased_electricity", 3: "scope3"}[scope]
    return LineItem(id=f"li{k}", category=category, scope=scope, source=f"s{k}", carrier="x",
                    activity=1.0, activity_unit="t", factor_value=e, factor_unit="tCO2e/t",
                    factor_source="test", gas="CO2", gwp_set="AR5", gwp=1.0,
                    emissions_t_gas=e, emissions_tco2e=e,
                    details={"scope3_category": cat} if scope == 3 else {})


lines = st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.integers(1, 15), finite),
                 max_size=60)


@given(lines)
def test_iso_view_and_scope_view_total_the_same(rows):
    items = [item(k, s, c, e) for k, (s, c, e) in enumerate(rows)]
    view = iso14064_view(items)
    ids = [i for c in view["categories"] for i in c["line_items"]]
    assert sorted(ids) == sorted(li.id for li in items)            # each line exactly once
    scopes = math.fsum(li.emissions_tco2e for li in items)
    assert view["total_tco2e"] == scopes                            # exact sums of the same values
    by_iso = {c["category"]: c["total_tco2e"] for c in view["categories"]}
    assert by_iso[1] == math.fsum(li.emissions_tco2e for li in items if li.scope == 1)
    assert by_iso[2] == math.fsum(li.emissions_tco2e for li in items if li.scope == 2)
    assert math.fsum(by_iso[k] for k in (3, 4, 5, 6)) == pytest.approx(
        math.fsum(li.emissions_tco2e for li in items if li.scope == 3), abs=1e-6)


@given(st.lists(st.tuples(st.floats(1.0, 4.0), finite), min_size=1, max_size=50))
def test_aggregate_within_scale(pairs):
    scores, weights = zip(*pairs)
    value = aggregate(scores, weights)
    assert min(scores) <= value <= max(scores)
    assert 1.0 <= value <= 4.0


@given(st.dictionaries(st.sampled_from(list(INDICATORS)), st.sampled_from(list(LEVELS))),
       st.lists(st.one_of(st.none(), st.integers(1990, 2030)), max_size=3),
       st.lists(st.sampled_from(["CN", "CN-AH", "CN-GRID-EAST", "GB", "US", "GLOBAL"]),
                max_size=3), st.sampled_from(["average_data", "spend_based", "distance_based"]))
def test_line_score_within_scale(declared, years, regions, method):
    q = score_line(declared, method=method, factor_years=years, factor_regions=regions,
                   reporting_year=2024, factory_regions=("CN-AH", "CN-GRID-EAST", "CN"))
    assert 1.0 <= q.score <= 4.0 and set(q.levels) == set(INDICATORS)
    assert set(q.not_assessed) <= set(INDICATORS) - set(declared)
    if any(r in ("GB", "US", "GLOBAL") for r in regions):
        assert q.warnings and q.levels["geographical"] in ("fair", "poor")


AVERAGE_DATA = sorted(n for n, c in SCOPE3_CATEGORIES.items() if "average_data" in c.methods)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(AVERAGE_DATA), st.floats(0, 1e6), st.floats(0, 1e3)),
                min_size=1, max_size=4))
def test_adding_scope3_lines_never_changes_scope1_or_2(make, rows):
    base = carbon_core.compute(make(""), plugins=False)
    extra = "\n[scope3]\n" + "".join(
        f'\n[[scope3.lines]]\nid = "l{k}"\ncategory = {c}\nmethod = "average_data"\n'
        f'amount = {a!r}\nunit = "t"\nfactor = {f!r}\nfactor_unit = "tCO2e/t"\n'
        f'factor_source = "test"\nfactor_region = "CN"\n' for k, (c, a, f) in enumerate(rows))
    res = carbon_core.compute(make(extra), plugins=False)
    assert res.scope1_tco2e == base.scope1_tco2e
    assert res.scope2_location_tco2e == base.scope2_location_tco2e
    assert res.to_dict()["total_tco2e"] == base.to_dict()["total_tco2e"]
    assert res.scope3_tco2e == math.fsum(a * f for _, a, f in rows) or \
        res.scope3_tco2e == pytest.approx(math.fsum(a * f for _, a, f in rows), rel=1e-12)
    doc = res.to_dict()
    assert doc["iso14064"]["total_tco2e"] == pytest.approx(
        res.scope1_tco2e + res.scope2_location_tco2e + res.scope3_tco2e, rel=1e-12, abs=1e-9)


def test_scope3_item_without_category_is_counted_once_and_listed():
    items = [item(0, 1, 1, 2.0), item(1, 3, 4, 3.0)]
    stray = LineItem(**{**item(2, 3, 1, 5.0).__dict__, "details": {}})
    view = iso14064_view(items + [stray])
    assert view["unmapped_scope3"] == ["li2"]
    assert {c["category"]: c["total_tco2e"] for c in view["categories"]}[6] == 5.0
    assert view["total_tco2e"] == 10.0
