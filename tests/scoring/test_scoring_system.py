"""Loading indicator systems: the shipped template, and every kind of bad indicator file."""

import re

import pytest
from scoring_fakes import MINI_SYSTEM

from carbon_core.errors import InputError
from carbon_core.metrics import MetricInfo, available_metrics
from carbon_core.scoring import load_system, loads_system
from carbon_core.scoring.derived import DERIVED_METRICS


def fields_of(err):
    return [(p.row, p.field) for p in err.problems]


# ---------------------------------------------------------------------------- the template


def test_template_loads_and_is_labelled_a_template():
    s = load_system()
    assert s.is_template and s.status == "template"
    assert "TEMPLATE" in s.notice and "--system" in s.notice
    assert sum(level.weight for level in s.levels) == pytest.approx(100.0)
    assert [level.name_zh for level in s.levels] == [
        "科学算碳", "源头减碳", "过程脱碳", "全链条降碳", "智能控碳", "碳抵销和信息披露"]
    assert len({i.id for i in s.indicators}) == len(s.indicators)
    for ind in s.indicators:
        assert ind.name_zh and ind.name_en
        assert ind.assumption, f"{ind.id}: every template item states its assumption"


def test_template_reads_engine_metrics_and_evidence():
    s = load_system()
    sources = {i.source for i in s.indicators}
    for needed in ["balance.net_tco2e", "balance.renewable_electricity_share",
                   "balance.offset_share", "intensity.tce_per_wan_cny",
                   "intensity.tco2e_per_wan_cny", "yoy.intensity.tco2e_per_wan_cny",
                   "sector.*.*_energy_grade", "qualitative.digital_energy_carbon_platform"]:
        assert needed in sources
    assert {i.id for i in s.indicators if i.mandatory} == {"A1", "F1", "F3"}


def test_template_file_cites_its_sources():
    from importlib import resources

    raw = (resources.files("carbon_core_programmes") / "hefei-template" / "indicators.toml").read_text(
        encoding="utf-8")
    for cite in ["工信部联节〔2026〕13号", "GB/T 36132-2018", "GB/T 36132-2025",
                 "T/CECA-G 0171-2022", "发改环资〔2025〕910号", "template assumption"]:
        assert cite in raw, cite


def test_mini_system_loads():
    s = loads_system(MINI_SYSTEM, file="mini.toml")
    assert [lv.id for lv in s.levels] == ["L1", "L2"]
    assert s.indicator("O4").when_missing == "not_applicable"
    assert s.indicator("M1").when_missing == "unmet"
    assert not s.is_template


def test_plugin_metric_accepted_when_its_plugin_is_available():
    text = MINI_SYSTEM.replace('metric = "intensity.tce_per_wan_cny"',
                               'metric = "sector.steel.tce_per_t_steel"')
    with pytest.raises(InputError, match="sector.steel.tce_per_t_steel"):
        loads_system(text)
    metrics = dict(available_metrics())
    metrics["sector.steel.tce_per_t_steel"] = MetricInfo("sector.steel.tce_per_t_steel", "tce/t",
                                                         "steel", False, "steel")
    assert loads_system(text, metrics=metrics).indicator("O3").source.startswith("sector.steel")


def test_derived_metrics_always_accepted():
    assert "yoy.intensity.tco2e_per_wan_cny" in DERIVED_METRICS
    text = MINI_SYSTEM.replace('metric = "intensity.tce_per_wan_cny"',
                               'metric = "yoy.intensity.tce_per_wan_cny"')
    engine = ["balance.net_tco2e", "balance.renewable_electricity_share"]
    loads_system(text, metrics=engine)  # the yoy metric is not in the list, yet accepted
    with pytest.raises(InputError, match="intensity.tce_per_wan_cny"):
        loads_system(MINI_SYSTEM, metrics=engine)


# ------------------------------------------------------------------------ bad indicator files

def _replace(old, new, text=MINI_SYSTEM):
    assert old in text, old
    return text.replace(old, new, 1)


BAD = {
    "weights do not sum": (_replace("weight = 40", "weight = 30"), ("level1.weight",),
                           "do not sum to 100"),
    "unknown metric": (_replace('"balance.renewable_electricity_share"',
                                '"balance.renewable_share"'), ("metric",), "provides"),
    "malformed rule": (_replace('{ type = "linear", baseline = 0.5, leading = 1.0 }',
                                '{ type = "linear", baseline = 0.5, leading = 0.5 }'),
                       ("rule.leading",), "no direction"),
    "unknown rule type": (_replace('type = "met"', 'type = "boolean"'), ("rule.type",),
                          "unknown rule type"),
    "rule missing": (_replace('rule = { type = "met" }\n', ''), ("rule",), "rule"),
    "duplicate indicator id": (_replace('id = "O2"', 'id = "O1"'), ("id",), "duplicate indicator"),
    "duplicate level id": (_replace('id = "L2"', 'id = "L1"'), ("id",), "duplicate first-level"),
    "duplicate name": (_replace('name_zh = "数字化平台"', 'name_zh = "可再生电力占比"'),
                       ("name_zh",), "duplicate indicator name"),
    "missing name_en": (_replace('name_en = "net zero"\n', ''), ("name_en",), "missing key"),
    "unknown kind": (_replace('kind = "mandatory"', 'kind = "required"'), ("kind",), "kind"),
    "optional with zero points": (_replace('points = 20', 'points = 0'), ("points",), "positive"),
    "negative weight": (_replace('weight = 60', 'weight = -60'), ("weight",), "positive"),
    "two sources": (_replace('evidence = "qualitative.platform"',
                             'evidence = "qualitative.platform"\nmetric = "balance.net_tco2e"'),
                    ("metric / evidence",), "exactly one"),
    "unknown evidence": (_replace('"qualitative.platform"', '"certificates"'), ("evidence",),
                         "unknown evidence"),
    "met rule on a number": (_replace('{ type = "threshold", op = "<=", value = 0 }',
                                      '{ type = "met" }'), ("rule.type",), "reads a bool"),
    "numeric rule on evidence": (_replace('rule = { type = "met" }',
                                          'rule = { type = "threshold", op = ">=", value = 1 }'),
                                 ("rule.type",), "reads a number"),
    "mandatory not applicable": (_replace('kind = "mandatory"',
                                          'kind = "mandatory"\nwhen_missing = "not_applicable"'),
                                 ("when_missing",), "always unmet"),
    "bad when_missing": (_replace('when_missing = "not_applicable"', 'when_missing = "skip"'),
                         ("when_missing",), "unknown when_missing"),
    "bad pattern": (_replace('"sector.*.energy_quota_grade"', '"sector.energy_quota_grade"'),
                    ("metric_any",), "pattern"),
    "combine without pattern": (_replace('metric = "balance.net_tco2e"',
                                         'metric = "balance.net_tco2e"\ncombine = "best"'),
                                ("combine",), "combine"),
    "typo in a key": (_replace('points = 30', 'pionts = 30'), ("pionts",), "unknown key"),
    "unknown status": (_replace('status = "official"', 'status = "draft"'), ("status",),
                       "status"),
    # the schema layer's uniform bound message (was "pass score outside 0..100")
    "pass score out of range": (_replace('pass_score = 60', 'pass_score = 160'), ("pass_score",),
                                "<= 100"),
    "level without indicators": (MINI_SYSTEM.split("[[level1.indicators]]\nid = \"O3\"")[0],
                                 ("indicators",), "no second-level"),
    "no levels": ("[meta]\nid='x'\ntitle_zh='x'\ntitle_en='x'\nstatus='official'\n", ("level1",),
                  "no first-level"),
    "steps not monotone": (_replace('{ at = 0.5, fraction = 0.5 }, { at = 0.2, fraction = 1.0 }',
                                    '{ at = 0.5, fraction = 1.0 }, { at = 0.2, fraction = 0.5 }'),
                           ("rule.steps",), "fewer points"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_file_is_refused_with_its_problem(name):
    text, fields, message = BAD[name]
    with pytest.raises(InputError) as info:
        loads_system(text, file="bad.toml")
    err = info.value
    assert any(p.field in fields for p in err.problems), fields_of(err)
    assert any(message in p.message or message in str(p) for p in err.problems), str(err)
    assert all(p.file == "bad.toml" for p in err.problems)


def test_every_problem_reported_at_once():
    text = MINI_SYSTEM
    for old, new in [("weight = 40", "weight = 41"), ('id = "O2"', 'id = "O1"'),
                     ('"intensity.tce_per_wan_cny"', '"intensity.nonsense"'),
                     ('leading = 1.0', 'leading = 0.5'), ('kind = "mandatory"', 'kind = "x"')]:
        text = text.replace(old, new, 1)
    with pytest.raises(InputError) as info:
        loads_system(text, file="many.toml")
    msg = str(info.value)
    assert re.match(r"\d+ problems in indicator system many.toml", msg)
    for part in ["do not sum to 100", "duplicate indicator id", "intensity.nonsense",
                 "no direction", "unknown kind"]:
        assert part in msg, part
    rows = {p.row for p in info.value.problems}
    assert "level1[1].indicators[2]" in rows and "level1[1].indicators[3]" in rows


def test_toml_syntax_error():
    with pytest.raises(InputError, match="not valid TOML"):
        loads_system("[meta\nid = 1", file="x.toml")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_system(tmp_path / "none.toml")


def test_load_from_path(tmp_path):
    p = tmp_path / "official.toml"
    p.write_text(MINI_SYSTEM, encoding="utf-8")
    s = load_system(p)
    assert s.path == str(p) and s.to_dict()["template"] is False
