"""The results JSON text (carbon_core.outputs.json), the JSON-ready copy of a result
(carbon_core.results._jsonable) and the collector pause (carbon_core._gcpause)."""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon_core._gcpause import gc_paused
from carbon_core.outputs.json import dumps, dumps_bytes, first_non_finite
from carbon_core.results import _jsonable

EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"

floats = st.floats(allow_nan=False, allow_infinity=False)
leaves = st.none() | st.booleans() | st.integers(-2**62, 2**62) | floats | st.text(max_size=8)
docs = st.recursive(leaves, lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.text(max_size=6), kids, max_size=4), max_leaves=30)


def _bits(obj):
    """The document with every float as its bit pattern (so -0.0 and 0.0 differ)."""
    if isinstance(obj, float):
        return ("f", struct.pack("<d", obj))
    if isinstance(obj, dict):
        return {k: _bits(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_bits(v) for v in obj]
    return obj


@settings(max_examples=300, deadline=None)
@given(docs)
def test_the_text_reads_back_as_the_same_document_to_the_last_bit(doc):
    for indent in (2, None):
        text = dumps(doc, indent=indent)
        assert _bits(json.loads(text)) == _bits(doc)
    assert dumps_bytes(doc) == dumps(doc).encode("utf-8")


def test_the_text_is_jsons_text_where_no_number_needs_an_exponent():
    doc = {"名称 name": "合肥", "a": [1, 2.5, None, True, {}, []], "b": {"c": -0.0, "d": 1e15},
           "e": 0.1 + 0.2}
    assert dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


def test_the_example_results_text_is_jsons_text_read_back_identical():
    from carbon_core import compute

    doc = compute(EXAMPLE).to_dict()
    assert json.loads(dumps(doc)) == doc
    assert json.loads(dumps(doc)) == json.loads(json.dumps(doc))


def test_other_indents_go_through_json():
    assert dumps({"a": [1]}, indent=4) == json.dumps({"a": [1]}, indent=4)


def test_numpy_values_and_int_keys_are_written_as_json_writes_them():
    doc = {1: np.float64(0.25), "n": np.int64(3), "arr": np.arange(2.0)}
    assert json.loads(dumps(doc)) == {"1": 0.25, "n": 3, "arr": [0.0, 1.0]}


def test_a_value_json_cannot_hold_is_a_type_error():
    with pytest.raises(TypeError):
        dumps({"p": object()})


def test_first_non_finite_names_the_path():
    assert first_non_finite({"a": [1.0, {"b": 2.0}]}) is None
    assert first_non_finite({"a": [1.0, {"b": math.nan}]}) == "a[1].b"
    assert first_non_finite({"u": {"x": [math.inf]}}) == "u.x[0]"
    assert first_non_finite(math.nan) == "(the document)"
    assert first_non_finite({"s": "nan", "i": 7}) is None


# -- _jsonable against its definition ----------------------------------------------------------

def _reference(obj):
    """The definition: str keys, lists, Python numbers, None for non-finite, str paths,
    dataclasses as asdict (the walk results.to_dict did before it was made faster)."""
    if isinstance(obj, dict):
        return {str(k): _reference(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_reference(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return _reference(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _reference(dataclasses.asdict(obj))
    return obj


@dataclasses.dataclass
class _Record:
    x: float
    tags: tuple


class _Sub(dict):
    pass


odd = (st.floats() | st.sampled_from([math.nan, math.inf, -math.inf])
       | st.floats().map(np.float64) | st.integers(-99, 99).map(np.int64)
       | st.just(Path("/a/b")) | st.builds(_Record, st.floats(), st.tuples(st.integers())))
messy = st.recursive(leaves | odd, lambda kids: st.lists(kids, max_size=4)
                     | st.tuples(kids, kids)
                     | st.dictionaries(st.text(max_size=4) | st.integers(0, 9), kids, max_size=4)
                     | st.dictionaries(st.text(max_size=4), kids, max_size=3).map(_Sub),
                     max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(messy)
def test_jsonable_is_its_definition(obj):
    got, want = _jsonable(obj), _reference(obj)
    assert _bits(got) == _bits(want)
    assert json.loads(json.dumps(got, allow_nan=False)) == json.loads(json.dumps(want))


def test_to_dict_line_items_are_each_line_items_own_dict():
    """The line items are built in one pass; each equals its LineItem.to_dict made ready."""
    from carbon_core import compute

    res = compute(EXAMPLE)
    doc = res.to_dict()
    assert doc["line_items"] == [_reference(li.to_dict()) for li in res.line_items]
    assert list(doc)[list(doc).index("monthly") + 1] == "line_items"  # its place kept
    doc["line_items"][0]["details"]["poked"] = True  # a copy: the result is untouched
    assert "poked" not in res.line_items[0].details


# -- the collector pause --------------------------------------------------------------------

def test_gc_paused_restores_the_collector_as_it_was():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner use did not disable it: it leaves it off
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with gc_paused():
            raise KeyError("x")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off: left off
    finally:
        gc.enable()


# -- the terminal summary of a large result ---------------------------------------------------

def test_the_summary_names_twelve_unconfirmed_line_items_and_counts_the_rest():
    import io

    from carbon_core import compute
    from carbon_core.outputs.terminal import write_terminal

    doc = compute(EXAMPLE).to_dict()
    few = doc["provenance"]["unconfirmed_line_items"]
    out = io.StringIO()
    write_terminal(doc, out)
    assert ", ".join(few) in out.getvalue().replace("\n", " ") or all(
        x in out.getvalue() for x in few)
    doc["provenance"]["unconfirmed_line_items"] = [f"scope3:lot{i}:CO2e" for i in range(100_000)]
    out = io.StringIO()
    write_terminal(doc, out)
    text = out.getvalue()
    assert "100,000 line item(s) rest on unconfirmed factors" in text
    assert "scope3:lot11:CO2e" in text and "scope3:lot12:CO2e" not in text
    assert "and 99,988 more (provenance.unconfirmed_line_items)" in " ".join(text.split())
    assert len(text) < 20_000
