"""Authorization: every role against every page and every register call of the API.

The web layer decides nothing itself: each register call must be refused (403) exactly when the
register's one authorization function (``carbon_core.register.permission_allowed``) says no, and
each work page is open only to its own role. The explicit cases the issue names are tested by
name: a district acting on another district's enterprise, an enterprise on another's
application, an expert on an application not assigned to them.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from carbon_core.register import Actor, permission_allowed
from carbon_core.web.service import ACTIONS
from webtest import A, B, C

ACCOUNTS = {  # username: (role, scope)
    "ent_a": ("enterprise", A), "ent_b": ("enterprise", B), "ent_c": ("enterprise", C),
    "jingkai": ("district", "经开区"), "gaoxin": ("district", "高新区"),
    "city": ("city", ""), "x1": ("expert", ""), "x2": ("expert", ""),
}
PAGES = ("enterprise", "district", "city", "expert")


@pytest.fixture
def world(server):
    """A, B in 经开区 and C in 高新区 have applied and submitted; A is assigned to expert x1."""
    for user, (role, scope) in ACCOUNTS.items():
        server.account(user, role, scope)
    reg = server.app.state.service.register
    from carbon_core.scoring import evaluate  # a real (engine) score for each submission

    d = dt.date(2025, 1, 6)
    for code, district in ((A, "经开区"), (B, "经开区"), (C, "高新区")):
        reg.apply(f"enterprise:{code}", name=f"企业{code[-4:]}", district=district, on=d)
        reg.approve(f"district:{district}", code, on=d)
    return server


def _token_headers(server, user):
    return {"authorization": f"Bearer {server.token(user)}"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_work_page_is_open_to_its_own_role_only(world):
    for user, (role, _) in ACCOUNTS.items():
        c = world.client(user)
        for p in PAGES:
            r = c.get(f"/{p}")
            assert r.status_code == (200 if p == role else 403), (user, p, r.status_code)
    anon = world.client()
    for p in PAGES:
        r = anon.get(f"/{p}")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert anon.get("/").status_code == 200 and anon.get("/api/public").status_code == 200
    assert anon.get("/api/register/queue").status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_register_call_is_refused_exactly_when_the_register_says_no(world):
    reg = world.app.state.service.register
    state = reg.state()
    headers = {u: _token_headers(world, u) for u in ACCOUNTS}
    sample = {"credit_code": A, "credit_codes": A, "year": 2025, "passed": "true",
              "score": "80", "text": "异议", "objection": "1", "upheld": "false",
              "findings": "ok", "experts": "x1", "name": "新名称", "district": "经开区",
              "description": "重组", "date": "2025-03-01", "result": "passed",
              "ground": "own_request", "refuse": "false", "reason": "r", "opinion": "o"}
    checked = denied = 0
    for user, (role, scope) in ACCOUNTS.items():
        actor = Actor(role, scope or user)
        for action, (_, spec) in ACTIONS.items():
            if any(p.kind == "upload" for p in spec if p.required):
                continue  # submit needs the account's own computed upload: tested elsewhere
            body = {p.name: sample[p.name] for p in spec if p.name in sample}
            head = reg.store.head()
            r = httpx.post(f"{world.url}/api/register/{action}", json=body,
                           headers=headers[user], timeout=30)
            target = A if any(p.name in ("credit_code", "credit_codes") for p in spec) \
                else (scope if role == "enterprise" else None)
            e = state.get(target) if target else None
            experts = [x for a in (e.applications.values() if e else []) for x in a.experts]
            allowed = permission_allowed(actor, action, reg.procedure, credit_code=target,
                                         district=(e.district if e else None),
                                         experts=experts).allowed
            if allowed:
                assert r.status_code != 403, (user, action, r.text)
            else:  # refused, and nothing recorded: 403, or 400 when the input itself is invalid
                assert r.status_code in (400, 403), (user, action, r.status_code, r.text)
                assert reg.store.head() == head, (user, action)
                denied += r.status_code == 403
            checked += 1
    assert checked >= len(ACCOUNTS) * (len(ACTIONS) - 1)
    assert denied > len(ACCOUNTS) * 5  # most refusals are the authorization's


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_named_cross_scope_attempts_are_refused(world):
    h = lambda u: _token_headers(world, u)  # noqa: E731
    # a district on another district's enterprise
    r = httpx.post(f"{world.url}/api/register/approve", json={"credit_code": C, "year": 2025},
                   headers=h("jingkai"))
    assert r.status_code == 403 and "高新区" in r.json()["message"]
    # an enterprise on another enterprise's application
    r = httpx.post(f"{world.url}/api/register/approve", json={"credit_code": B}, headers=h("ent_a"))
    assert r.status_code == 403
    r = httpx.get(f"{world.url}/api/register/status/{B}", headers=h("ent_a"))
    assert r.status_code == 403 and "acts only on itself" in r.json()["message"]
    r = httpx.get(f"{world.url}/api/register/status/{A}", headers=h("gaoxin"))
    assert r.status_code == 403
    # an expert on an application not assigned to them
    r = httpx.post(f"{world.url}/api/register/expert_review",
                   json={"credit_code": A, "score": 90, "year": 2025}, headers=h("x2"))
    assert r.status_code == 403 and "assigned" in r.json()["message"]
    # the queue shows each account only what it may see
    q = lambda u: {row["credit_code"] for row in httpx.get(  # noqa: E731
        f"{world.url}/api/register/queue", headers=h(u)).json()}
    assert q("jingkai") == {A, B} and q("gaoxin") == {C} and q("city") == {A, B, C}
    assert q("ent_a") == {A} and q("x1") == set()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unknown_commands_and_fields_are_named(world):
    h = _token_headers(world, "city")
    r = httpx.post(f"{world.url}/api/register/delete_everything", json={}, headers=h)
    assert r.status_code == 400 and "unknown register command" in r.json()["message"]
    r = httpx.post(f"{world.url}/api/register/notice", json={"credit_codes": A, "yaer": 2025},
                   headers=h)
    assert r.status_code == 400 and "'yaer'" in r.json()["message"]
    r = httpx.post(f"{world.url}/api/register/expert_review",
                   json={"credit_code": A, "score": "NaN"}, headers=h)
    assert r.status_code == 400 and "finite" in r.json()["message"]


#: Every read of an uploaded file, page and API (a bundle upload has them all).
UPLOAD_ROUTES = ("/uploads/{u}", "/uploads/{u}/report", "/api/uploads/{u}/results",
                 "/api/uploads/{u}/score", "/api/uploads/{u}/verification")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_role_against_every_read_of_an_uploaded_bundle(world, good_bundle):
    """The owner reads its upload; anyone else exactly when the register lets them see the
    enterprise's status (its district, the city, its assigned experts); the rest get 404 (the
    upload's existence is not revealed), and anonymous requests are sent to log in."""
    reg = world.app.state.service.register
    owner = httpx.Client(base_url=world.url, headers=_token_headers(world, "ent_a"), timeout=60)
    try:
        r = owner.post("/api/uploads", files=[("files", (good_bundle.name,
                                                         good_bundle.read_bytes()))])
        j = world.wait_job(owner, r.json()["job"])
    finally:
        owner.close()
    assert j["status"] == "done", j
    state = reg.state()
    e = state[A]
    experts = [x for a in e.applications.values() for x in a.experts]
    seen = {}
    for user, (role, scope) in ACCOUNTS.items():
        h = _token_headers(world, user)
        may = user == "ent_a" or permission_allowed(
            Actor(role, scope or user), "status", reg.procedure, credit_code=A,
            district=e.district, experts=experts).allowed
        for route in UPLOAD_ROUTES:
            r = httpx.get(world.url + route.format(u=j["upload"]), headers=h, timeout=30)
            assert r.status_code == (200 if may else 404), (user, route, r.status_code)
        seen[user] = may
    assert seen == {"ent_a": True, "ent_b": False, "ent_c": False, "jingkai": True,
                    "gaoxin": False, "city": True, "x1": False, "x2": False}
    anon = world.client()
    for route in UPLOAD_ROUTES:
        r = anon.get(route.format(u=j["upload"]))
        assert r.status_code in (303, 401), (route, r.status_code)
    # the verdict call of another's upload is 404 also for a bundle that does not exist
    r = httpx.get(world.url + "/api/uploads/" + "0" * 24 + "/verification",
                  headers=_token_headers(world, "city"), timeout=30)
    assert r.status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_only_enterprise_accounts_may_upload(world, good_bundle):
    """Uploading (an inventory or a bundle) is the enterprise's step: every other role is
    refused before a byte is stored, and an anonymous request must log in."""
    files = [("files", (good_bundle.name, good_bundle.read_bytes()))]
    root = world.app.state.uploads.root
    for user, (role, _) in ACCOUNTS.items():
        if role == "enterprise":
            continue
        r = httpx.post(world.url + "/api/uploads", files=files,
                       headers=_token_headers(world, user), timeout=60)
        assert r.status_code == 403, (user, r.status_code)
        c = world.client(user)
        r = c.post("/enterprise/upload", data={"csrf_token": world.csrf(c)}, files=files)
        assert r.status_code == 403, (user, r.status_code)
    assert httpx.post(world.url + "/api/uploads", files=files, timeout=60).status_code == 401
    assert not list((root / "uploads").iterdir()) and not list((root / "blobs").iterdir())
