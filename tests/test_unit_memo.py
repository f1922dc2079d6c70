"""The unit memo (carbon_core.units, module docstring): the registry's answers for unit texts,
remembered on disk, so that a compute of units seen before neither imports pint nor builds the
registry, with answers identical to the registry's to the last bit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from factories import compute_example_in_a_process

from carbon_core import units
from carbon_core.errors import UnitError

#: (from, to, context) pairs a compute asks: Chinese spellings, composites, GWP contexts
PAIRS = [("万kWh", "MWh", None), ("tce", "GJ", None), ("吨标准煤", "kgce", None),
         ("GJ/万Nm3", "GJ/Nm3", None), ("tce/(万Nm3)", "kgce/Nm3", None),
         ("kg CH4/TJ", "kgCO2e/TJ", "AR5"), ("t N2O", "tCO2e", "AR6"), ("MMBtu", "GJ", None),
         ("万元", "CNY", None), ("tC", "tCO2", None), ("Mscf", "Nm3", None)]


def _fresh(monkeypatch, folder: Path) -> units._Memo:
    monkeypatch.setenv("CARBON_CORE_CACHE", str(folder))
    memo = units._Memo()
    monkeypatch.setattr(units, "_MEMO", memo)
    return memo


def test_remembered_factors_are_the_registrys_floats_to_the_last_bit(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    direct = [units._conversion_factor(a, b, c) for a, b, c in PAIRS]
    assert [units.conversion_factor(a, b, c) for a, b, c in PAIRS] == direct  # asked, put
    memo.save()
    reread = _fresh(monkeypatch, tmp_path)  # a new process: answers from the file only
    got = [units.conversion_factor(a, b, c) for a, b, c in PAIRS]
    assert [x.hex() for x in got] == [x.hex() for x in direct]
    assert reread._new == {}  # nothing was asked of the registry again
    # the published constant survives the trip (GB/T 2589-2020 §3.3: 1 kgce = 29,307.6 kJ)
    assert units.conversion_factor("tce", "GJ") == 29.3076


def test_checks_dimensions_and_products_are_remembered(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    units.check_unit("万Nm³")
    assert units.same_dimension("kg", "t") and not units.same_dimension("GJ", "t")
    assert units.product_factor("万Nm3", "kg/Nm3", "t") == 10.0
    memo.save()
    again = _fresh(monkeypatch, tmp_path)
    units.check_unit("万Nm³")
    assert units.same_dimension("kg", "t") and not units.same_dimension("GJ", "t")
    assert units.product_factor("万Nm3", "kg/Nm3", "t") == 10.0
    assert again._new == {}


def test_a_refusal_is_remembered_with_pints_own_message(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    with pytest.raises(UnitError) as first:
        units.conversion_factor("GJ", "t")
    with pytest.raises(UnitError) as ambiguous:
        units.check_unit("tons")
    memo.save()
    again = _fresh(monkeypatch, tmp_path)
    with pytest.raises(UnitError) as second:
        units.conversion_factor("GJ", "t")
    with pytest.raises(UnitError) as ambiguous2:
        units.check_unit("tons")
    assert str(second.value) == str(first.value) and "measure different things" in str(first.value)
    assert str(ambiguous2.value) == str(ambiguous.value) and "short_ton" in str(ambiguous.value)
    assert again._new == {}


@pytest.mark.parametrize("content", ["", "{not json", '{"fingerprint": "other", "entries": {}}',
                                     "[1, 2]", '{"fingerprint": null}'])
def test_an_unreadable_or_foreign_file_is_ignored(tmp_path, monkeypatch, content):
    memo = _fresh(monkeypatch, tmp_path)
    memo.path().write_text(content, encoding="utf-8")
    assert units.conversion_factor("万kWh", "MWh") == 10.0
    memo.save()
    doc = json.loads(memo.path().read_text(encoding="utf-8"))
    assert doc["fingerprint"] == memo.fingerprint() and doc["entries"]


def test_an_answer_of_the_wrong_kind_is_asked_again(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    key = units._memo_key("factor", "tce", "GJ", None)
    memo.path().write_text(json.dumps({"fingerprint": memo.fingerprint(),
                                       "entries": [[list(key), "29.3076"], [1, 2], [[3], 4]]}),
                           encoding="utf-8")
    assert units.conversion_factor("tce", "GJ") == 29.3076  # a float from the registry
    assert memo._new == {key: 29.3076}


def test_a_plugin_definition_changes_the_fingerprint(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    before = memo.fingerprint()
    monkeypatch.setattr(units, "_EXTRA_DEFINITIONS", [])
    units._EXTRA_DEFINITIONS.append("memo_test_unit = 7 kg")
    memo.reset()
    assert memo.fingerprint() != before


def test_define_keeps_the_answers_so_far_under_the_old_fingerprint(tmp_path, monkeypatch):
    memo = _fresh(monkeypatch, tmp_path)
    monkeypatch.setattr(units, "_EXTRA_DEFINITIONS", [])
    monkeypatch.setattr(units, "_REGISTRY", [])  # a registry of this test's own
    assert units.conversion_factor("万kWh", "MWh") == 10.0
    old = memo.path()
    units.define("memo_test_unit = 7 kg")
    assert memo.path() != old
    saved = json.loads(old.read_text(encoding="utf-8"))
    assert [["factor", "万kWh", "MWh", None], 10.0] in saved["entries"]
    assert units.conversion_factor("memo_test_unit", "kg") == 7.0


def test_caching_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBON_CORE_CACHE", "off")
    memo = units._Memo()
    monkeypatch.setattr(units, "_MEMO", memo)
    assert units.conversion_factor("万kWh", "MWh") == 10.0
    assert memo.path() is None
    memo.save()  # nothing to write to, no error


def _compute(cache: str) -> tuple[str, bool]:
    out = compute_example_in_a_process(
        "import sys\nprint(repr('pint' in sys.modules))\nprint(out.getvalue())",
        env={**os.environ, "CARBON_CORE_CACHE": cache})
    flag, _, text = out.partition("\n")
    return text, flag == "True"


def test_a_second_compute_needs_no_pint_and_gives_the_same_digits(tmp_path):
    first, pint_first = _compute(str(tmp_path))
    second, pint_second = _compute(str(tmp_path))
    reference, pint_off = _compute("off")
    assert pint_first and pint_off  # the probe sees pint when the registry is asked
    assert not pint_second
    assert json.loads(second) == json.loads(reference) == json.loads(first)
    assert second == reference
