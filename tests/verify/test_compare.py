"""``compare_documents``: the leaf-by-leaf comparison, including its shortcut for sections that
are equal as a whole (counted, not compared leaf by leaf)."""

from __future__ import annotations

import copy
import json

from carbon_core.verify import Tolerance, compare_documents
from carbon_core.verify.recompute import _flatten

DOC = {
    "scope1": {"total_tco2e": 10.0, "by_gas_tco2e": {"CO2": 9.0, "CH4": 1.0}},
    "line_items": [{"id": "a", "emissions_tco2e": 4.0}, {"id": "b", "emissions_tco2e": 6.0}],
    "monthly": [1.0, 2.0],
    "provenance": {"inventory": {"path": "/here/inventory.toml", "sha256": "ab"}},
    "reporting_year": 2024,
}


def test_equal_documents_count_every_compared_leaf():
    diffs, n = compare_documents(DOC, copy.deepcopy(DOC))
    assert diffs == []
    # every flattened leaf except the context field provenance.inventory.path
    assert n == len(_flatten(DOC)) - 1


def test_differences_sorted_by_path_in_changed_and_unchanged_sections():
    other = copy.deepcopy(DOC)
    other["scope1"]["by_gas_tco2e"]["CH4"] = 1.5
    other["line_items"][1]["emissions_tco2e"] = 6.0 + 1e-6
    other["provenance"]["inventory"]["path"] = "/elsewhere/inventory.toml"  # context: ignored
    del other["monthly"]
    diffs, n = compare_documents(DOC, other)
    assert [(d.item, d.field) for d in diffs] == [
        ("b", "emissions_tco2e"), ("monthly", "#"), ("monthly", "0"), ("monthly", "1"),
        ("scope1", "by_gas_tco2e.CH4")]
    assert [d.recomputed for d in diffs[1:4]] == ["<absent>"] * 3
    assert n == len(_flatten(DOC)) - 1


def test_tolerance_and_infinite_numbers_in_an_equal_section():
    inf = json.loads('{"x": {"v": Infinity}}')
    diffs, n = compare_documents(inf, json.loads('{"x": {"v": Infinity}}'))
    # an infinite number never reproduces within |a - b| <= atol + rtol |a|, even against itself
    assert [(d.item, d.field) for d in diffs] == [("x", "v")] and n == 1
    near = {"x": {"v": 1.0}}
    assert compare_documents(near, {"x": {"v": 1.0 + 1e-12}})[0] == []
    assert compare_documents(near, {"x": {"v": 1.1}}, tolerance=Tolerance(rtol=0.2))[0] == []
    assert len(compare_documents(near, {"x": {"v": 1.1}})[0]) == 1


def test_scratch_folder_in_memory_only_for_small_bundles():
    from carbon_core.verify import recompute

    big = recompute.SCRATCH_IN_MEMORY_MAX + 1
    assert recompute._scratch_folder(big) is None  # the system's temporary folder
    small = recompute._scratch_folder(1000)
    import os
    from pathlib import Path

    if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK | os.X_OK):
        assert small == "/dev/shm"
    else:
        assert small is None


def test_policy_redirect_equals_parsing_the_inventory_again(tmp_path):
    """The verifier points [balance] at the bundled policy without parsing the inventory twice;
    that must give the inventory a second parse would."""
    from carbon_core.io.inventory import load_inventory, parse_inventory
    from carbon_core.verify.recompute import _with_balance_table
    from verify_helpers import EXAMPLE

    inv = load_inventory(EXAMPLE)
    raw = dict(inv.raw)
    bal = dict(raw.get("balance") or {})
    assert bal.pop("policy", None) is not None
    bal["policy_file"] = ".carbon-bundle/hefei-template.toml"
    raw["balance"] = bal
    assert _with_balance_table(inv, raw) == parse_inventory(raw, inv.path)
