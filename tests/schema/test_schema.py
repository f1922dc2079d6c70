"""The one schema layer: unknown keys refused everywhere (with the closest key suggested), bounds,
non-finite numbers, every problem at once, the extension registry and the generated docs."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import shutil

import pytest

from carbon_core.balance.instruments import parse_instruments, parse_offsets
from carbon_core.balance.policy import Policy, load_policy
from carbon_core.errors import InputError, PluginError
from carbon_core.io import inventory as inv_mod
from carbon_core.io import reference
from carbon_core.io.inventory import load_inventory
from carbon_core.programmes import load_programme
from carbon_core.schema import Field, Table, suggest, to_markdown, validate
from carbon_core.scoring import loads_gate, loads_system, parse_evidence

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance" / "inventory.toml"
AS_OF = datetime.date(2024, 12, 31)


def _example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def _write(tmp_path, text: str) -> Path:
    """The example inventory, edited, next to a copy of its meter file."""
    # a copy, not a symlink: data files are confined to the inventory's folder, symlinks
    # resolved (carbon_core.io.paths, issue 9)
    shutil.copy(EXAMPLE.parent / "meters.parquet", tmp_path / "meters.parquet")
    p = tmp_path / "inventory.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _problems(exc) -> set[tuple]:
    return {(p.row, p.field) for p in exc.problems}


# -- unknown keys in every inventory table ------------------------------------------------------

TYPOS = [
    # (text to replace in the example, replacement, expected row, field, suggestion)
    ('renewable = true', 'renewabel = true', "meters[2]", "renewabel", "renewable"),
    ('gap_policy = "error"', 'gap_polcy = "error"', "data", "gap_polcy", "gap_policy"),
    ('grid_province = "CN-AH"', 'grid_provinse = "CN-AH"', "factory", "grid_provinse",
     "grid_province"),
    ('selection = "latest:Y-2"', 'selecton = "latest:Y-2"', "electricity", "selecton",
     "selection"),
    ('period = "2024-03"', 'perod = "2024-03"', "activities[1]", "perod", "period"),
    ('value_added_unit = "万元"', 'value_add_unit = "万元"', "production", "value_add_unit",
     "value_added_unit"),
    ('rollover = 1000000', 'rolover = 1000000', "meters[7]", "rolover", "rollover"),
    ('gwp_set = "AR5"', 'gwp_set = "AR5"\ngwpset = "AR5"', None, "gwpset", "gwp_set"),
]


@pytest.mark.parametrize("old,new,row,field,close", TYPOS, ids=[t[3] for t in TYPOS])
def test_a_misspelt_inventory_key_is_refused_with_a_suggestion(tmp_path, old, new, row, field,
                                                               close):
    text = _example_text()
    assert old in text
    with pytest.raises(InputError) as err:
        load_inventory(_write(tmp_path, text.replace(old, new, 1)))
    p = next(p for p in err.value.problems if p.field == field)
    assert p.row == row
    assert p.message == f"unknown key {field!r}; did you mean {close!r}?"
    assert p.file.endswith("inventory.toml") and close in p.expected


def test_the_brief_s_rooftop_pv_typo():
    """`renewabel = true` once made rooftop PV silently non-renewable (issue 9)."""
    t = Table("meters", (Field("renewable", kind="bool", required=False),), rows=False)
    with pytest.raises(InputError, match=r"unknown key 'renewabel'; did you mean 'renewable'\?"):
        validate(t, {"renewabel": True}, file="inv.toml", where="meters[2]")


def test_unknown_measured_factor_keys(tmp_path):
    extra = """
[[measured_factors]]
key = "fuel.natural_gas.ncv"
value = 391.2
unit = "GJ/wan_Nm3"
evidense = "lab report"
"""
    with pytest.raises(InputError) as err:
        load_inventory(_write(tmp_path, _example_text() + extra))
    got = _problems(err.value)
    assert {("measured_factors[0]", "evidense"), ("measured_factors[0]", "evidence")} <= got
    # [scope3] is validated by carbon_core.scope3 (unknown keys with suggestions there too:
    # tests/scope3)


def test_unknown_instrument_and_offset_keys():
    doc = tomllib.loads(_example_text())
    doc["instruments"][0]["technolgy"] = "wind"
    doc["offsets"][0]["vintge"] = 2024
    kw = dict(policy=load_policy(), reporting_year=2024, factory_id="91340100MA2N0K1X3U")
    with pytest.raises(InputError, match="did you mean 'technology'"):
        parse_instruments(doc["instruments"], **kw)
    with pytest.raises(InputError, match="did you mean 'vintage'"):
        parse_offsets(doc["offsets"], **kw)


@pytest.mark.parametrize("path,key,close", [
    ((), "registred_city", "registered_city"),
    (("organisation",), "establshed", "established"),
    (("plan",), "adoptd", "adopted"),
    (("record",), "major_acident", "major_accident"),
    (("qualitative", "disclosure_report"), "referense", "reference"),
])
def test_unknown_evidence_keys(path, key, close):
    ev = tomllib.loads(_example_text())["evidence"]
    t = ev
    for k in path:
        t = t[k]
    t[key] = t.pop(close, True)
    with pytest.raises(InputError, match=f"did you mean '{close}'"):
        parse_evidence(ev, file="inv.toml", as_of=AS_OF)


def test_unknown_policy_and_override_keys():
    with pytest.raises(InputError, match="did you mean 'offset_cap_share'"):
        Policy.from_mapping({"name": "p", "offset_cap_shar": 0.1}, file="p.toml")
    with pytest.raises(InputError) as err:
        load_policy().with_overrides({"matching_for_balanse": "hourly"})
    p = err.value.problems[0]
    assert (p.row, p.field) == ("balance", "policy_overrides.matching_for_balanse")
    assert "did you mean 'matching_for_balance'" in p.message


def test_unknown_keys_in_programme_files(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "programme.toml").write_text(
        'schema = "carbon_core.programme/1"\n[programme]\nname = "x"\ntitle_zh = "x"\n'
        'title_en = "x"\nstatus = "template"\n[files]\nindicator_sytem = "i.toml"\n',
        encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'indicator_system'"):
        load_programme(folder)
    with pytest.raises(InputError, match="did you mean 'record_years'"):
        loads_gate('schema = "carbon_core.eligibility/1"\n[gate]\nrecord_year = 3\n')
    text = (ROOT / "programmes" / "hefei-template" / "indicators.toml").read_text("utf-8")
    with pytest.raises(InputError, match="did you mean 'pass_score'"):
        loads_system(text.replace("pass_score = 60", "pass_scor = 60"))


# -- numbers: finite, bounded -------------------------------------------------------------------

@pytest.mark.parametrize("old,new,row,field,message", [
    ("rollover = 1000000", "rollover = nan", "meters[7]", "rollover", "not a finite number"),
    ("amount = 18.6", "amount = inf", "activities[0]", "amount", "not a finite number"),
    ("amount = 18.6", "amount = -18.6", "activities[0]", "amount", "value out of range"),
    ("enthalpy_kj_per_kg = 2780.0", "enthalpy_kj_per_kg = -2780.0", "meters[8]",
     "enthalpy_kj_per_kg", "value out of range"),
    ("output = 1200000\n", "output = -1200000\n", "production", "output", "value out of range"),
    ("value_added = 86000", "value_added = nan", "production", "value_added",
     "not a finite number"),
    ("reporting_year = 2024", "reporting_year = 2024.0", None, "reporting_year",
     "not an integer"),
])
def test_non_finite_and_negative_quantities_are_refused(tmp_path, old, new, row, field, message):
    text = _example_text()
    assert old in text
    with pytest.raises(InputError) as err:
        load_inventory(_write(tmp_path, text.replace(old, new, 1)))
    p = next(p for p in err.value.problems if p.field == field)
    assert (p.row, p.message) == (row, message)
    assert p.expected and p.found is not None


def test_every_problem_at_once_names_file_row_field_found_expected(tmp_path):
    text = (_example_text().replace('renewable = true', 'renewabel = true')
            .replace('amount = 18.6', 'amount = nan')
            .replace('role = "fuel"\nreading', 'role = "fule"\nreading')
            .replace('gap_policy = "error"', 'gap_policy = "eror"'))
    with pytest.raises(InputError) as err:
        load_inventory(_write(tmp_path, text))
    got = {(p.row, p.field): p for p in err.value.problems}
    assert {("meters[2]", "renewabel"), ("activities[0]", "amount"), ("meters[7]", "role"),
            ("data", "gap_policy")} <= set(got)
    choice = got[("data", "gap_policy")]
    assert choice.found == "eror" and "did you mean 'error'" in choice.message
    assert "'linear'" in choice.expected


def test_negative_sector_quantities_still_refused():
    from carbon_core.plugin_manager import sectors

    cement = sectors()["cement"]
    with pytest.raises(InputError, match="value out of range"):
        cement.validate({"kiln": [{"id": "k", "clinker": -1.0, "unit": "t", "cao": 0.65}]})


# -- the validator's kinds ---------------------------------------------------------------------

T = Table("t", (
    Field("when", kind="date", required=False),
    Field("month", kind="month", required=False),
    Field("mass", unit="t", unit_key="unit", required=False),
    Field("twelve", kind="list", length=12, item=Field("v", minimum=0.0), required=False),
    Field("sub", kind="table", table=Table("sub", (Field("x", kind="bool"),), rows=False),
          required=False),
    Field("rows", kind="rows", table=Table("rows", (Field("id", kind="text"),)), required=False),
    Field("named", kind="map", pattern=r"[a-z]+", required=False,
          table=Table("item", (Field("on", kind="bool"),), rows=False)),
), rows=False)


def test_kinds_convert():
    out = validate(T, {"when": "2024-01-02", "month": "2024-03", "mass": 500, "unit": "kg",
                       "twelve": [1] * 12, "sub": {"x": True}, "rows": [{"id": "a"}],
                       "named": {"abc": {"on": False}}})
    assert out["when"] == datetime.date(2024, 1, 2) and out["month"] == (2024, 3)
    assert out["mass"] == pytest.approx(0.5) and out["twelve"] == [1.0] * 12
    assert out["sub"] == {"x": True} and out["rows"] == [{"id": "a"}]
    assert out["named"] == {"abc": {"on": False}}


def test_kinds_refuse_with_rows_and_fields():
    with pytest.raises(InputError) as err:
        validate(T, {"when": "soon", "month": "2024-13", "mass": 1, "unit": "kWh",
                     "twelve": [1] * 11, "sub": {"y": 1}, "rows": [{"idd": "a"}, 3],
                     "named": {"Bad": {"on": True}, "ok": {"on": "yes"}}}, file="f")
    got = _problems(err.value)
    assert {(None, "when"), (None, "month"), (None, "unit"), (None, "twelve"), ("sub", "y"),
            ("sub", "x"), ("rows[0]", "idd"), ("rows[0]", "id"), ("rows[1]", None),
            ("named.Bad", None), ("named.ok", "on")} <= got, got


def test_suggest():
    assert suggest("renewabel", ["renewable", "role"]) == "renewable"
    assert suggest("zzz", ["renewable"]) is None


# -- the registry for other layers' tables -------------------------------------------------------

@pytest.fixture
def clean_registry():
    saved = dict(inv_mod._EXTRA_TABLES), {k: list(v) for k, v in inv_mod._EXTRA_FIELDS.items()}
    yield
    inv_mod._EXTRA_TABLES.clear()
    inv_mod._EXTRA_TABLES.update(saved[0])
    inv_mod._EXTRA_FIELDS.clear()
    inv_mod._EXTRA_FIELDS.update(saved[1])
    inv_mod._SCHEMA_CACHE.clear()


def test_registered_tables_and_fields_are_validated(tmp_path, clean_registry):
    inv_mod.register_inventory_table(Field("forecasts", kind="rows", required=False, table=Table(
        "forecasts", (Field("year", kind="integer", minimum=2000), Field("share", maximum=1.0)))))
    inv_mod.extend_inventory_table("meters", Field("uncertainty", required=False, maximum=1.0))
    ok = _example_text() + "\n[[forecasts]]\nyear = 2030\nshare = 1.0\n"
    ok = ok.replace('role = "grid_purchase"', 'role = "grid_purchase"\nuncertainty = 0.02', 1)
    inv = load_inventory(_write(tmp_path, ok))
    assert inv.raw["forecasts"][0]["year"] == 2030
    bad = ok.replace("share = 1.0", "shares = 1.0").replace("uncertainty = 0.02",
                                                            "uncertainty = 2.0")
    (tmp_path / "inventory.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_inventory(tmp_path / "inventory.toml")
    assert {("forecasts[0]", "shares"), ("meters[0]", "uncertainty")} <= _problems(err.value)
    assert "forecasts" in reference.inventory_reference()


def test_registering_twice_is_an_error(clean_registry):
    with pytest.raises(PluginError, match="already declared"):
        inv_mod.register_inventory_table(Field("meters", kind="any"))
    with pytest.raises(PluginError, match="already declared"):
        inv_mod.extend_inventory_table("meters", Field("renewable", kind="bool"))
    with pytest.raises(PluginError, match="no declared inventory table"):
        inv_mod.extend_inventory_table("nope", Field("x"))


def test_unregistered_table_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown key 'forecasts'"):
        load_inventory(_write(tmp_path, _example_text() + "\n[[forecasts]]\nyear = 2030\n"))


# -- the generated documentation ------------------------------------------------------------------

def test_docs_inventory_md_is_in_step_with_the_declarations():
    doc = ROOT / "docs" / "inventory.md"
    text = doc.read_text(encoding="utf-8")
    assert reference.render_into(text) == text, (
        "docs/inventory.md is out of step with the declarations: run "
        "`python -m carbon_core.io.reference --write`")
    assert reference.main(["--check", "--doc", str(doc)]) == 0


def test_the_doc_check_fails_when_out_of_step(tmp_path):
    doc = tmp_path / "inventory.md"
    text = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    doc.write_text(text.replace("| `renewable` |", "| `renewabel` |"), encoding="utf-8")
    assert reference.main(["--check", "--doc", str(doc)]) == 1
    assert reference.main(["--write", "--doc", str(doc)]) == 0
    assert reference.main(["--check", "--doc", str(doc)]) == 0


def test_every_declared_inventory_key_is_documented():
    text = reference.inventory_reference()
    for f in inv_mod.inventory_schema().fields:
        assert f"| `{f.name}` |" in text
        if f.table is not None:
            for g in f.table.fields:
                assert f"| `{g.name}` |" in text


def test_markdown_of_nested_tables():
    md = to_markdown(T, "[t]", path="t")
    assert "#### [t.sub]" in md and "#### [[t.rows]]" in md and "#### [t.named.<name>]" in md


def test_balance_table_and_rule_parameters_suggest_too(tmp_path):
    import carbon_core

    with pytest.raises(InputError, match=r"unknown key 'boundry'; did you mean 'boundary'\?"):
        carbon_core.compute(_write(tmp_path, _example_text().replace('boundary = "I"',
                                                                     'boundry = "I"')))
    text = (ROOT / "programmes" / "hefei-template" / "indicators.toml").read_text("utf-8")
    with pytest.raises(InputError, match="did you mean 'baseline'"):
        loads_system(text.replace("baseline = 0.30, leading = 1.00",
                                  "baselin = 0.30, leading = 1.00"))


def test_the_documented_inventory_example_uses_declared_keys_only():
    import re

    text = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    block = re.findall(r"```toml\n(.*?)```", text, re.S)[0]
    problems: list = []
    from carbon_core.schema import validate_into

    validate_into(inv_mod.inventory_schema(), tomllib.loads(block), problems, file="doc")
    assert problems == []
