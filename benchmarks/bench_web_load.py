"""A bounded load on `carbon serve` at 127.0.0.1: concurrent register commands and public reads.

Loopback only; a fixed number of requests (``CARBON_BENCH_WEB_N`` enterprises, each applying
twice, and as many public reads) from 8 client threads, with a time bound. Reports latency
percentiles (p50, p90, p99, max) per kind of request in ``extra_info`` and checks that nothing
was lost or committed twice. The floor is a plain ``GET /static/app.css`` on the same server
(the framework's own cost), alternated with the subject round by round.

    python -m pytest benchmarks/bench_web_load.py --benchmark-only -s
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))

N = int(os.environ.get("CARBON_BENCH_WEB_N", "40"))
TIME_BOUND_S = 300


def _codes(n):
    from carbon_core.io.inventory import check_credit_code

    out = []
    for i in range(n):
        first = f"91340100MA{i:06d}X"[:17]
        for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            try:
                check_credit_code(first + ch)
            except Exception:  # noqa: BLE001
                continue
            out.append(first + ch)
            break
    return out


def _pct(xs):
    a = np.array(xs) * 1e3
    return {k: round(float(np.percentile(a, q)), 1) for k, q in
            (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99), ("max_ms", 100))}


@pytest.mark.benchmark(group="web")
def test_concurrent_commands_and_reads(benchmark, tmp_path):
    from webtest import Clock, start_server

    url = os.environ.get("CARBON_TEST_PG_URL")
    db = url or f"sqlite:///{tmp_path / 'register.sqlite'}"
    if url:
        from webtest import _fresh_pg_schema

        db = _fresh_pg_schema(url)
    server, uv, thread = start_server(tmp_path, db, Clock(dt.date(2025, 1, 6)))
    codes = _codes(N)
    for i, code in enumerate(codes):
        server.account(f"e{i}", "enterprise", code)
    tokens = [server.token(f"e{i}") for i in range(N)]
    lat: dict[str, list[float]] = {"apply": [], "read": [], "floor": []}
    statuses: list[int] = []

    def one(kind, i):
        t = time.perf_counter()
        if kind == "apply":
            r = httpx.post(server.url + "/api/register/apply", timeout=60,
                           json={"name": f"企业{i}", "district": "经开区"},
                           headers={"authorization": f"Bearer {tokens[i % N]}"})
            statuses.append(r.status_code)
        elif kind == "read":
            r = httpx.get(server.url + "/api/public", timeout=60)
        else:
            r = httpx.get(server.url + "/static/app.css", timeout=60)
        lat[kind].append(time.perf_counter() - t)
        return r.status_code

    rounds = iter(range(2))
    start = time.monotonic()

    def run():
        k = next(rounds)
        with cf.ThreadPoolExecutor(max_workers=8) as pool:
            # alternate the subject and the floor within the round
            jobs = [("apply", k * N + i) for i in range(N)]
            jobs += [("read", i) for i in range(N)] + [("floor", i) for i in range(2 * N)]
            order = sorted(range(len(jobs)), key=lambda j: (j % 4, j))
            list(pool.map(lambda j: one(*jobs[j]), order))

    benchmark.pedantic(run, rounds=2, iterations=1)
    assert time.monotonic() - start < TIME_BOUND_S
    reg = server.app.state.service.register
    applied = [e.subject for e in reg.store.events() if e.action == "apply"]
    assert sorted(applied) == sorted(codes), "an application was lost or committed twice"
    assert statuses.count(200) == N and set(statuses) <= {200, 400}
    assert reg.verify()["ok"]
    info = {"backend": "postgresql" if url else "sqlite", "requests": sum(map(len, lat.values()))}
    for kind, xs in lat.items():
        info[kind] = _pct(xs)
    info["apply_p50_over_floor_p50"] = round(info["apply"]["p50_ms"] / info["floor"]["p50_ms"], 1)
    benchmark.extra_info.update(info)
    print(info)
    server.close()
    uv.should_exit = True
    thread.join(timeout=10)
    server.app.state.close()
