"""examples/sectors/<plugin>.toml compute to the expected results written in their comments."""

import json
import pathlib
import tomllib

import pytest

from carbon_core.factors import FactorLibrary
from carbon_core.plugin_manager import build_plugin_manager, factor_library, sectors
from carbon_core.sector import FactoryView

EXAMPLES = sorted((pathlib.Path(__file__).parents[2] / "examples" / "sectors").glob("*.toml"))


def _expected(text, name, default=None):
    line = next((l for l in text.splitlines() if l.startswith(f"# {name} = ")), None)
    if line is None and default is not None:
        return default
    return json.loads(line.split(" = ", 1)[1])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example(path):
    text = path.read_text(encoding="utf-8")
    inputs = tomllib.loads(text)["process"][path.stem]
    pm = build_plugin_manager()
    plugin = sectors(pm)[path.stem]
    factory = FactoryView.from_tce(_expected(text, "factory_tce", {}))
    res = plugin.compute(inputs, library=factor_library(FactorLibrary.default(), pm),
                         gwp_set="AR5", factory=factory)
    got = {i.id: i.emissions_t_gas for i in res.line_items}
    want = _expected(text, "expected_t_gas")
    assert got == pytest.approx(want, rel=1e-8, abs=1e-9)
    metrics = _expected(text, "expected_metrics")
    assert set(res.metrics) == set(metrics)
    for k, v in metrics.items():
        assert res.metrics[k] == (None if v is None else pytest.approx(v, rel=1e-8, abs=1e-9))


def test_every_builtin_has_an_example():
    assert {p.stem for p in EXAMPLES} >= {"electronics", "appliances", "machinery", "cement",
                                          "steel"}
