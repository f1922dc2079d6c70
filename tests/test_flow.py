"""The one-way flow: Results is a record the engine fills, meter data behind a protocol, outputs
through a registry."""

import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from carbon_core import compute, load_inventory
from carbon_core.backends import MeterBackend, as_backend
from carbon_core.backends.memory import InMemoryMeters, interval_grid, resample
from carbon_core.cli import main
from carbon_core.engine import ENGINE_METRICS, available_metrics
from carbon_core.io.meters import read_meter_data
from carbon_core.metrics import CORE_METRICS
from carbon_core.outputs import available_outputs, get_output, register_output, write
from carbon_core.outputs.json import dumps
from carbon_core.results import Results

EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"


@pytest.fixture(scope="module")
def example():
    inv = load_inventory(EXAMPLE)
    return inv, read_meter_data(inv)


def test_results_is_a_record_the_engine_fills():
    assert dataclasses.is_dataclass(Results)
    assert not hasattr(Results, "build")
    # a record: every public callable is a view over its fields (totals, tables, JSON)
    methods = {n for n, v in vars(Results).items() if callable(v) and not n.startswith("_")}
    assert methods == {"total", "monthly_table", "to_dict", "to_json"}


class _ForeignBackend:
    """A backend that is not MeterData: only the protocol's members, delegating to numpy."""

    def __init__(self, data):
        self._inner = InMemoryMeters(data)
        self.files, self.fills, self.rollovers = data.files, data.fills, data.rollovers
        self.calls = []

    def monthly(self):
        self.calls.append("monthly")
        return self._inner.monthly()

    def role_series(self, weights, interval, year):
        self.calls.append(("role_series", interval))
        return self._inner.role_series(weights, interval, year)


def test_engine_uses_only_the_protocol(example):
    inv, data = example
    foreign = _ForeignBackend(data)
    assert isinstance(foreign, MeterBackend) and as_backend(foreign) is foreign
    a = compute(inv, meter_data=foreign).to_dict()
    b = compute(inv, meter_data=data).to_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert "monthly" in foreign.calls and ("role_series", "15min") in foreign.calls


def test_meter_data_is_adapted_and_junk_refused(example):
    _, data = example
    # MeterData answers the protocol itself (monthly, role_series, files, fills, rollovers), so
    # it is passed through unchanged; anything else must be refused by name
    assert isinstance(data, MeterBackend) and as_backend(data) is data
    assert isinstance(InMemoryMeters.adapt(data), MeterBackend)
    with pytest.raises(TypeError, match="MeterBackend"):
        as_backend({"monthly": None})


def test_role_series_is_the_sum_of_its_meters(example):
    inv, data = example
    b = as_backend(data)
    ids, monthly = b.monthly()
    elec = [m.id for m in inv.meters if m.carrier == "electricity" and m.interval == "15min"]
    out = b.role_series({"all": {m: 1.0 for m in elec}, "half": {elec[0]: 0.5}}, "1MS",
                        inv.reporting_year)
    rows = [ids.index(m) for m in elec]
    np.testing.assert_allclose(out["all"], monthly[rows].sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["half"], 0.5 * monthly[ids.index(elec[0])], rtol=1e-12)
    year = b.role_series({"all": {m: 1.0 for m in elec}}, "1Y", inv.reporting_year)["all"]
    assert year.shape == (1,) and year[0] == pytest.approx(monthly[rows].sum(), rel=1e-12)


def test_resample_sums_exactly():
    t = interval_grid(2023, "15min")
    v = np.arange(t.size, dtype=float)
    daily = resample(v, t, "15min", "1D", interval_grid(2023, "1D"))
    assert daily.size == 365 and daily[0] == sum(range(96))
    assert resample(v, t, "15min", "1Y", interval_grid(2023, "1Y"))[0] == v.sum()


def test_balance_metrics_declared_once():
    assert not any(k.startswith("balance.") for k in CORE_METRICS)
    assert {"balance.gross_tco2e", "balance.net_tco2e", "balance.offset_share",
            "balance.renewable_electricity_share", "renewable_electricity_share"} <= set(
                ENGINE_METRICS)
    assert set(available_metrics()) == set(ENGINE_METRICS)


# -- outputs ----------------------------------------------------------------------------------

def test_registry_lists_json_and_terminal():
    assert {"json", "terminal"} <= set(available_outputs())
    assert "terminal" in available_outputs("score")
    with pytest.raises(KeyError, match="available"):
        get_output("no_such_format")


def test_json_output_is_the_document(tmp_path):
    doc = {"名称": "工厂", "x": 1.5}
    buf = io.StringIO()
    write("json", doc, buf)
    assert buf.getvalue() == dumps(doc) + "\n" and "工厂" in buf.getvalue()
    write("json", doc, tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == doc


def test_a_format_name_taken_twice_is_refused():
    @register_output("dup_demo", kind="test")
    def first(doc, target, **_):
        pass

    def second(doc, target, **_):
        pass

    second.__module__ = "somewhere.else"
    with pytest.raises(ValueError, match="registered twice"):
        register_output("dup_demo", kind="test")(second)


def test_cli_format(tmp_path):
    runner = CliRunner()
    a = runner.invoke(main, ["compute", str(EXAMPLE), "--format", "json"])
    b = runner.invoke(main, ["compute", str(EXAMPLE), "--json"])
    assert a.exit_code == b.exit_code == 0 and a.output == b.output
    out = tmp_path / "summary.txt"
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--format", "terminal", "-o", str(out)])
    assert r.exit_code == 0 and "written" in r.output
    assert "范围一 Scope 1" in out.read_text(encoding="utf-8")
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--format", "xml"])
    assert r.exit_code == 2 and "unknown --format 'xml'" in r.output and "json" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--format", "terminal", "--json"])
    assert r.exit_code == 2 and "contradict" in r.output


def test_a_new_format_is_one_new_module(tmp_path, monkeypatch):
    """Dropping a module into carbon_core/outputs/ is the whole change (here: a folder added to
    the package's path stands for the package folder)."""
    import carbon_core.outputs as outputs_pkg
    from carbon_core.outputs import registry

    (tmp_path / "lines_demo.py").write_text(
        "from carbon_core.outputs.registry import open_target, register_output\n\n"
        "@register_output('lines_demo', suffix='.txt', description='key = value lines')\n"
        "def write(doc, target=None, **options):\n"
        "    with open_target(target) as out:\n"
        "        for k in sorted(doc):\n"
        "            out.write(f'{k} = {doc[k]}\\n')\n", encoding="utf-8")
    monkeypatch.setattr(outputs_pkg, "__path__", [*outputs_pkg.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_DISCOVERED", False)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    assert "lines_demo" in available_outputs()
    buf = io.StringIO()
    write("lines_demo", {"b": 1, "a": 2}, buf)
    assert buf.getvalue() == "a = 2\nb = 1\n"
    r = CliRunner().invoke(main, ["compute", str(EXAMPLE), "--format", "lines_demo"])
    assert r.exit_code == 0 and "total_tco2e = " in r.output
