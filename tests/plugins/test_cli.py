import json

from click.testing import CliRunner

from carbon_core.cli.plugins import plugins


def test_plugins_table():
    res = CliRunner().invoke(plugins, [])
    assert res.exit_code == 0, res.output
    for name in ("electronics", "appliances", "machinery", "cement", "steel"):
        assert name in res.output


def test_plugins_json():
    res = CliRunner().invoke(plugins, ["--json"])
    data = json.loads(res.output)
    cement = next(p for p in data["plugins"] if p["name"] == "cement")
    assert cement["version"] and cement["sectors"] == ["cement"]
    assert "sector.cement.clinker_energy_grade" in cement["contributes"]["cement"]["metrics"]
    assert data["failed"] == []


def test_plugins_blocked(monkeypatch):
    monkeypatch.setenv("CARBON_CORE_DISABLE_PLUGINS", "all")
    res = CliRunner().invoke(plugins, [])
    assert "autoloading is off" in res.output
