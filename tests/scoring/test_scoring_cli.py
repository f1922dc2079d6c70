"""The `carbon score` and `carbon rank` commands, with the engine replaced by fake results."""

import json
import pathlib

import jsonschema
import pytest
from click.testing import CliRunner
from scoring_fakes import MINI_SYSTEM, fake_results

from carbon_core.cli import scoring as cli
from carbon_core.scoring import score_schema

ROOT = pathlib.Path(__file__).resolve().parents[2]
METRICS = {"balance.net_tco2e": -1.0, "balance.renewable_electricity_share": 0.8,
           "intensity.tce_per_wan_cny": 0.3}


@pytest.fixture
def fake_engine(monkeypatch):
    """`carbon_core.compute(path)` replaced: the file name picks the metrics."""
    table = {
        "a.toml": fake_results(METRICS, name="甲工厂"),
        "b.toml": fake_results({**METRICS, "balance.renewable_electricity_share": 1.0},
                               name="乙工厂"),
        "c.toml": fake_results({**METRICS, "balance.net_tco2e": 2.0}, name="丙工厂"),
        "d.toml": fake_results(METRICS, evidence={}, name="丁工厂"),
    }
    monkeypatch.setattr(cli, "_compute", lambda path: table[pathlib.Path(path).name])
    return table


@pytest.fixture
def mini(tmp_path):
    p = tmp_path / "mini.toml"
    p.write_text(MINI_SYSTEM, encoding="utf-8")
    return str(p)


def test_score_prints_tables(fake_engine, mini):
    r = CliRunner().invoke(cli.score, ["a.toml", "--system", mini], env={"COLUMNS": "220"})
    assert r.exit_code == 0, r.output
    out = r.output
    for text in ["基本要求", "Basic requirements", "净排放为零", "net zero", "balance.net_tco2e",
                 "72.00 / 100", "符合", "Mandatory unmet: none"]:
        assert text in out, text


def test_score_template_is_labelled(fake_engine):
    r = CliRunner().invoke(cli.score, ["a.toml"])
    assert r.exit_code == 0, r.output
    assert "TEMPLATE" in r.output


def test_score_json_matches_schema_and_output_file(fake_engine, mini, tmp_path):
    out = tmp_path / "score.json"
    r = CliRunner().invoke(cli.score, ["c.toml", "--system", mini, "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    jsonschema.validate(doc, score_schema())
    assert doc["mandatory_unmet"] == ["M1"] and doc["verdict"] == "mandatory_unmet"
    assert json.loads(out.read_text(encoding="utf-8")) == doc


def test_score_previous_and_as_of(fake_engine, tmp_path):
    prev = tmp_path / "prev.json"
    prev.write_text(json.dumps({"metrics": {"intensity.tce_per_wan_cny": 0.4},
                                "reporting_year": 2023}), encoding="utf-8")
    r = CliRunner().invoke(cli.score, ["a.toml", "--previous", str(prev), "--as-of",
                                       "2026-06-01", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    c4 = next(i for i in doc["indicators"] if i["id"] == "C4")
    assert c4["value"] == pytest.approx(0.25) and c4["status"] == "scored"
    assert doc["as_of"] == "2026-06-01"
    assert "certification.iso9001" in doc["eligibility"]["failed"]   # expired by then


def test_score_bad_system_lists_every_problem(fake_engine, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINI_SYSTEM.replace("weight = 40", "weight = 45").replace(
        'id = "O2"', 'id = "O1"'), encoding="utf-8")
    r = CliRunner().invoke(cli.score, ["a.toml", "--system", str(bad)])
    assert r.exit_code == 2  # bad input (carbon_core.cli._errors convention)
    assert "do not sum to 100" in r.output and "duplicate indicator id" in r.output


def test_score_bad_date(fake_engine):
    r = CliRunner().invoke(cli.score, ["a.toml", "--as-of", "31/12/2024"])
    assert r.exit_code == 2 and "not a date" in r.output


def test_rank_inventories_and_score_files(fake_engine, mini, tmp_path):
    runner = CliRunner()
    b_json = tmp_path / "b.json"
    r = runner.invoke(cli.score, ["b.toml", "--system", mini, "-o", str(b_json), "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli.rank, ["a.toml", "c.toml", "d.toml", str(b_json), "--system", mini,
                                 "--json"])
    assert r.exit_code == 0, r.output
    ranking = json.loads(r.output)["ranking"]
    assert [(e["rank"], e["name"], e["verdict"]) for e in ranking] == [
        (1, "乙工厂", "qualified"), (2, "甲工厂", "qualified"),
        (3, "丙工厂", "mandatory_unmet"), (4, "丁工厂", "ineligible")]
    assert "unmet: M1" in ranking[2]["reason"] and "failed: legal_entity_in_city" not in \
        ranking[3]["reason"] and "failed: organisation" in ranking[3]["reason"]
    r = runner.invoke(cli.rank, ["a.toml", "b.toml", "--system", mini])
    assert r.exit_code == 0 and "择优推荐" in r.output and "乙工厂" in r.output


def test_rank_refuses_mixed_systems_and_bad_json(fake_engine, mini, tmp_path):
    runner = CliRunner()
    a_json = tmp_path / "a.json"
    runner.invoke(cli.score, ["a.toml", "--system", mini, "-o", str(a_json)])
    r = runner.invoke(cli.rank, [str(a_json), "b.toml"])      # b with the template
    assert r.exit_code == 2 and "different indicator systems" in r.output
    junk = tmp_path / "junk.json"
    junk.write_text('{"total_score": 5}', encoding="utf-8")
    r = runner.invoke(cli.rank, [str(junk)])
    assert r.exit_code == 2 and "not a score JSON" in r.output


def test_score_with_the_real_engine():
    """Integration: the example factory through the engine and the template system."""
    example = ROOT / "examples" / "hefei-appliance" / "inventory.toml"
    r = CliRunner().invoke(cli.score, [str(example), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    jsonschema.validate(doc, score_schema())
    # eligible, but not net zero (F1) and its disclosure report is dated after the year (F3)
    assert doc["eligible"] is True
    assert sorted(doc["mandatory_unmet"]) == ["F1", "F3"]
    assert 0 <= doc["total_score"] <= 100
