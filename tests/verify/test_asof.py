"""As-of selection: only editions published by the day are used, the day is recorded, and a
later library does not change a recorded result."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from click.testing import CliRunner

import carbon_core
from carbon_core.cli import main
from carbon_core.errors import FactorNotFoundError, InputError
from carbon_core.factors import FactorLibrary, resolve_as_of
from carbon_core.verify import explain_difference

from verify_helpers import EXAMPLE, example_without_scope3, factor_edition


# Publication dates (factors/*.toml [source] published): MEE/NBS 2021 factors 公告2024年第12号
# of 2024-04-12; 2022 factors 公告2024年第33号 of 2024-12-20; 2023 factors 公告2025年第47号 of
# 2025-12-31. Anhui (CN-AH) averages: 0.7075 (2021, [S]), 0.6782 (2022), 0.6553 (2023, [S]).
@pytest.mark.parametrize("as_of, year, data_year, value", [
    ("2024-04-12", 2024, 2021, 0.7075),
    ("2024-12-19", 2024, 2021, 0.7075),
    ("2024-12-20", 2024, 2022, 0.6782),
    ("2025-12-30", 2025, 2022, 0.6782),
    ("2025-12-31", 2025, 2023, 0.6553),
])
def test_as_of_picks_the_edition_published_by_then(as_of, year, data_year, value):
    f = FactorLibrary.default().as_of(as_of).get(
        "electricity.grid.average", "CN-AH", rule="latest:Y-2", reporting_year=year)
    assert (f.data_year, f.value) == (data_year, value)


def test_before_any_edition_there_is_no_factor():
    with pytest.raises(FactorNotFoundError, match="CN-AH"):
        FactorLibrary.default().as_of("2024-04-11").get(
            "electricity.grid.average", "CN-AH", rule="latest:Y-2", reporting_year=2024)


def test_every_shipped_edition_is_dated():
    for sid, src in FactorLibrary.default().sources.items():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", src.published), sid
        assert src.published_confidence in ("C", "S", "M", "X"), sid
        if src.published_confidence != "C":
            assert src.published_note, f"{sid}: an unconfirmed date needs its explanation"
    assert FactorLibrary.default().undated_sources() == []


def test_a_bad_publication_date_is_refused(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('schema = "carbon_core.factors/1"\n[source]\nid = "x"\ntitle = "t"\n'
                 'publisher = "p"\npublished = "2024-12"\n[[factor]]\nkey = "heat.purchased.co2"'
                 '\nvalue = 0.1\nunit = "tCO2/GJ"\nregion = "CN"\nconfidence = "S"\n')
    with pytest.raises(InputError, match="source.published"):
        FactorLibrary.from_files([f])


def test_results_record_the_as_of_day(tmp_path):
    res = carbon_core.compute(example_without_scope3(tmp_path / "ex"), as_of="2024-12-19")
    rec = res.provenance["as_of"]
    assert rec["date"] == "2024-12-19" and rec["basis"] == "given (--as-of)"
    assert "mee-nbs-electricity-2022" in rec["excluded_editions"]
    grid = [li for li in res.line_items if li.id == "purchased_electricity:grid-incomer-1:CO2"][0]
    assert grid.factor_value == 0.7075  # data year 2021: the 2022 factors were not yet out
    run = carbon_core.compute(EXAMPLE).provenance["as_of"]
    assert run == {"date": datetime.date.today().isoformat(), "basis": "run date",
                   "excluded_editions": [], "undated_editions": []}


def test_a_later_library_does_not_change_a_recorded_result(tmp_path, monkeypatch):
    """Add a newer edition to a temporary library: as-of the recorded day still picks the old
    one, so the recorded numbers come out again; without the as-of day the new one is used."""
    recorded = carbon_core.compute(EXAMPLE, as_of="2026-01-15").to_dict()
    newer = factor_edition(tmp_path / "newer.toml", source_id="test-newer-heat",
                           title="a newer purchased-heat default (test)", published="2026-06-01",
                           key="heat.purchased.co2", value=0.095, unit="tCO2/GJ")
    later = FactorLibrary.default().merged(FactorLibrary.from_files([newer]))
    monkeypatch.setattr("carbon_core.factors._DEFAULT", later)
    again = carbon_core.compute(EXAMPLE, as_of=recorded["provenance"]["as_of"]["date"]).to_dict()
    assert again["total_tco2e"] == recorded["total_tco2e"]
    assert [li["emissions_tco2e"] for li in again["line_items"]] == \
        [li["emissions_tco2e"] for li in recorded["line_items"]]
    assert "test-newer-heat" in again["provenance"]["as_of"]["excluded_editions"]
    today = carbon_core.compute(EXAMPLE).to_dict()
    assert today["scope2"]["location_based_tco2e"] < recorded["scope2"]["location_based_tco2e"]
    # the restatement names the cause: a changed factor edition, and the steam line moved
    r = explain_difference(recorded, today)
    assert any("test-newer-heat" in e for e in r.factor_editions)
    moved = {li["id"]: li["causes"] for li in r.line_items}
    assert moved == {"purchased_heat:steam-purchase:CO2": ["factor changed (factor editions)"]}
    assert r.inputs == [] and r.engine == []


def test_resolve_as_of():
    assert resolve_as_of(None) == datetime.date.today()
    assert resolve_as_of(datetime.date(2024, 1, 2)) == datetime.date(2024, 1, 2)
    for bad in ("2024-13-01", "yesterday", "2024-1-2"):
        with pytest.raises(InputError, match="YYYY-MM-DD"):
            resolve_as_of(bad)


def test_cli_as_of(tmp_path):
    example = example_without_scope3(tmp_path / "ex")
    out = tmp_path / "r.json"
    r = CliRunner().invoke(main, ["compute", str(example), "--as-of", "2024-12-19", "-o",
                                  str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["provenance"]["as_of"]["date"] == "2024-12-19"
    r = CliRunner().invoke(main, ["compute", str(EXAMPLE), "--as-of", "soon"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output and "Traceback" not in r.output
