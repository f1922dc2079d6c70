"""[targets] and [dynamic]: declared, validated with every problem at once, and inert."""

from __future__ import annotations

import re

import pytest

from carbon_core.errors import InputError
from carbon_core.io.inventory import load_inventory
from carbon_core.io.targets import parse_dynamic, parse_targets

from conftest import EXAMPLE


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
        r"row targets, field 'base_year': not a year; found 1800",
        r"row targets, field 'colour': unknown key",
        r"row targets.base_values, field 'intensity': not a metric name",
        r"row targets.base_values, field 'a.b': not a number; found 'x'",
        r"row targets.annual\[0\], field 'metric': not a metric name; found 'not a metric'",
        r"row targets.annual\[0\], field 'value': not a number; found 'high'",
        # 0.21 in [targets] against 0.20 in [evidence.plan]: one target, two values
        r"row evidence.plan.targets\[0\], field 'value': the same target is declared twice",
        r"row dynamic, field 'filled_on': not a date; found 'last week'",
        r"row dynamic, field 'problems': wrong type",
        r"row dynamic, field 'extra': unknown key",
        r"row dynamic.projects\[0\], field 'name': a project needs its name",
        r"row dynamic.projects\[0\], field 'kind': unknown project kind; found 'magic'",
        r"row dynamic.projects\[0\], field 'status': unknown project status; found 'done'",
        r"row dynamic.projects\[0\], field 'saving_tce': not a number >= 0; found -3",
        r"row dynamic.changes, field 'restructured': wrong type; found 'yes'",
        r"row dynamic.changes, field 'former_name': a name change needs the former name",
    ]
    for e in expected:
        assert re.search(e, text), e
    assert str(path) in text


def test_tables_change_no_number(tmp_path, example):
    from carbon_core import compute

    path = _with(tmp_path, "")  # the example without [targets] and [dynamic]
    bare = compute(path, allow_outside=True).to_dict()  # its data file is the example's
    full = example.results
    for key in ("scope1", "scope2", "energy", "balance", "metrics", "monthly", "intensities"):
        assert bare[key] == full[key], key


def test_not_a_table(tmp_path):
    with pytest.raises(InputError, match=r"\[targets\] must be a table"):
        parse_targets({"targets": 3})
    with pytest.raises(InputError, match=r"\[dynamic\] must be a table"):
        parse_dynamic({"dynamic": [1]})
