"""Never a traceback: every failure the issue lists is one clear message and the exit-code
convention of carbon_core.cli._errors (0 ok, 1 check failed, 2 bad input, 3 internal)."""

from __future__ import annotations

import codecs
import json
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon_core.cli import main
from carbon_core.cli._errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERNAL, describe
from carbon_core.errors import InputError

from hardening_helpers import no_traceback, sha


def compute(runner, inv, *args):
    return runner.invoke(main, ["compute", str(inv), *args])


def test_gbk_inventory_named_as_not_utf8(runner, example):
    text = example.read_text(encoding="utf-8")
    example.write_bytes(text.encode("gb18030"))
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "not UTF-8" in r.output and "GBK/GB18030" in r.output and "inventory.toml" in r.output
    assert r.output.startswith("error:")


def test_utf8_bom_is_accepted(runner, example):
    plain = compute(runner, example, "--json")
    example.write_bytes(codecs.BOM_UTF8 + example.read_bytes())
    r = compute(runner, example, "--json")
    assert r.exit_code == 0, r.output
    a, b = json.loads(plain.output), json.loads(r.output)
    for doc in (a, b):
        del doc["provenance"]
    assert a == b  # the same numbers; only the inventory's hash differs


def test_utf16_inventory(runner, example):
    example.write_bytes(example.read_text(encoding="utf-8").encode("utf-16"))
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT and "UTF-16" in r.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan", "1e308"])
def test_non_finite_quantities_in_toml(runner, example, value):
    text = example.read_text(encoding="utf-8").replace("amount = 18.6", f"amount = {value}")
    example.write_text(text, encoding="utf-8")
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "activities[0]" in r.output and "'amount'" in r.output and "inventory.toml" in r.output


def test_null_meter_id_in_parquet(runner, example):
    path = example.parent / "meters.parquet"
    t = pq.read_table(path)
    ids = t.column("meter").to_pylist()
    ids[5] = None
    pq.write_table(t.set_column(1, "meter", pa.array(ids, pa.string())), path)
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "meters.parquet, row 6, field 'meter': missing meter id" in r.output


@pytest.mark.parametrize("cut", [0, 6, 100, 0.5, -8, -1])
def test_truncated_parquet(runner, example, cut):
    path = example.parent / "meters.parquet"
    data = path.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(data) + cut)
    path.write_bytes(data[:n])
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "meters.parquet: cannot read the file" in r.output


def test_parquet_page_error_and_zstd(runner, example):
    """A flipped bit inside a ZSTD-compressed data page: the page checksum names it."""
    path = example.parent / "meters.parquet"
    data = bytearray(path.read_bytes())
    data[500_000] ^= 0x04
    path.write_bytes(bytes(data))
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "meters.parquet" in r.output and "CRC checksum verification failed" in r.output


def test_output_into_missing_folder(runner, example, tmp_path):
    db = tmp_path / "ledger.sqlite"
    r = compute(runner, example, "-o", str(tmp_path / "missing" / "r.json"), "--ledger", str(db))
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT and "does not exist" in r.output
    assert not db.exists()  # nothing claimed


def test_directory_as_data_file(runner, example):
    (example.parent / "meters.parquet").unlink()
    (example.parent / "meters.parquet").mkdir()
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "field 'files[0]': is a directory" in r.output


def test_directory_as_inventory_and_ledger(runner, example):
    r = runner.invoke(main, ["compute", str(example.parent)])
    assert r.exit_code == EXIT_BAD_INPUT and "is a directory" in r.output
    r = runner.invoke(main, ["ledger", "show", "--db", str(example.parent)])
    assert r.exit_code == EXIT_BAD_INPUT and "is a directory" in r.output


@pytest.fixture(scope="module")
def good_ledger(tmp_path_factory) -> bytes:
    """The bytes of a ledger holding the example's claims (computed once)."""
    from click.testing import CliRunner

    from hardening_helpers import EXAMPLE

    db = tmp_path_factory.mktemp("ledger") / "good.sqlite"
    r = CliRunner().invoke(main, ["compute", str(EXAMPLE / "inventory.toml"), "--ledger",
                                  str(db)])
    assert r.exit_code == 0, r.output
    return db.read_bytes()


LEDGER_DAMAGE = {
    "truncated": lambda good: good[: len(good) // 2],
    "truncated_header": lambda good: good[:10],
    "corrupt_page": lambda good: good[:4096] + bytes(4096) + good[8192:],
    "text_file": lambda good: "claimant,serial\nA,G#1\n".encode(),
}


@pytest.mark.parametrize("damage", sorted(LEDGER_DAMAGE))
@pytest.mark.parametrize("command", ["show", "check", "compute"])
def test_damaged_ledger(runner, example, tmp_path, good_ledger, damage, command):
    good = good_ledger
    db = tmp_path / "damaged.sqlite"
    db.write_bytes(LEDGER_DAMAGE[damage](good))
    before = sha(db)
    if command == "compute":
        r = compute(runner, example, "--ledger", str(db))
    else:
        r = runner.invoke(main, ["ledger", command, "--db", str(db)])
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT, r.output
    assert "damaged.sqlite" in r.output
    assert any(w in r.output for w in ("damaged", "not an SQLite database", "truncated"))
    assert sha(db) == before  # never "repaired", never written


@pytest.mark.parametrize("command", ["show", "compute"])
def test_foreign_schema_named(runner, example, tmp_path, command):
    db = tmp_path / "other.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    r = (compute(runner, example, "--ledger", str(db)) if command == "compute"
         else runner.invoke(main, ["ledger", "show", "--db", str(db)]))
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "another schema" in r.output and "users" in r.output


def test_ledger_in_missing_folder(runner, example, tmp_path):
    r = compute(runner, example, "--ledger", str(tmp_path / "nope" / "l.sqlite"))
    no_traceback(r)
    assert r.exit_code == EXIT_BAD_INPUT and "does not exist" in r.output
    r = runner.invoke(main, ["ledger", "check", "--db", str(tmp_path / "nope" / "l.sqlite")])
    assert r.exit_code == EXIT_BAD_INPUT and "no ledger" in r.output


def test_read_only_ledger_message():
    """A write refused by SQLite (a read-only file or folder) is named as read-only. As root in
    CI the file permissions cannot refuse a write, so the mapping itself is tested."""
    from carbon_core.balance.ledger import _db_error

    err = _db_error("l.sqlite", sqlite3.OperationalError("attempt to write a readonly database"),
                    writing=True)
    assert isinstance(err, InputError) and "read-only" in str(err) and "l.sqlite" in str(err)


def test_exit_code_convention():
    assert describe(InputError("x"))[1] == EXIT_BAD_INPUT
    assert describe(FileNotFoundError(2, "No such file", "/no/where/x.json"))[1] == EXIT_BAD_INPUT
    assert describe(sqlite3.DatabaseError("file is not a database"))[1] == EXIT_BAD_INPUT
    msg, code = describe(ZeroDivisionError("division by zero"))
    assert code == EXIT_INTERNAL and "internal error" in msg and "report" in msg


def test_internal_error_is_one_line(runner, monkeypatch, example):
    import carbon_core.engine

    def boom(*a, **k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(carbon_core.engine, "compute", boom)
    r = compute(runner, example)
    no_traceback(r)
    assert r.exit_code == EXIT_INTERNAL
    assert r.output.startswith("error: internal error: ZeroDivisionError")


def test_same_prefix_and_code_for_score_and_compute(runner, tmp_path):
    missing = tmp_path / "none.toml"
    a = runner.invoke(main, ["compute", str(missing)])
    b = runner.invoke(main, ["score", str(missing)])
    assert a.exit_code == b.exit_code == EXIT_BAD_INPUT
    assert "error:" in a.output and "error:" in b.output and "Error:" not in b.output


def test_ledger_check_failure_is_exit_1(runner, example, tmp_path):
    db = tmp_path / "l.sqlite"
    assert compute(runner, example, "--ledger", str(db)).exit_code == 0
    con = sqlite3.connect(db)  # a forged claim overlapping the example's CCER serials
    con.execute("INSERT INTO claims (claimant, reporting_year, item_id, item_type, kind, amount, "
                "unit, recorded_at) VALUES ('X', 2024, 'forged', 'offset:CCER', 'offset', 10, "
                "'tCO2e', 'now')")
    con.execute("INSERT INTO serials VALUES (last_insert_rowid(), 'CCER-14-2024-0001', 1, 10)")
    con.commit()
    con.close()
    r = runner.invoke(main, ["ledger", "check", "--db", str(db)])
    no_traceback(r)
    assert r.exit_code == EXIT_CHECK_FAILED and "claimed twice" in r.output
