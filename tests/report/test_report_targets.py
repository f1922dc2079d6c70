"""[targets] and [dynamic]: declared, validated with every problem at once, and inert."""

from __future__ import annotations

import re

import pytest

from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.targets import parse_dynamic, parse_targets

from report_tools import EXAMPLE


def _with(tmp_path, extra: str):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text[: text.index("# -- base year, annual targets")]  # the example without its own
    text = text.replace('files = ["meters.parquet"]', f'files = ["{EXAMPLE.parent}/meters.parquet"]')
    path = tmp_path / "inventory.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_example_tables_parse(example):
    t = parse_targets(example.results_obj.inventory.raw)
    assert t.base_year == 2022 and t.base_values["intensity.tco2e_per_wan_cny"] == 0.262
    # the plan's two quantified 2024 targets are merged in, with where each was declared
    assert [(a.year, a.metric, a.value) for a in t.for_year(2024)] == [
        (2024, "balance.renewable_electricity_share", 0.25),
        (2024, "intensity.tco2e_per_wan_cny", 0.20)]
    assert {a.origin for a in t.for_year(2024)} == {"evidence.plan.targets[0]",
                                                   "evidence.plan.targets[1]"}
    assert len(t.for_year(2025)) == 2
    d = parse_dynamic(example.results_obj.inventory.raw)
    assert len(d.projects) == 3 and d.projects[0].saving_tce == 180.0
    assert d.filled_on == "2025-01-15" and not d.name_changed and len(d.next_year_plan) == 3


def test_every_problem_at_once(tmp_path):
    path = _with(tmp_path, """
[targets]
base_year = 1800
colour = "red"
base_values = { "intensity" = 1.0, "a.b" = "x" }

[[targets.annual]]
year = 2025
metric = "not a metric"
value = "high"

[[targets.annual]]
year = 2024
metric = "intensity.tco2e_per_wan_cny"
value = 0.21

[dynamic]
filled_on = "last week"
problems = [1, 2]
extra = true

[[dynamic.projects]]
kind = "magic"
status = "done"
saving_tce = -3

[dynamic.changes]
name_changed = true
restructured = "yes"
""")
    with pytest.raises(InputError) as err:
        load_inventory(path)
    text = str(err.value)
    expected = [
        r"row targets, field 'base_year': value out of range; found 1800; expected an integer "
        r">= 1990 and <= 2100",
        r"row targets, field 'colour': unknown key",
        r"row targets.base_values, field 'intensity': not a metric name",
        r"row targets.base_values, field 'a.b': not a number; found 'x'",
        r"row targets.annual\[0\], field 'metric': malformed value; found 'not a metric'; "
        r"expected a dotted metric name",
        r"row targets.annual\[0\], field 'value': not a number; found 'high'",
        # 0.21 in [targets] against 0.20 in [evidence.plan]: one target, two values
        r"row evidence.plan.targets\[0\], field 'value': the same target is declared twice",
        r"row dynamic, field 'filled_on': not a date; found 'last week'",
        r"row dynamic, field 'problems\[0\]': not a string; found 1",
        r"row dynamic, field 'problems\[1\]': not a string; found 2",
        r"row dynamic, field 'extra': unknown key",
        r"row dynamic.projects\[0\], field 'name': missing key; expected the project's name",
        r"row dynamic.projects\[0\], field 'kind': unknown kind; found 'magic'",
        r"row dynamic.projects\[0\], field 'status': unknown status; found 'done'",
        r"row dynamic.projects\[0\], field 'saving_tce': value out of range; found -3; "
        r"expected a number >= 0",
        r"row dynamic.changes, field 'restructured': not true/false; found 'yes'",
        r"row dynamic.changes, field 'former_name': a name change needs the former name",
    ]
    for e in expected:
        assert re.search(e, text), e
    assert str(path) in text
    assert text.count("\n  - ") == len(expected)   # every problem, and nothing else


def test_tables_change_no_number(tmp_path, example):
    from carbon_core import compute

    path = _with(tmp_path, "")  # the example without [targets] and [dynamic]
    bare = compute(path, allow_outside=True).to_dict()  # its data file is the example's
    full = example.results
    for key in ("scope1", "scope2", "energy", "balance", "metrics", "monthly", "intensities"):
        assert bare[key] == full[key], key


def test_not_a_table(tmp_path):
    with pytest.raises(InputError, match=r"field 'targets': not a table; found 'int'; "
                                         r"expected a \[targets\] table"):
        parse_targets({"targets": 3})
    with pytest.raises(InputError, match=r"field 'dynamic': not a table; found 'list'; "
                                         r"expected a \[dynamic\] table"):
        parse_dynamic({"dynamic": [1]})


def test_semantic_checks_beside_the_schema():
    with pytest.raises(InputError, match=r"row targets, field 'base_year': base values need "
                                         r"their base year"):
        parse_targets({"targets": {"base_values": {"intensity.tco2e_per_wan_cny": 0.3}}})
    with pytest.raises(InputError, match=r"row dynamic.changes, field 'description': a "
                                         r"restructuring needs its description"):
        parse_dynamic({"dynamic": {"changes": {"restructured": True}}})
    # one string where a list is declared is a list of one; blank entries are left out
    d = parse_dynamic({"dynamic": {"problems": "空压机老化", "next_year_plan": ["", "光伏二期"],
                                   "projects": [{"name": "LED", "completed_on": "2024-05-01"}]}})
    assert d.problems == ("空压机老化",) and d.next_year_plan == ("光伏二期",)
    assert d.projects[0].completed_on == "2024-05-01" and d.projects[0].kind == "other"


def test_the_field_reference_documents_both_tables():
    """docs/inventory.md's reference is generated from TARGETS and DYNAMIC (io/targets.py)."""
    from carbon_core.io.reference import inventory_reference

    text = inventory_reference()
    for heading in ("### [targets]", "#### [[targets.annual]]", "### [dynamic]",
                    "#### [[dynamic.projects]]", "#### [dynamic.changes]"):
        assert heading in text, heading
    assert "| `saving_tce` | number >= 0 |" in text
