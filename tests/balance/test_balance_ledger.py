"""The claims ledger: every double claim of the issue refused, naming both claims; idempotent
re-runs; a process killed mid-claim leaves nothing half-written."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from carbon_core.balance import BalanceInputs, Claim, Ledger, SerialRange, compute_balance
from carbon_core.cli.ledger import ledger as ledger_cli
from carbon_core.errors import InputError
from carbon_core.factors import FactorLibrary

A, B = "91340100MA2N0K1X3B", "91340100MA2N0K2Y4C"


def lib():
    return FactorLibrary.from_tables([({
        "schema": "carbon_core.factors/1",
        "source": {"id": "test-grid", "title": "test", "publisher": "test"},
        "factor": [{"key": "electricity.grid.excl_market_nonfossil", "value": 0.6,
                    "unit": "tCO2/MWh", "region": "CN", "data_year": 2022, "confidence": "C"}],
    }, "t.toml", "0")])


DS = xr.Dataset({v: ("time", np.full(24, 1000.0)) for v in
                 ("grid_purchase_kwh", "consumed_kwh")} |
                {v: ("time", np.zeros(24)) for v in ("onsite_renewable_kwh", "export_kwh")},
                coords={"time": pd.date_range("2024-03-01", periods=24, freq="1h").values})


def run(factory, instruments=(), offsets=(), year=2024, db=None):
    return compute_balance(BalanceInputs(
        reporting_year=year, factory_id=factory, factory_name=f"工厂{factory[-4:]}",
        source_file=f"{factory}.toml", instruments_raw=list(instruments),
        offsets_raw=list(offsets), balance_raw={}, electricity=DS,
        interval=np.timedelta64(1, "h"), scope1_tco2e=1.0, scope2_location_tco2e=0.0,
        scope2_heat_tco2e=0.0, scope3_tco2e={}, library=lib(), grid_region="CN-GRID-EAST",
        grid_province="CN-AH", ledger=db))


def gec(factory, serials, id="gec-1", **kw):
    row = {"id": id, "type": "gec", "technology": "wind", "certificates": [serials],
           "generation_start": "2024-01", "generation_end": "2024-02", "province": "CN-GS",
           "beneficiary": factory, "retired_on": "2024-12-01", "evidence": "核销凭证"}
    row.update(kw)
    return row


def contract(serials, id="gpt-1", mwh=10.0):
    return {"id": id, "type": "green_power_contract", "technology": "wind", "volume_mwh": mwh,
            "certificates": [serials], "evidence": "交易结算单"}


def ccer(factory, serials, id="ccer-1", t=5.0):
    return {"id": id, "standard": "CCER", "registry": "CCER registry", "project": "p",
            "vintage": 2023, "tco2e": t, "kind": "avoidance", "serials": [serials],
            "retired_on": "2024-11-01", "beneficiary": factory, "evidence": "注销证明"}


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "ledger.sqlite")


def test_overlap_across_factories_names_both(db):
    run(A, [gec(A, "GEC-2024-W#1..100")], db=db)
    with pytest.raises(InputError) as err:
        run(B, [gec(B, "GEC-2024-W#90..120", id="b-gec")], db=db)
    msg = str(err.value)
    assert "GEC-2024-W#90..100" in msg and A in msg and B in msg
    assert "'gec-1'" in msg and "'b-gec'" in msg
    with Ledger(db) as led:  # nothing of B written
        assert [c["claimant"] for c in led.claims()] == [A]


def test_rerun_same_factory_year_is_idempotent(db):
    run(A, [gec(A, "G#1..10")], offsets=[ccer(A, "C#1..5")], db=db)
    r = run(A, [gec(A, "G#1..10")], offsets=[ccer(A, "C#1..5")], db=db)
    assert r.ledger == {"path": db, "claims_recorded": 2}
    run(A, [gec(A, "G#1..8")], db=db)  # replaces the year's claims
    with Ledger(db) as led:
        rows = led.claims(claimant=A)
        assert [r["serials"] for r in rows] == [["G#1..8"]]
        assert led.check() == []


def test_same_factory_other_year_refused(db):
    run(A, [gec(A, "G#1..10")], db=db, year=2024)
    with pytest.raises(InputError, match="serials already claimed"):
        run(A, [gec(A, "G#5..6", generation_start="2024-01")], db=db, year=2025)


def test_contract_and_separate_gec_in_one_inventory():
    with pytest.raises(InputError) as err:
        run(A, [contract("GEC-W#1..10"), gec(A, "GEC-W#5..6")])
    msg = str(err.value)
    assert "green-power contract and as a separate GEC" in msg
    assert "'gpt-1'" in msg and "'gec-1'" in msg


def test_contract_and_gec_across_factories(db):
    run(A, [contract("GEC-W#1..10")], db=db)
    with pytest.raises(InputError, match="green-power contract and as a GEC"):
        run(B, [gec(B, "GEC-W#10")], db=db)


def test_offset_serials_claimed_twice(db):
    run(A, offsets=[ccer(A, "CCER-1#1..5")], db=db)
    with pytest.raises(InputError, match="CCER-1#3..5"):
        run(B, offsets=[ccer(B, "CCER-1#3..7")], db=db)


def test_claim_beyond_issued_volume_expired_and_retired_for_other():
    with pytest.raises(InputError) as err:
        run(A, [gec(A, "G#1..10", volume_mwh=11.0),
                gec(A, "H#1..10", id="old", generation_start="2021-12",
                    generation_end="2021-12"),
                gec(B, "K#1..10", id="other")],
            offsets=[ccer(B, "C#1..5"), ccer(A, "D#1..2", id="big", t=3.0)])
    msg = str(err.value)
    assert msg.count("beyond the issued volume") == 2
    assert "expired vintage" in msg
    assert "certificates retired for someone else" in msg
    assert "credits retired for someone else" in msg


def test_ledger_api_refuses_beyond_volume_and_beneficiary(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as led:
        with pytest.raises(InputError) as err:
            led.record(A, 2024, [Claim("x", "gec", "certificate", 11, "MWh",
                                       (SerialRange("G", 1, 10),), beneficiary=B)])
        assert "beyond the issued volume" in str(err.value) and B in str(err.value)
        assert led.claims() == []


def test_check_finds_tampering(db):
    run(A, [gec(A, "G#1..10")], db=db)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO claims (claimant, reporting_year, item_id, item_type, kind, amount, "
                "unit, recorded_at) VALUES ('X', 2024, 'forged', 'gec', 'certificate', 50, "
                "'MWh', 'now')")
    con.execute("INSERT INTO serials VALUES (last_insert_rowid(), 'G', 5, 6)")
    con.commit()
    con.close()
    with Ledger(db) as led:
        found = " ".join(str(p) for p in led.check())
    assert "claimed twice" in found and "beyond the issued volume" in found


def test_cli_show_and_check(db):
    run(A, [gec(A, "G#1..10")], offsets=[ccer(A, "C#1..5")], db=db)
    runner = CliRunner()
    out = runner.invoke(ledger_cli, ["show", "--db", db, "--serial", "G#3"])
    assert out.exit_code == 0 and "G#1..10" in out.output and "C#1..5" not in out.output
    out = runner.invoke(ledger_cli, ["show", "--db", db, "--factory", A, "--year", "2024",
                                     "--json"])
    assert out.exit_code == 0 and '"claimant"' in out.output
    out = runner.invoke(ledger_cli, ["check", "--db", db])
    assert out.exit_code == 0 and "ledger OK: 2 claims" in out.output
    out = runner.invoke(ledger_cli, ["check"], env={"CARBON_LEDGER": db + ".missing"})
    assert out.exit_code != 0 and "no ledger" in out.output


_CHILD = textwrap.dedent("""
    import sys, time
    from carbon_core.balance import ledger as L
    from carbon_core.balance.instruments import SerialRange
    def hook(stage):
        print("inside", flush=True)
        time.sleep(30)
    L._TEST_HOOK = hook
    led = L.Ledger(sys.argv[1])
    claims = [L.Claim(f"new-{i}", "gec", "certificate", 10, "MWh",
                      (SerialRange("NEW", 10 * i + 1, 10 * i + 10),)) for i in range(3)]
    led.record(sys.argv[2], 2024, claims)
""")


def test_killed_mid_claim_leaves_ledger_consistent(db):
    run(A, [gec(A, "OLD#1..10")], db=db)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, db, A], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "inside"  # delete + first insert done
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with Ledger(db) as led:  # opening rolls the hot journal back
        rows = led.claims()
        assert [r["item_id"] for r in rows] == ["gec-1"]  # the old claim, nothing new
        assert rows[0]["serials"] == ["OLD#1..10"]
        assert led.check() == []
