"""Claims all or nothing, serial counts matching volumes, a ledger opened safely."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from carbon_core.balance.ledger import APPLICATION_ID, Ledger, open_ledger
from carbon_core.cli import main
from carbon_core.errors import InputError

from hardening_helpers import EXAMPLE, no_traceback, sha

HOARD = ('serials = ["CCER-14-2024-0001#1..1500"]',
         'serials = ["CCER-14-2024-0001#1..1000000000000"]')


def compute(runner, inv, *args, **kw):
    return runner.invoke(main, ["compute", str(inv), *args], **kw)


def test_hoarding_range_refused_at_parse(runner, example, tmp_path):
    """A CCER serial is 1 tCO2e: 10^12 serials for 1,500 t is refused (the issue's case)."""
    example.write_text(example.read_text(encoding="utf-8").replace(*HOARD), encoding="utf-8")
    db = tmp_path / "l.sqlite"
    r = compute(runner, example, "--ledger", str(db))
    no_traceback(r)
    assert r.exit_code == 2
    assert "offsets[0]" in r.output and "'serials'" in r.output
    assert "serials held beyond the volume: 1000000000000 credits for 1500 tCO2e" in r.output
    assert not db.exists()


def test_gec_range_must_match_volume(runner, example):
    """1 GEC = 1 MWh (发改能源〔2023〕1044号): 6,001 certificates for a 6,000 MWh contract."""
    text = example.read_text(encoding="utf-8").replace("W#100001..106000", "W#100001..106001")
    example.write_text(text, encoding="utf-8")
    r = compute(runner, example)
    assert r.exit_code == 2 and "instruments[0]" in r.output and "6001 certificates" in r.output


def test_ledger_check_reports_hoarding_in_an_existing_ledger(runner, tmp_path):
    db = tmp_path / "l.sqlite"
    with Ledger(db):
        pass
    con = sqlite3.connect(db)
    con.execute("INSERT INTO claims (claimant, reporting_year, item_id, item_type, kind, amount, "
                "unit, recorded_at) VALUES ('91340100MA2N0K1X3U', 2024, 'ccer', 'offset:CCER', "
                "'offset', 1500, 'tCO2e', 'now')")
    con.execute("INSERT INTO serials VALUES (last_insert_rowid(), 'CCER-1', 1, 1000000000000)")
    con.commit()
    con.close()
    r = runner.invoke(main, ["ledger", "check", "--db", str(db)])
    assert r.exit_code == 1
    assert "serials held beyond the claimed volume" in r.output and "1500" in r.output


def test_failure_after_compute_claims_nothing(runner, example, tmp_path, monkeypatch):
    """The results fail validation after the balance was computed: the ledger is untouched."""
    import carbon_core.results

    db = tmp_path / "l.sqlite"
    assert compute(runner, example, "--ledger", str(db)).exit_code == 0
    before = sha(db)
    text = example.read_text(encoding="utf-8").replace("amount = 18.6", "amount = 19.6")
    example.write_text(text, encoding="utf-8")  # a different run of the same factory and year

    def invalid(doc):
        raise InputError("results do not validate (simulated)")

    monkeypatch.setattr(carbon_core.results, "validate_results", invalid)
    r = compute(runner, example, "--ledger", str(db), "-o", str(tmp_path / "r.json"),
                "--validate")  # results are validated only when asked (issue 15)
    assert r.exit_code == 2 and "simulated" in r.output
    assert sha(db) == before and not (tmp_path / "r.json").exists()


def test_conflict_refused_before_anything_is_written(runner, example, tmp_path):
    db = tmp_path / "l.sqlite"
    other = tmp_path / "other"
    other.mkdir()
    for f in EXAMPLE.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    inv = other / "inventory.toml"
    inv.write_text(inv.read_text(encoding="utf-8").replace(
        "91340100MA2N0K1X3U", "91350100M000100Y43"), encoding="utf-8")
    assert compute(runner, inv, "--ledger", str(db)).exit_code == 0
    before = sha(db)
    out = tmp_path / "r.json"
    r = compute(runner, example, "--ledger", str(db), "-o", str(out))
    no_traceback(r)
    assert r.exit_code == 2 and "serials already claimed" in r.output
    assert sha(db) == before and not out.exists()


def test_output_then_claims(runner, example, tmp_path):
    db, out = tmp_path / "l.sqlite", tmp_path / "r.json"
    r = compute(runner, example, "--ledger", str(db), "-o", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["balance"]["ledger"]["claims_recorded"] == 3
    assert doc["balance"]["claims_checked"] is True
    with open_ledger(db, readonly=True) as led:
        assert len(led.claims()) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


_KILLED = textwrap.dedent("""
    import sys, time
    import carbon_core.cli.ledger as L
    def hook(stage):
        print("written", flush=True)
        time.sleep(60)
    L._TEST_HOOK = hook
    from carbon_core.cli import main
    main(["compute", sys.argv[1], "--ledger", sys.argv[2], "-o", sys.argv[3]])
""")


def test_kill_9_between_output_and_claims(example, tmp_path):
    """Killed after the output reached its temporary file and before the claims: no result file
    and no claim (the claim is the last step)."""
    db, out = tmp_path / "l.sqlite", tmp_path / "r.json"
    child = subprocess.Popen([sys.executable, "-c", _KILLED, str(example), str(db), str(out)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "written"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert not out.exists()
    if db.exists():
        with open_ledger(db, readonly=True, check=True) as led:
            assert led.claims() == []


def test_without_ledger_says_so(runner, example):
    r = compute(runner, example, "--json", env={"CARBON_LEDGER": ""})
    doc = json.loads(r.output)
    assert doc["balance"]["claims_checked"] is False
    assert "no claims ledger" in doc["balance"]["claims_unchecked_reason"]
    r = compute(runner, example, env={"CARBON_LEDGER": ""})
    assert "double claims not checked" in r.output


def test_carbon_ledger_env_honoured_by_compute(runner, example, tmp_path):
    db = tmp_path / "env.sqlite"
    r = compute(runner, example, "--json", env={"CARBON_LEDGER": str(db)})
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["balance"]["ledger"]["path"] == str(db)
    with open_ledger(db, readonly=True) as led:
        assert len(led.claims()) == 3


def test_read_only_commands_never_write(runner, example, tmp_path):
    db = tmp_path / "l.sqlite"
    assert compute(runner, example, "--ledger", str(db)).exit_code == 0
    os.chmod(db, 0o444)
    stat = db.stat()
    before = sha(db)
    for args in (["show"], ["check"], ["show", "--json"]):
        r = runner.invoke(main, ["ledger", *args, "--db", str(db)])
        assert r.exit_code == 0, r.output
    assert sha(db) == before and db.stat().st_mtime_ns == stat.st_mtime_ns
    assert {p.name for p in tmp_path.iterdir()} >= {"l.sqlite"}
    assert not (tmp_path / "l.sqlite-journal").exists()


def test_read_only_opening_is_sqlite_mode_ro(tmp_path):
    db = tmp_path / "l.sqlite"
    with Ledger(db):
        pass
    with open_ledger(db, readonly=True) as led:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            led._db.execute("DELETE FROM claims")
        with pytest.raises(InputError, match="read-only"):
            led.record("91340100MA2N0K1X3U", 2024, [])


def test_schema_version_recorded(tmp_path):
    db = tmp_path / "l.sqlite"
    with Ledger(db):
        pass
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    con.execute("PRAGMA user_version = 7")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="schema version"):
        Ledger(db)


def test_ledger_show_csv(runner, example, tmp_path):
    db = tmp_path / "l.sqlite"
    assert compute(runner, example, "--ledger", str(db)).exit_code == 0
    r = runner.invoke(main, ["ledger", "show", "--db", str(db), "--format", "csv"])
    lines = r.output.splitlines()
    assert r.exit_code == 0 and lines[0].startswith("claimant,claimant_name,reporting_year")
    assert len(lines) == 4 and "CCER-14-2024-0001#1..1500" in r.output
