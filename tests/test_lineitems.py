"""LineItem.to_dict: the mapping dataclasses.asdict gives (with factor_keys as a list)."""

from __future__ import annotations

import dataclasses
import json

from carbon_core.lineitems import LineItem


def _item(**details) -> LineItem:
    return LineItem(id="fuel_combustion:gas-main:CO2", category="fuel_combustion", scope=1,
                    source="gas-main", carrier="natural_gas", activity=12.5,
                    activity_unit="万Nm3", factor_value=21.6, factor_unit="tCO2/万Nm3",
                    factor_source="GB/T 32150-2015 附录B", gas="CO2", gwp_set="AR5", gwp=1.0,
                    emissions_t_gas=270.0, emissions_tco2e=270.0,
                    factor_keys=("ncv.natural_gas", "cc.natural_gas"), details=details)


def test_to_dict_is_asdict_with_a_list_of_keys():
    item = _item(ncv=389.31, months=[1.0, 2.0], basis={"mode": "hourly", "cfe": (0.5, 0.25)},
                 note=None, hit=True)
    want = dataclasses.asdict(item)
    want["factor_keys"] = list(item.factor_keys)
    got = item.to_dict()
    assert got == want
    assert list(got) == list(want)  # the same key order, so the same JSON text
    assert json.dumps(got) == json.dumps(want)


def test_to_dict_copies_nested_details():
    item = _item(basis={"months": [1.0, 2.0]})
    d = item.to_dict()
    d["details"]["basis"]["months"].append(3.0)
    assert item.details == {"basis": {"months": [1.0, 2.0]}}
