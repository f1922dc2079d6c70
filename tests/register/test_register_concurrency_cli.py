"""Two processes appending at once never fork the chain; the CLI prints one line per refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from carbon_core.cli import main
from carbon_core.register import Register

from register_helpers import A, CITY, CLOCK, score_for

_WRITER = r"""
import datetime as dt, sys
from carbon_core.register import Register, RegisterError
path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
clock = lambda: dt.datetime(2026, 12, 31, tzinfo=dt.timezone.utc)
reg = Register(path, clock=clock)
ok = 0
for i in range(n):
    code = f"91340100{prefix}{i:08d}"[:18]
    reg.apply(f"enterprise:{code}", name=f"企业{i}", district="经开区", on=dt.date(2026, 6, 1))
    ok += 1
reg.close()
print(ok)
"""


def test_two_processes_appending_at_once(tmp_path):
    path = tmp_path / "r.sqlite"
    Register(path, clock=lambda: CLOCK).close()
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), p, "15"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for p in ("AA", "BB")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outs]
    reg = Register(path, clock=lambda: CLOCK)
    report = reg.verify()
    assert report["events"] == 1 + 30 and report["enterprises"] == 30   # opening + 30 apply
    seqs = [e.seq for e in reg.store.events()]
    assert seqs == list(range(1, 32))
    reg.close()


def _cli(args, db, who=None):
    base = ["programme"] + args[:1] + ["--db", str(db)] + (["--as", who] if who else [])
    return CliRunner().invoke(main, base + args[1:], catch_exceptions=False)


def test_cli_walk_and_one_line_refusals(tmp_path):
    db = tmp_path / "r.sqlite"
    score = tmp_path / "score.json"
    score.write_text(json.dumps(score_for(A, 2025), ensure_ascii=False), encoding="utf-8")
    on = ["--on", "2026-01-05"]
    r = _cli(["apply", "--name", "企业", "--district", "经开区"] + on, db, f"enterprise:{A}")
    assert r.exit_code == 0 and "recorded #2 apply" in r.output
    r = _cli(["recommend", A] + on, db, "district:经开区")
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: recommend refused")
    assert "Traceback" not in r.output and "rule: recommend" in r.output
    r = _cli(["approve", A] + on, db, "district:高新区")
    assert r.exit_code == 2 and "permission denied" in r.output
    assert _cli(["approve", A] + on, db, "district:经开区").exit_code == 0
    r = _cli(["submit", "--score", str(score)] + on, db, f"enterprise:{A}")
    assert r.exit_code == 0, r.output
    r = _cli(["status", A, "--json"], db, CITY)
    assert json.loads(r.output)["applications"]["2026"]["stage"] == "submitted"
    r = _cli(["export", "list", "--format", "html", "-o", str(tmp_path / "list.html")], db,
             "public")
    assert r.exit_code == 0 and (tmp_path / "list.html").read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")
    r = _cli(["verify"], db, CITY)
    assert r.exit_code == 0 and "register OK: 4 events" in r.output
    r = _cli(["city", "--json"], db, "enterprise:" + A)
    assert r.exit_code == 2 and "may not city_view" in r.output
    r = _cli(["apply", "--name", "x", "--district", "经开区"], db, "mayor:1")
    assert r.exit_code == 2 and "unknown role 'mayor'" in r.output
    r = _cli(["apply", "--name", "x", "--district", "经开区", "--on", "2026-13-01"], db,
             f"enterprise:{A}")
    assert r.exit_code == 2 and "not a date" in r.output


def test_cli_reading_a_missing_register(tmp_path):
    r = _cli(["status", A], tmp_path / "nothing.sqlite", CITY)
    assert r.exit_code == 2 and "no register at" in r.output
    assert not (tmp_path / "nothing.sqlite").exists()
