"""examples/sectors/<plugin>.toml compute to the expected results written in their comments."""

import json
import pathlib
import tomllib

import pytest

from carbon_core.factors import FactorLibrary
from carbon_core.plugin_manager import build_plugin_manager, sectors

EXAMPLES = sorted((pathlib.Path(__file__).parents[2] / "examples" / "sectors").glob("*.toml"))


def _expected(text, name):
    line = next(l for l in text.splitlines() if l.startswith(f"# {name} = "))
    return json.loads(line.split(" = ", 1)[1])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example(path):
    text = path.read_text(encoding="utf-8")
    inputs = tomllib.loads(text)["process"][path.stem]
    plugin = sectors(build_plugin_manager())[path.stem]
    res = plugin.compute(inputs, library=FactorLibrary.default(), gwp_set="AR5")
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
