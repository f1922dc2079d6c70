"""The JSON API for programs: OpenAPI description, bearer tokens, the same commands as the CLI,
and a bounded concurrent load on 127.0.0.1 in which nothing is lost or committed twice."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time

import httpx
import pytest

from carbon_core.web.service import ACTIONS
from qualified import example_files
from webtest import A, B, C


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_openapi_names_every_call_and_carries_the_shipped_schemas(server):
    spec = httpx.get(server.url + "/api/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/login", "/api/uploads", "/api/jobs/{job_id}", "/api/register/{action}",
              "/api/register/status/{credit_code}", "/api/register/queue", "/api/public",
              "/api/uploads/{upload_id}/results", "/api/uploads/{upload_id}/score"):
        assert p in paths, p
    comps = spec["components"]["schemas"]
    assert "carbon_results" in comps and "carbon_score" in comps
    assert "scope1" in comps["carbon_results"]["properties"]


def test_a_program_walks_an_upload_through_the_api(server):
    server.account("f", "enterprise", A)
    h = {"authorization": f"Bearer {server.token('f')}"}
    with httpx.Client(base_url=server.url, headers=h, timeout=120) as c:
        r = c.post("/api/register/apply", json={"name": "合肥示例", "district": "经开区"})
        assert r.status_code == 200 and r.json()["events"][0]["action"] == "apply"
        r = c.post("/api/uploads", files=[("files", f) for f in example_files()])
        assert r.status_code == 200, r.text
        job = server.wait_job(c, r.json()["job"])
        assert job["status"] == "done", job
        res = c.get(f"/api/uploads/{job['upload']}/results").json()
        score = c.get(f"/api/uploads/{job['upload']}/score").json()
        assert res["factory"]["credit_code"] == A and score["verdict"] == "qualified"
        # the same numbers as the CLI's engine on the same files
        import tempfile
        from pathlib import Path

        import carbon_core

        tmp = Path(tempfile.mkdtemp())
        for name, data in example_files():
            (tmp / name).write_bytes(data)
        cli = carbon_core.compute(tmp / "inventory.toml").to_dict()
        assert res["scope1"] == cli["scope1"] and res["balance"]["net_tco2e"] == \
            cli["balance"]["net_tco2e"]
        st = c.get(f"/api/register/status/{A}").json()
        assert st["status"]["credit_code"] == A


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_bounded_concurrent_submissions_and_reads_lose_nothing(server):
    """Loopback only, a fixed number of requests and a time bound: 12 enterprises apply at
    once (each twice: the second must be refused), while readers poll the public pages."""
    codes = [f"91340100MA2N0K{i:02d}X3" for i in range(10, 22)]
    from carbon_core.io.inventory import check_credit_code  # real check digits

    codes = [c[:17] + _check_digit(c[:17]) for c in codes]
    for i, code in enumerate(codes):
        server.account(f"e{i}", "enterprise", code)
    tokens = [server.token(f"e{i}") for i in range(len(codes))]

    def apply(i):
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"authorization": f"Bearer {tokens[i % len(codes)]}"}) as c:
            t = time.perf_counter()
            r = c.post("/api/register/apply", json={"name": f"企业{i}", "district": "经开区"})
            return r.status_code, time.perf_counter() - t

    def read(_):
        t = time.perf_counter()
        r = httpx.get(server.url + "/api/public", timeout=60)
        return r.status_code, time.perf_counter() - t

    start = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        writes = list(pool.map(apply, range(2 * len(codes))))
        reads = list(pool.map(read, range(24)))
    assert time.monotonic() - start < 120
    ok = [s for s, _ in writes if s == 200]
    assert len(ok) == len(codes), writes          # each enterprise applied exactly once
    assert all(s in (200, 400) for s, _ in writes)  # the duplicate is refused, never a 500
    assert all(s == 200 for s, _ in reads)
    reg = server.app.state.service.register
    assert reg.verify()["ok"]
    applied = [e for e in reg.store.events() if e.action == "apply"]
    assert sorted(e.subject for e in applied) == sorted(codes)


def _check_digit(first17: str) -> str:
    from carbon_core.io.inventory import check_credit_code

    for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        try:
            check_credit_code(first17 + ch)
            return ch
        except Exception:  # noqa: BLE001
            continue
    raise AssertionError("no check digit")
