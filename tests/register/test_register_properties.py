"""Property tests: replay is deterministic and equals the per-enterprise states the commands see;
no sequence of commands lists a banned or ineligible enterprise; tampering with any stored event
is detected."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from carbon_core.register import Register, RegisterError, TamperError, replay

from register_helpers import A, B, C, CITY, CLOCK, score_for

CODES = (A, B, C)
DIST = {A: "经开区", B: "经开区", C: "高新区"}
OPS = ("apply", "approve", "refuse", "submit", "submit_bad", "review", "recommend", "assign",
       "expert", "city", "notice", "object", "resolve", "uphold", "list", "revoke_false",
       "revoke_own", "file")

op_strategy = st.lists(st.tuples(st.sampled_from(OPS), st.sampled_from(CODES),
                                 st.integers(0, 25)), min_size=1, max_size=30)


def _run(reg: Register, ops) -> None:
    day = dt.date(2024, 1, 2)
    for op, code, gap in ops:
        day += dt.timedelta(days=gap)
        if day.year > 2026 or day > dt.date(2026, 11, 30):
            break
        e, d = f"enterprise:{code}", f"district:{DIST[code]}"
        st_ = reg.status(CITY, code)
        years = [int(y) for y in st_["applications"]]
        y = max(years) if years else day.year
        calls = {
            "apply": lambda: reg.apply(e, name="企业", district=DIST[code], on=day),
            "approve": lambda: reg.approve(d, code, year=y, on=day),
            "refuse": lambda: reg.approve(d, code, year=y, refuse=True, reason="不符合", on=day),
            "submit": lambda: reg.submit(e, score=score_for(code, y - 1, district=DIST[code]),
                                         year=y, on=day),
            "submit_bad": lambda: reg.submit(e, score=score_for(code, y - 1, ineligible=True),
                                             year=y, on=day),
            "review": lambda: reg.district_review(d, code, passed=True, year=y, on=day),
            "recommend": lambda: reg.recommend(d, [code], year=y, on=day),
            "assign": lambda: reg.assign(CITY, code, ["x1"], year=y, on=day),
            "expert": lambda: reg.expert_review("expert:x1", code, score=80, year=y, on=day),
            "city": lambda: reg.city_review(CITY, code, passed=True, year=y, on=day),
            "notice": lambda: reg.notice(CITY, [code], year=y, on=day),
            "object": lambda: reg.object(CITY, code, text="异议", year=y, on=day),
            "resolve": lambda: reg.resolve(CITY, code, objection=1, upheld=False, year=y,
                                           on=day),
            "uphold": lambda: reg.resolve(CITY, code, objection=1, upheld=True, year=y, on=day),
            "list": lambda: reg.list(CITY, [code], year=y, on=day),
            "revoke_false": lambda: reg.revoke(CITY, code, ground="false_materials",
                                               evidence="核查", on=day),
            "revoke_own": lambda: reg.revoke(CITY, code, ground="own_request", evidence="函",
                                             on=day),
            "file": lambda: reg.file(e, year=day.year - 1, on=day),
        }
        try:
            calls[op]()
        except RegisterError:
            pass  # refused: out of turn, banned, ineligible... the log is unchanged


_settings = settings(max_examples=15, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])


@_settings
@given(ops=op_strategy)
def test_replay_equals_the_states_commands_see(tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("prop") / "r.sqlite"
    reg = Register(path, clock=lambda: CLOCK)
    _run(reg, ops)
    day = reg.today()
    full = reg.state()
    for code in CODES:
        per_subject = reg.status(CITY, code)
        expect = full[code].to_dict(day) if code in full else per_subject
        assert json.loads(json.dumps(per_subject | {"as_of": None})) == \
            json.loads(json.dumps(expect | {"as_of": None}))
    events = reg.store.events()
    # the state as of each event's date is the replay of the prefix up to it
    for k in range(0, len(events), max(1, len(events) // 4)):
        cut = events[k].on
        prefix = [e for e in events if e.on <= cut]
        a = {c: s.to_dict(cut) for c, s in reg.state(cut).items()}
        b = {c: s.to_dict(cut) for c, s in replay(prefix, reg.procedure).items()}
        assert a == b
    reg.close()
    again = Register(path, clock=lambda: CLOCK)
    assert {c: s.to_dict(day) for c, s in again.state().items()} == \
        {c: s.to_dict(day) for c, s in full.items()}
    assert again.verify()["events"] == len(events)
    again.close()


@_settings
@given(ops=op_strategy)
def test_no_sequence_lists_a_banned_or_ineligible_enterprise(tmp_path_factory, ops):
    reg = Register(tmp_path_factory.mktemp("prop") / "r.sqlite", clock=lambda: CLOCK)
    _run(reg, ops)
    events = reg.store.events()
    for ev in events:
        if ev.action != "list":
            continue
        before = [e for e in events if e.seq < ev.seq and e.subject == ev.subject]
        state = replay(before, reg.procedure)[ev.subject]
        assert not state.banned_on(ev.on)
        sub = state.applications[ev.year].submission
        assert sub["eligible"] and not sub["mandatory_unmet"] and sub["verdict"] == "qualified"
        assert state.applications[ev.year].notice["ends"] < ev.on.isoformat()
    reg.close()


COLUMNS = ("on_date", "role", "actor", "action", "subject", "year", "payload", "documents",
           "recorded_at", "prev_hash", "hash")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), column=st.sampled_from(COLUMNS),
       delete=st.booleans())
def test_tampering_with_one_stored_event_is_detected(tampered_db, which, column, delete):
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/r.sqlite"
        shutil.copy(tampered_db, path)
        reg = Register(path, clock=lambda: CLOCK)
        n = reg.store.count()
        seq = 1 + which % n                # any event, the opening one included
        head = reg.store.head()[1]
        with reg.store.engine.begin() as c:
            if delete:
                c.execute(text("DELETE FROM register_events WHERE seq = :s"), {"s": seq})
            else:
                row = c.execute(text(f"SELECT {column} FROM register_events WHERE seq = :s"),
                                {"s": seq}).scalar_one()
                new = _changed(column, row)
                c.execute(text(f"UPDATE register_events SET {column} = :v WHERE seq = :s"),
                          {"v": new, "s": seq})
        try:
            # the head as published (log_head of an export) catches a cut-off last event
            reg.verify(expected_head=head)
        except TamperError as exc:
            assert "event log broken" in str(exc)
        else:  # pragma: no cover - the failure
            raise AssertionError(f"tampering with {column} of event {seq} went unnoticed")
        finally:
            reg.close()


def _changed(column, value):
    if column == "year":
        return (value or 2000) + 1
    if column == "payload":
        doc = json.loads(value)
        doc["tampered"] = True
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if column in ("prev_hash", "hash"):
        return ("0" if value[0] != "0" else "1") + value[1:]
    return value + "x" if value else "x"


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def tampered_db(tmp_path_factory):
    from register_helpers import to_notice

    path = tmp_path_factory.mktemp("tamper") / "base.sqlite"
    reg = Register(path, clock=lambda: CLOCK)
    to_notice(reg, [A, B])
    reg.list(CITY, [A, B], on=dt.date(2024, 1, 26))
    reg.close()
    return path
