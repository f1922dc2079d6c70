"""The procedure file: loaded from the bundle, validated, and replaceable by another file."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from carbon_core.errors import InputError
from carbon_core.programmes import get_programme
from carbon_core.register import Register, load_procedure, loads_procedure

from register_helpers import A, CITY, CLOCK, to_notice

TEXT = get_programme("hefei-template").file("procedure").read_text(encoding="utf-8")


def test_shipped_procedure():
    p = load_procedure("hefei-template")
    assert p.notice_working_days == 7 and p.ban_years == 3 and not p.count_opening_day
    assert len(p.grounds) == 7 and p.goal["count"] == 10 and p.goal["by_year"] == 2025
    assert {g.id for g in p.grounds} >= {"rereview_absent", "false_materials", "own_request"}
    assert all(s.source for s in p.stages)          # every rule carries its source
    assert p.meta["status"] == "template"


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('schema = "carbon_core.procedure/1"', 'schema = "x"'), "not a procedure"),
    (lambda t: t + '\nsurprise = 1\n', "unknown key"),
    (lambda t: t.replace("working_days = 7", "working_days = 0"), "notice.working_days"),
    (lambda t: t.replace('id = "rename"', 'id = "renamed"'), "stage missing"),
    (lambda t: t.replace('roles = ["district"]', 'roles = ["mayor"]', 1), "unknown role"),
    (lambda t: t.replace('requires = "evidence"', 'requires = "vibes"', 1), "unknown requirement"),
    (lambda t: t.replace("due_day = 31", "due_day = 30").replace("due_month = 1",
                                                                 "due_month = 2"), "every year"),
    (lambda t: t.replace('kind = "cn-statutory"', 'kind = "lunar"'), "unknown calendar"),
    (lambda t: t.replace("[ban]\n", "[ban]\nbogus = 1\n"), "ban.bogus"),
    (lambda t: "not = [toml", "cannot read"),
])
def test_bad_procedure_files(edit, message):
    with pytest.raises(InputError, match=message):
        loads_procedure(edit(TEXT), label="p.toml")


def test_another_programme_is_another_file(tmp_path):
    """A programme shipped by a plugin with its own procedure (5 working days counted from the
    opening day, 2-year ban): the register code is the same."""
    src = get_programme("hefei-template").folder
    folder = tmp_path / "other"
    folder.mkdir()
    for name in ("indicators.toml", "policy.toml"):
        (folder / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "procedure.toml").write_text(
        TEXT.replace("working_days = 7", "working_days = 5")
            .replace("count_opening_day = false", "count_opening_day = true")
            .replace("years = 3", "years = 2"), encoding="utf-8")
    (folder / "programme.toml").write_text(
        (src / "programme.toml").read_text(encoding="utf-8")
        .replace('name = "hefei-template"', 'name = "other-city"'), encoding="utf-8")
    impl = types.SimpleNamespace(function=lambda: [str(folder)], plugin_name="other-plugin")
    pm = types.SimpleNamespace(hook=types.SimpleNamespace(
        carbon_core_programmes=types.SimpleNamespace(get_hookimpls=lambda: [impl])))
    reg = Register(tmp_path / "r.sqlite", programme="other-city", plugin_manager=pm,
                   clock=lambda: CLOCK)
    assert reg.procedure.notice_working_days == 5
    opened = to_notice(reg, A)                       # Tue 2024-01-16, counted: 16-19, 22
    assert reg.status(CITY, A)["applications"]["2024"]["notice"]["ends"] == "2024-01-22"
    reg.list(CITY, [A], on=dt.date(2024, 1, 23))
    reg.revoke(CITY, A, ground="own_request", evidence="函", on=dt.date(2024, 2, 1))
    assert reg.status(CITY, A)["banned_until"] == "2026-02-01"
    assert opened == dt.date(2024, 1, 16)
    reg.close()


def test_sql_is_portable_to_postgresql():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    from carbon_core.register.store import events_table

    ddl = str(CreateTable(events_table).compile(dialect=postgresql.dialect()))
    assert "CREATE TABLE register_events" in ddl and "UNIQUE (prev_hash)" in ddl
    for ix in events_table.indexes:
        str(CreateIndex(ix).compile(dialect=postgresql.dialect()))
