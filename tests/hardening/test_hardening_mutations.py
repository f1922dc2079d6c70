"""The mutation suite: programmatic corruptions of the example factory through the CLI.

Every key of the example inventory deleted, misspelt, retyped, negated and made non-finite; the
meter file truncated, bit-flipped and re-encoded. Each run asserts: exit code 0 or 2, no
traceback, on failure a message naming a file and a field, and the claims ledger unchanged.

A full pass is ~740 inventory mutations (several minutes); the default run takes a fixed,
deterministic sample of every kind (all non-finite and negated numbers, every 8th of the others)
so the suite stays well inside the test budget. ``CARBON_MUTATIONS=all`` runs every mutation.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from carbon_core.cli import main

import hardening_mutations as M
from hardening_helpers import EXAMPLE, no_traceback, sha

ALL = os.environ.get("CARBON_MUTATIONS") == "all"
STRIDE = 1 if ALL else 8
ALL_MUTATIONS = M.inventory_mutations()


def _sample(kinds, stride=STRIDE):
    ms = [m for m in ALL_MUTATIONS if m.kind in kinds]
    return ms[::stride]


SAMPLE = _sample(("nonfinite", "negate"), 1) + _sample(("delete", "misspell", "retype"))


@pytest.fixture(scope="module")
def baseline_ledger(tmp_path_factory) -> Path:
    """A ledger holding another factory's claims on other serials (so a run has one to change)."""
    d = tmp_path_factory.mktemp("base")
    for f in EXAMPLE.iterdir():
        shutil.copy(f, d / f.name)
    inv = d / "inventory.toml"
    text = inv.read_text(encoding="utf-8").replace("91340100MA2N0K1X3U", "91350100M000100Y43")
    for a, b in (("W#100001..106000", "W#200001..206000"), ("S#5000001..5004000",
                                                           "S#6000001..6004000"),
                 ("0001#1..1500", "0001#2001..3500")):
        text = text.replace(a, b)
    inv.write_text(text, encoding="utf-8")
    db = d / "ledger.sqlite"
    r = CliRunner().invoke(main, ["compute", str(inv), "--ledger", str(db)])
    assert r.exit_code == 0, r.output
    return db


@pytest.fixture
def case_dir(tmp_path) -> Path:
    shutil.copy(EXAMPLE / "meters.parquet", tmp_path / "meters.parquet")
    return tmp_path


def _run(inv: Path, db: Path):
    r = CliRunner().invoke(main, ["compute", str(inv), "--ledger", str(db), "--json"])
    no_traceback(r)
    assert r.exit_code in (0, 2), r.output
    return r


def _named(output: str) -> bool:
    return bool(re.search(r"(inventory\.toml|meters\.parquet)", output)) and "field '" in output


@pytest.mark.parametrize("mutation", SAMPLE, ids=lambda m: m.id)
def test_inventory_mutation(mutation, case_dir, baseline_ledger):
    db = case_dir / "ledger.sqlite"
    shutil.copy(baseline_ledger, db)
    before = sha(db)
    inv = M.write(mutation.apply(M.load()), case_dir)
    if mutation.kind == "nonfinite" and mutation.path[0] == "evidence":
        r = CliRunner().invoke(main, ["score", str(inv)])  # [evidence] is the scoring layer's
        no_traceback(r)
    else:
        r = _run(inv, db)
    if r.exit_code == 2:
        assert r.output.startswith("error:")
        assert _named(r.output), r.output
        assert sha(db) == before, "a failed run changed the ledger"
    if mutation.kind == "nonfinite":
        assert r.exit_code == 2 and f"'{mutation.key}'" in r.output


def test_misspelt_keys_are_refused(case_dir, baseline_ledger):
    """Every misspelt key is refused naming it (`renewabel = true` was silently ignored). The
    [evidence] tables belong to the scoring layer: their keys are checked by `carbon score`."""
    accepted = []
    for m in _sample(("misspell",)):
        db = case_dir / "ledger.sqlite"
        shutil.copy(baseline_ledger, db)
        inv = M.write(m.apply(M.load()), case_dir)
        if m.path[0] == "evidence":
            r = CliRunner().invoke(main, ["score", str(inv)])
            no_traceback(r)
        else:
            r = _run(inv, db)
        if r.exit_code != 2 or M._misspell(m.key) not in r.output:
            accepted.append(m.id)
    assert not accepted, f"{len(accepted)} misspellings accepted: {accepted}"


def test_negative_physical_quantities_are_refused(case_dir, baseline_ledger):
    """A negative enthalpy turned purchased steam into -2,373 tCO2e: every quantity that cannot
    be negative is refused when negative, naming it."""
    accepted = []
    for m in ALL_MUTATIONS:
        if m.kind != "negate" or m.key not in M.NON_NEGATIVE:
            continue
        db = case_dir / "ledger.sqlite"
        shutil.copy(baseline_ledger, db)
        r = _run(M.write(m.apply(M.load()), case_dir), db)
        if r.exit_code != 2 or f"'{m.key}'" not in r.output:
            accepted.append(m.id)
    assert not accepted, f"negative quantities accepted: {accepted}"


# -- meter file mutations --------------------------------------------------------------------

def _meter_cases():
    data = (EXAMPLE / "meters.parquet").read_bytes()
    n = len(data)
    cases = {f"truncate:{k}": (lambda d, k=k: d[:k]) for k in (0, 4, 1000, n // 3, n - 8, n - 1)}
    for pos in range(4, n - 8, max((n - 12) // (400 if ALL else 10), 1)):
        cases[f"bitflip:{pos}"] = (lambda d, pos=pos: d[:pos] + bytes([d[pos] ^ 0x10])
                                   + d[pos + 1:])
    return cases


METER_CASES = _meter_cases()


@pytest.mark.parametrize("case", sorted(METER_CASES), ids=str)
def test_meter_file_mutation(case, case_dir, baseline_ledger):
    path = case_dir / "meters.parquet"
    path.write_bytes(METER_CASES[case](path.read_bytes()))
    shutil.copy(EXAMPLE / "inventory.toml", case_dir / "inventory.toml")
    db = case_dir / "ledger.sqlite"
    shutil.copy(baseline_ledger, db)
    before = sha(db)
    r = _run(case_dir / "inventory.toml", db)
    if case.startswith("truncate"):
        assert r.exit_code == 2
    if r.exit_code == 2:
        assert "meters.parquet" in r.output and sha(db) == before


def _reference_scope2():
    r = CliRunner().invoke(main, ["compute", str(EXAMPLE / "inventory.toml"), "--json"])
    import json
    return json.loads(r.output)["scope2"]["location_based_tco2e"]


@pytest.mark.parametrize("encoding", ["csv-utf8", "csv-utf16", "csv-gbk-text", "parquet-plain",
                                      "parquet-string-times"])
def test_meter_file_reencoded(encoding, case_dir):
    import json

    table = pq.read_table(EXAMPLE / "meters.parquet")
    inv_text = (EXAMPLE / "inventory.toml").read_text(encoding="utf-8")
    if encoding.startswith("csv"):
        target = case_dir / "meters.csv"
        pacsv.write_csv(table, target)
        if encoding == "csv-utf16":
            target.write_bytes(target.read_text(encoding="utf-8").encode("utf-16"))
        if encoding == "csv-gbk-text":
            target.write_bytes(target.read_bytes().replace(b"pv-roof", "光伏".encode("gbk")))
        inv_text = inv_text.replace('"meters.parquet"', '"meters.csv"')
    elif encoding == "parquet-plain":
        pq.write_table(table, case_dir / "meters.parquet", compression="none",
                       use_dictionary=False)
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        t = table.set_column(0, "timestamp", pc.strftime(table.column("timestamp"),
                                                        "%Y-%m-%dT%H:%M:%S"))
        pq.write_table(t.cast(pa.schema([("timestamp", pa.string()), t.schema.field(1),
                                         t.schema.field(2)])), case_dir / "meters.parquet")
    inv = case_dir / "inventory.toml"
    inv.write_text(inv_text, encoding="utf-8")
    r = CliRunner().invoke(main, ["compute", str(inv), "--json"])
    no_traceback(r)
    if encoding in ("csv-utf8", "parquet-plain", "parquet-string-times"):
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["scope2"]["location_based_tco2e"] == pytest.approx(
            _reference_scope2(), rel=1e-12)
    else:
        assert r.exit_code == 2 and "meters.csv" in r.output
        assert ("UTF-16" if encoding == "csv-utf16" else "not UTF-8 (it looks like GBK") \
            in r.output
