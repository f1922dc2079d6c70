"""Programmes as data: two shipped bundles, a plugin-shipped one, duplicates, unknown names, the
fill-in template, and a core that names no programme."""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

import carbon_core
from carbon_core.balance.policy import Policy, load_policy
from carbon_core.cli import main
from carbon_core.errors import InputError
from carbon_core.hookspecs import hookimpl
from carbon_core.plugin_manager import build_plugin_manager
from carbon_core.programmes import (DEFAULT_PROGRAMME, available_programmes, get_programme,
                                    load_programme, programme_registry)
from carbon_core.scoring import evaluate, load_gate, load_system, loads_gate, loads_system, \
    score_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance" / "inventory.toml"
SHIPPED = ("hefei-template", "cn-miit-2026-template")
NATIONAL_PATHS = ["科学算碳", "源头减碳", "过程脱碳", "全链条降碳", "智能控碳", "碳抵销和信息披露"]


@pytest.fixture(scope="module")
def results():
    return carbon_core.compute(EXAMPLE)


@pytest.mark.parametrize("name", SHIPPED)
def test_both_programmes_load(name):
    prog = get_programme(name)
    assert prog.is_template and prog.origin == "shipped"
    system = load_system(programme=name)
    assert system.programme == name and system.programme_template
    assert round(sum(level.weight for level in system.levels), 9) == 100.0
    gate = load_gate(name)
    assert gate.requirements and gate.exclusions
    assert load_policy(name).name == name


def test_default_programme_is_data():
    text = (resources.files("carbon_core_programmes") / "default.toml").read_text("utf-8")
    assert f'default = "{DEFAULT_PROGRAMME}"' in text
    assert DEFAULT_PROGRAMME in available_programmes()


def test_national_programme_has_the_six_paths_and_marks_assumptions():
    system = load_system(programme="cn-miit-2026-template")
    assert [level.name_zh for level in system.levels] == NATIONAL_PATHS
    assert all("13号" in level.basis for level in system.levels)
    assert all(ind.assumption.startswith("template assumption") for ind in system.indicators)
    assert system.is_template and "TEMPLATE" in system.notice
    gate = load_gate("cn-miit-2026-template")
    assert gate.status == "template"
    prog = get_programme("cn-miit-2026-template")
    assert "工信部联节〔2026〕13号" in prog.meta["source"]


def test_score_the_example_under_both_programmes(results):
    hefei = evaluate(results, programme="hefei-template").to_dict()
    national = evaluate(results, programme="cn-miit-2026-template").to_dict()
    assert hefei["system"]["programme"] == {"name": "hefei-template", "template": True}
    assert national["system"]["programme"] == {"name": "cn-miit-2026-template",
                                               "template": True}
    # the README's description of the example under the Hefei template: eligible, F1 unmet
    assert hefei["eligible"] and "F1" in hefei["mandatory_unmet"]
    # the national gate asks for an exclusion the example does not declare
    assert national["eligibility"]["failed"] == ["exclusion.dishonest_debtor"]
    assert "legal_entity_in_city" not in {c["id"] for c in national["eligibility"]["checks"]}
    assert {lv["id"] for lv in national["levels"]} == {"P1", "P2", "P3", "P4", "P5", "P6"}
    assert hefei["total_score"] != national["total_score"]


@pytest.mark.parametrize("name", SHIPPED)
def test_cli_score_with_programme(name):
    r = CliRunner().invoke(main, ["score", str(EXAMPLE), "--programme", name, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    from jsonschema import validate

    validate(doc, score_schema())
    assert doc["system"]["programme"]["name"] == name


def test_unknown_programme_lists_the_known_ones():
    with pytest.raises(InputError) as err:
        get_programme("shenzhen")
    p = err.value.problems[0]
    assert p.found == "shenzhen" and all(n in p.expected for n in SHIPPED)
    r = CliRunner().invoke(main, ["score", str(EXAMPLE), "--programme", "shenzhen"])
    assert r.exit_code != 0 and "unknown programme" in r.output
    assert "Traceback" not in r.output and "hefei-template" in r.output


# -- a plugin ships a programme --------------------------------------------------------------------

def _bundle(folder: Path, name: str) -> Path:
    """A copy of the fill-in template under ``name``."""
    src = resources.files("carbon_core_programmes") / "_template"
    folder.mkdir(parents=True)
    for f in ("programme.toml", "indicators.toml", "eligibility.toml", "policy.toml"):
        text = (src / f).read_text(encoding="utf-8").replace('"my-programme"', f'"{name}"')
        (folder / f).write_text(text, encoding="utf-8")
    return folder


class _FakeProgrammePlugin:
    def __init__(self, *folders):
        self.folders = folders

    @hookimpl
    def carbon_core_programmes(self):
        return [str(f) for f in self.folders]


def test_a_plugin_ships_a_programme(tmp_path):
    folder = _bundle(tmp_path / "wuhu", "wuhu-2026")
    pm = build_plugin_manager(autoload=False, plugins=[("wuhu_demo", _FakeProgrammePlugin(folder))])
    reg = programme_registry(pm)
    assert set(SHIPPED) <= set(reg) and reg["wuhu-2026"].origin == "wuhu_demo"
    prog = get_programme("wuhu-2026", plugin_manager=pm)
    system = load_system(programme=prog)
    assert system.programme == "wuhu-2026" and [r.id for r in system.eligibility.requirements] \
        == ["legal_entity_in_area", "plan", "certification.iso50001"]
    ev = evaluate({"balance.net_tco2e": -1.0}, system=system, reporting_year=2024,
                  factory={"credit_code": "91110000MA2N0K1X3B"})
    assert ev.to_dict()["system"]["programme"] == {"name": "wuhu-2026", "template": True}
    assert "wuhu-2026" not in available_programmes()     # not without its plugin


def test_a_duplicate_programme_name_is_an_error(tmp_path):
    folder = _bundle(tmp_path / "dup", "hefei-template")
    pm = build_plugin_manager(autoload=False, plugins=[("dup_demo", _FakeProgrammePlugin(folder))])
    with pytest.raises(InputError) as err:
        programme_registry(pm)
    p = err.value.problems[0]
    assert p.message == "programme defined twice" and "shipped" in p.found and "dup_demo" in p.found


def test_two_plugins_with_one_name(tmp_path):
    a, b = _bundle(tmp_path / "a", "same"), _bundle(tmp_path / "b", "same")
    pm = build_plugin_manager(autoload=False, plugins=[("one", _FakeProgrammePlugin(a)),
                                                       ("two", _FakeProgrammePlugin(b))])
    with pytest.raises(InputError, match="programme defined twice"):
        programme_registry(pm)


# -- the fill-in template -------------------------------------------------------------------------

def test_the_template_folder_is_valid_and_not_registered(tmp_path):
    src = resources.files("carbon_core_programmes") / "_template"
    prog = load_programme(src)
    assert prog.name == "my-programme" and "my-programme" not in available_programmes()
    loads_system((src / "indicators.toml").read_text("utf-8"), programme="hefei-template")
    gate = loads_gate((src / "eligibility.toml").read_text("utf-8"))
    assert gate.certifications == ("ISO 50001",)
    import tomllib

    assert Policy.from_mapping(tomllib.loads((src / "policy.toml").read_text("utf-8"))).name \
        == "my-programme"


def test_adding_a_programme_is_one_new_folder(tmp_path, monkeypatch):
    """Copying _template/ into the shipped folder is all it takes (the registry scans it)."""
    root = tmp_path / "programmes"
    shutil.copytree(resources.files("carbon_core_programmes") / "hefei-template",
                    root / "hefei-template")
    _bundle(root / "beijing-demo", "beijing-demo")
    import carbon_core.programmes as programmes

    monkeypatch.setattr(programmes.resources, "files", lambda pkg: root)
    assert {"hefei-template", "beijing-demo"} <= set(programmes.available_programmes())
    assert load_system(programme="beijing-demo").programme == "beijing-demo"


# -- gate files -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ('[[requirements]]\nid = "x"\ncheck = "registered_in"\nname_zh = "x"\nname_en = "x"\n'
     'names = ["x"]\n', "division_prefix"),
    ('[[requirements]]\nid = "x"\ncheck = "certification"\nname_zh = "x"\nname_en = "x"\n'
     'standard = "ISO 27001"\n', "standard"),
    ('[[requirements]]\nid = "x"\ncheck = "vibes"\nname_zh = "x"\nname_en = "x"\n', "check"),
    ('[[requirements]]\nid = "x"\ncheck = "evidence"\nname_zh = "x"\nname_en = "x"\n'
     'evidence = "plan.targets_met_share"\n', "evidence"),
    ('[[exclusions]]\nid = "Bad Id"\nname_zh = "x"\nname_en = "x"\n', "id"),
])
def test_bad_gates_are_refused(body, field):
    with pytest.raises(InputError) as err:
        loads_gate('schema = "carbon_core.eligibility/1"\n' + body, file="g.toml")
    assert field in {p.field for p in err.value.problems}


def test_an_indicator_system_with_its_own_eligibility_table_is_refused():
    text = (ROOT / "programmes" / "hefei-template" / "indicators.toml").read_text("utf-8")
    with pytest.raises(InputError, match="eligibility gate is a file of the programme bundle"):
        loads_system(text + '\n[eligibility]\ncity_zh = "合肥"\n')


# -- the core names no programme ---------------------------------------------------------------------

OWNED = ["carbon_core/schema.py", "carbon_core/programmes.py", "carbon_core/io/inventory.py",
         "carbon_core/io/reference.py", "carbon_core/balance/instruments.py",
         "carbon_core/balance/policy.py", "carbon_core/scoring/evidence.py",
         "carbon_core/scoring/system.py"]


@pytest.mark.parametrize("path", OWNED)
def test_no_programme_or_city_named_in_the_core(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    found = re.findall(r"合肥|hefei|3401|芜湖|wuhu|cn-miit", text, re.I)
    assert not found, f"{path} names {sorted(set(found))}"


def test_the_qualified_verdict_is_named_by_the_programme():
    from carbon_core.scoring.evaluate import VERDICTS

    assert "零碳示范" not in VERDICTS["qualified"][0]           # the core's generic words
    assert load_system(programme="hefei-template").verdict_names()["qualified"][0] == \
        "符合零碳示范工厂评价要求"                                  # the Hefei template's own
    src = resources.files("carbon_core_programmes") / "_template"
    assert loads_system((src / "indicators.toml").read_text("utf-8")).verdict_names() == {}


def test_rank_refuses_scores_of_different_programmes(results, tmp_path):
    files = []
    for name in SHIPPED:
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(evaluate(results, programme=name).to_dict(), ensure_ascii=False),
                     encoding="utf-8")
        files.append(str(f))
    r = CliRunner().invoke(main, ["rank", *files])
    assert r.exit_code != 0 and "different indicator systems or programmes" in r.output
    ok = CliRunner().invoke(main, ["rank", files[1], files[1], "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["system"]["programme"]["name"] == "cn-miit-2026-template"
