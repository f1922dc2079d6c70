"""The base class validates declared inputs: every problem at once, with file, row and field."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary
from carbon_core.plugin_manager import build_plugin_manager, factor_library
from carbon_core_plugins.cement import Cement
from carbon_core_plugins.electronics import Electronics

LIB = factor_library(FactorLibrary.default(), build_plugin_manager())


def test_all_problems_at_once():
    bad = {"gas_use": [
        {"id": "a", "process": "etching", "gas": "CF4", "consumed": -1, "unit": "kg"},
        {"id": "a", "process": "etch", "gas": "XeF2", "consumed": 1, "unit": "tons"},
        {"process": "etch", "gas": "SF6", "unit": "kg", "colour": "red"},
    ], "extra": {}}
    with pytest.raises(InputError) as exc:
        Electronics().compute(bad, library=LIB, file="f.toml")
    found = {(p.row, p.field) for p in exc.value.problems}
    assert ("process.electronics.gas_use[0]", "process") in found
    assert ("process.electronics.gas_use[0]", "consumed") in found
    assert ("process.electronics.gas_use[1]", "id") in found          # duplicate id
    assert ("process.electronics.gas_use[1]", "gas") in found
    assert ("process.electronics.gas_use[1]", "unit") in found        # ambiguous 'tons'
    assert ("process.electronics.gas_use[2]", "consumed") in found    # missing
    assert ("process.electronics.gas_use[2]", "colour") in found      # unknown key
    assert ("process.electronics", "extra") in found                  # unknown table
    assert all(p.file == "f.toml" for p in exc.value.problems)


def test_units_are_converted():
    a = Cement().compute({"kiln": [{"clinker": 1000, "unit": "t", "cao": 0.6, "mgo": 0.0,
                                    "raw_meal": 0}]}, library=LIB).totals_t_gas()
    b = Cement().compute({"kiln": [{"clinker": 1e6, "unit": "kg", "cao": 0.6, "mgo": 0.0,
                                    "raw_meal": 0}]}, library=LIB).totals_t_gas()
    assert a["CO2"] == pytest.approx(b["CO2"])


kiln_row = st.fixed_dictionaries({
    "clinker": st.floats(0, 1e7), "cao": st.floats(0.3, 0.7), "mgo": st.floats(0, 0.05),
    "kiln_dust": st.floats(0, 1e4), "raw_meal": st.floats(0, 2e7),
    "raw_meal_organic_carbon": st.floats(0, 0.005)})


@settings(max_examples=40, deadline=None)
@given(st.lists(kiln_row, min_size=2, max_size=8), st.integers(1, 7))
def test_additivity_property(rows, cut):
    cut = min(cut, len(rows) - 1)
    rows = [{**r, "id": f"k{i}"} for i, r in enumerate(rows)]
    total = Cement().compute({"kiln": rows}, library=LIB).totals_t_gas().get("CO2", 0.0)
    a = Cement().compute({"kiln": rows[:cut]}, library=LIB).totals_t_gas().get("CO2", 0.0)
    b = Cement().compute({"kiln": rows[cut:]}, library=LIB).totals_t_gas().get("CO2", 0.0)
    assert total == pytest.approx(a + b, rel=1e-9, abs=1e-9)
    assert total >= 0
