"""The `carbon` command, through click's test runner."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from carbon_core.cli import main
from carbon_core.results import validate_results
from factories import write_inventory

EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"


@pytest.fixture
def runner():
    return CliRunner()


def test_compute_summary(runner):
    r = runner.invoke(main, ["compute", str(EXAMPLE)])
    assert r.exit_code == 0, r.output
    assert "范围一 Scope 1" in r.output and "当量值" in r.output and "unconfirmed" in r.output
    assert "净排放 Net" in r.output and "appliances" in r.output


def test_sectors_without_plugins_is_an_error(runner):
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--no-plugins"])
    assert r.exit_code == 2 and "names sectors but plugins are off" in r.output


def test_compute_json_validates(runner, tmp_path):
    out = tmp_path / "r.json"
    r = runner.invoke(main, ["compute", str(EXAMPLE), "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    validate_results(doc)
    assert json.loads(out.read_text()) == doc
    for key in ("scope1", "scope2", "energy", "line_items", "provenance"):
        assert key in doc
    assert doc["provenance"]["input_files"][0]["sha256"]


def test_bad_inventory_exit_code_and_message(runner, tmp_path):
    path = write_inventory(tmp_path, credit_code="91350100M000100Y44")
    r = runner.invoke(main, ["compute", str(path), "--no-plugins"])
    assert r.exit_code == 2
    assert "check digit" in r.output


def test_factors_list_and_show(runner):
    r = runner.invoke(main, ["factors", "list", "--prefix", "electricity.grid.average",
                             "--region", "CN-AH"])
    assert r.exit_code == 0 and "0.6782" in r.output
    r = runner.invoke(main, ["factors", "show", "fuel.natural_gas.ncv"])
    assert r.exit_code == 0 and "389.31" in r.output and "source:" in r.output
    r = runner.invoke(main, ["factors", "show", "fuel.unobtainium.ncv"])
    assert r.exit_code == 2 and "no factor" in r.output


def test_schema_command(runner):
    r = runner.invoke(main, ["schema", "results"])
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "carbon_core results"
    r = runner.invoke(main, ["schema", "nonsense"])
    assert r.exit_code == 2 and "available" in r.output
