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


@dataclasses.dataclass
class _PluginRecord:
    kiln: str
    clinker_t: float
    parts: list


def test_a_plugins_dataclass_in_details_becomes_a_dict_as_with_asdict():
    item = _item(record=_PluginRecord("K1", 1200.0, [1, 2]), records=[_PluginRecord("K2", 3.0, [])])
    want = dataclasses.asdict(item)
    want["factor_keys"] = list(item.factor_keys)
    assert item.to_dict() == want
    assert item.to_dict()["details"]["record"] == {"kiln": "K1", "clinker_t": 1200.0,
                                                   "parts": [1, 2]}


def test_to_dict_copies_nested_details():
    item = _item(basis={"months": [1.0, 2.0]})
    d = item.to_dict()
    d["details"]["basis"]["months"].append(3.0)
    assert item.details == {"basis": {"months": [1.0, 2.0]}}
