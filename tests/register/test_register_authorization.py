"""Every role against every command: only the roles the procedure names, each in its own scope.

One prepared register (an enterprise X of 经开区 in the city review with expert x1 assigned,
and a listed factory L of 经开区) is copied for each case; each command is then called by each
role with an id in scope, and again with an id out of scope. A role the procedure does not name
is always refused with PermissionDenied (before any check of the turn); a role it names is never
refused by the authorization (the command may still be out of turn: ProcedureError)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from carbon_core.register import (Actor, PermissionDenied, ProcedureError, Register,
                                  RegisterError, load_procedure, permission_allowed)

from register_helpers import A, B, CITY, CLOCK, score_for, to_notice

X, L = B, A
DAY = dt.date(2024, 3, 1)

IN_SCOPE = {"enterprise": None, "district": "district:经开区", "city": CITY,
            "expert": "expert:x1"}
OUT_OF_SCOPE = {"enterprise": "enterprise:91340100MA2N0K1X9Z", "district": "district:高新区",
                "expert": "expert:x9"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "base.sqlite"
    reg = Register(path, clock=lambda: CLOCK)
    to_notice(reg, L)
    reg.list(CITY, [L], on=dt.date(2024, 1, 26))
    d = dt.date(2024, 2, 1)
    reg.apply(f"enterprise:{X}", name="企业 X", district="经开区", on=d)
    reg.approve("district:经开区", X, on=d)
    reg.submit(f"enterprise:{X}", score=score_for(X, 2023), on=d)
    reg.district_review("district:经开区", X, passed=True, on=d)
    reg.recommend("district:经开区", [X], on=d)
    reg.assign(CITY, X, ["x1"], on=d)
    reg.close()
    return path


def _calls(code):
    """command -> callable(reg, actor) acting on ``code`` (X or L as the step needs)."""
    y = {"year": 2024}
    return {
        "apply": lambda r, a: r.apply(a, credit_code=code, name="企业", district="经开区",
                                      on=DAY),
        "approve": lambda r, a: r.approve(a, code, on=DAY, **y),
        "submit": lambda r, a: r.submit(a, credit_code=code, score=score_for(code, 2023),
                                        on=DAY, **y),
        "district_review": lambda r, a: r.district_review(a, code, passed=True, on=DAY, **y),
        "recommend": lambda r, a: r.recommend(a, [code], on=DAY, **y),
        "assign": lambda r, a: r.assign(a, code, ["x2"], on=DAY, **y),
        "expert_review": lambda r, a: r.expert_review(a, code, score=80, on=DAY, **y),
        "site_check": lambda r, a: r.site_check(a, code, findings="ok", on=DAY, **y),
        "city_review": lambda r, a: r.city_review(a, code, passed=True, on=DAY, **y),
        "notice": lambda r, a: r.notice(a, [code], on=DAY, **y),
        "object": lambda r, a: r.object(a, code, text="异议", on=DAY, **y),
        "resolve": lambda r, a: r.resolve(a, code, objection=1, upheld=False, on=DAY, **y),
        "list": lambda r, a: r.list(a, [code], on=DAY, **y),
        "file": lambda r, a: r.file(a, credit_code=code, year=2023, on=DAY),
        "rename": lambda r, a: r.rename(a, credit_code=code, name="新名", year=2024, on=DAY),
        "restructure": lambda r, a: r.restructure(a, code, description="合并", on=DAY),
        "rereview_schedule": lambda r, a: r.schedule_rereview(a, code, date=DAY, on=DAY),
        "rereview": lambda r, a: r.rereview(a, code, result="passed", on=DAY),
        "revoke": lambda r, a: r.revoke(a, code, ground="own_request", evidence="函", on=DAY),
        "status": lambda r, a: r.status(a, code),
        "history": lambda r, a: r.history(a, code),
        "ranking": lambda r, a: r.ranking(a, "经开区", year=2024),
        "district_summary": lambda r, a: r.district_summary(a, "经开区", year=2024),
        "city_view": lambda r, a: r.city_view(a),
        "verify": lambda r, a: r.verify(a),
    }


PROC = load_procedure("hefei-template")
ALLOWED = {s.id: set(s.roles) for s in PROC.stages}
ALLOWED.update({"status": {"enterprise", "district", "city", "expert"},
                "history": {"enterprise", "district", "city", "expert"},
                "ranking": {"district", "city"}, "district_summary": {"district", "city"},
                "city_view": {"city"}, "verify": {"city"}})
# the target of each command: the enterprise in the city review, or the listed factory
TARGET = {c: (L if c in ("file", "rename", "restructure", "rereview_schedule", "rereview",
                         "revoke") else X) for c in ALLOWED}


def test_every_procedure_stage_is_covered():
    assert set(_calls(X)) == set(ALLOWED)


@pytest.mark.parametrize("command", sorted(ALLOWED))
@pytest.mark.parametrize("role", sorted(IN_SCOPE))
def test_role_against_command(prepared, tmp_path, command, role):
    path = tmp_path / "r.sqlite"
    shutil.copy(prepared, path)
    reg = Register(path, clock=lambda: CLOCK)
    code = TARGET[command]
    actor = IN_SCOPE[role] or f"enterprise:{code}"
    call = _calls(code)[command]
    try:
        if role in ALLOWED[command]:
            try:
                call(reg, actor)
            except PermissionDenied as exc:  # pragma: no cover - the failure message
                pytest.fail(f"{role} refused {command}: {exc}")
            except (ProcedureError, RegisterError):
                pass  # in scope, possibly out of turn
            if role in OUT_OF_SCOPE:
                with pytest.raises(PermissionDenied):
                    call(reg, OUT_OF_SCOPE[role])
        else:
            with pytest.raises(PermissionDenied, match=f"role '{role}' may not"):
                call(reg, actor)
    finally:
        reg.close()


def test_public_reads_only_the_published_documents(prepared, tmp_path):
    shutil.copy(prepared, tmp_path / "r.sqlite")
    reg = Register(tmp_path / "r.sqlite", clock=lambda: CLOCK)
    assert reg.export("list", "json")
    for command, call in _calls(X).items():
        with pytest.raises((PermissionDenied, RegisterError)):
            call(reg, "public")
    reg.close()


@pytest.mark.parametrize("text", ["", "mayor:1", "enterprise:", "district:a b", "city:" + "x" * 81,
                                  "enterprise:<script>"])
def test_malformed_identities(text):
    with pytest.raises(RegisterError):
        Actor.parse(text)


def test_the_one_function_answers_scope():
    p = PROC
    assert permission_allowed(Actor("district", "经开区"), "approve", p, district="经开区")
    assert not permission_allowed(Actor("district", "经开区"), "approve", p, district="蜀山区")
    assert not permission_allowed(Actor("enterprise", A), "submit", p, credit_code=B)
    assert permission_allowed(Actor("expert", "x1"), "expert_review", p, experts=["x1"])
    assert not permission_allowed(Actor("expert", "x1"), "expert_review", p, experts=["x2"])
    assert not permission_allowed(Actor("city", "hefei"), "nonsense", p)
