"""Scale: a city portfolio on a LocalCluster, and one factory larger than the memory it is given.

``test_portfolio_throughput``: ``CARBON_BENCH_FACTORIES`` factories (default 8) of
``CARBON_BENCH_FACTORY_METERS`` meters each (default 50; the issue's full size is 200 x 80 =
16,000 meters), computed and scored serially in one process and on a LocalCluster of
``CARBON_BENCH_WORKERS`` worker processes (default 2) with a per-worker memory limit below the
whole data set. ``extra_info``: serial and cluster wall time, throughput (factories/s) and its
ratio, peak RSS per worker.

``test_factory_under_memory_limit``: one factory of ``CARBON_BENCH_BIG_METERS`` meters (default
1,000; the issue's 4,000) through ``carbon compute --memory-limit`` at a quarter of its array, against
the same command without a limit: time, peak RSS, identical JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _layouts import write_factory

FACTORIES = int(os.environ.get("CARBON_BENCH_FACTORIES", "8"))
METERS = int(os.environ.get("CARBON_BENCH_FACTORY_METERS", "50"))
WORKERS = int(os.environ.get("CARBON_BENCH_WORKERS", "2"))
BIG = int(os.environ.get("CARBON_BENCH_BIG_METERS", "1000"))
CARBON = str(Path(sys.executable).with_name("carbon"))
DISTRICTS = ("蜀山区", "包河区", "庐阳区", "瑶海区", "经开区", "高新区")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    root = tmp_path_factory.mktemp("city")
    rows = []
    for k in range(FACTORIES):
        layout = ("meter-major", "time-major", "shuffled")[k % 3]
        code = "91340100MA2N0K1X3U"  # a valid check digit; factories are told apart by name
        write_factory(root / f"f{k:03d}", METERS, layout, seed=k, name=f"工厂 {k}",
                      district=DISTRICTS[k % len(DISTRICTS)], code=code)
        rows.append(f'[[factories]]\ninventory = "f{k:03d}/inventory.toml"\nname = "f{k:03d}"\n')
    path = root / "portfolio.toml"
    path.write_text('schema = "carbon_core.portfolio/1"\nname = "bench city"\n\n'
                    + "\n".join(rows), encoding="utf-8")
    return path


def test_portfolio_throughput(benchmark, city):
    from carbon_core.portfolio import aggregate, load_manifest, run_portfolio, run_serial

    man = load_manifest(city)
    data_mb = FACTORIES * METERS * 35040 * 8 / 2**20
    limit_mb = max(512, int(data_mb / WORKERS / 2))  # below the whole data set when it is large
    run_serial(type(man)(name=man.name, factories=man.factories[:1], path=man.path))  # warm
    t0 = time.perf_counter()
    serial = run_serial(man)
    t_serial = time.perf_counter() - t0
    import distributed

    with distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                  memory_limit=f"{limit_mb}MiB", dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        run_portfolio(man, client=client)  # workers import and load the library once
        t0 = time.perf_counter()
        par = run_portfolio(man, client=client)
        t_par = time.perf_counter() - t0
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    same = all(json.dumps([a.results, a.score], sort_keys=True)
               == json.dumps([b.results, b.score], sort_keys=True)
               for a, b in zip(serial.outcomes, par.outcomes))
    per_worker: dict[str, float] = {}
    for o in par.outcomes:
        per_worker[o.worker] = max(per_worker.get(o.worker, 0.0), o.peak_rss_mb)
    info = {"factories": FACTORIES, "meters_per_factory": METERS, "workers": WORKERS,
            "data_mb": data_mb, "worker_memory_limit_mb": limit_mb,
            "serial_s": t_serial, "cluster_s": t_par,
            "serial_factories_per_s": FACTORIES / t_serial,
            "cluster_factories_per_s": FACTORIES / t_par, "speedup": t_serial / t_par,
            "peak_rss_mb_per_worker": per_worker, "identical_to_serial": same,
            "computed": aggregate(par, man)["computed"]}
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info, ensure_ascii=False))
    assert same and info["computed"] == FACTORIES


def _rss_run(cmd):
    """(wall seconds, peak RSS [MB], stdout) of a fresh process, RSS from /usr/bin/time."""
    import tempfile

    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
                              capture_output=True)
        wall = time.perf_counter() - t0
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        return wall, float(rss.read().split()[-1]) / 1024.0, proc.stdout


def test_factory_under_memory_limit(benchmark, tmp_path_factory):
    inv = write_factory(tmp_path_factory.mktemp("big"), BIG, "time-major")
    array_mb = BIG * 35040 * 8 / 2**20
    limit = f"{int(array_mb / 4)}MiB"
    t_mem, rss_mem, out_mem = _rss_run([CARBON, "compute", str(inv), "--json"])
    t_ch, rss_ch, out_ch = _rss_run([CARBON, "compute", str(inv), "--json", "--memory-limit",
                                     limit])
    _, rss_base, _ = _rss_run([CARBON, "compute", str(write_factory(
        tmp_path_factory.mktemp("tiny"), 10, "time-major")), "--json"])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = {"meters": BIG, "array_mb": array_mb, "memory_limit": limit,
            "in_memory_s": t_mem, "chunked_s": t_ch,
            "in_memory_rss_above_baseline_mb": rss_mem - rss_base,
            "chunked_rss_above_baseline_mb": rss_ch - rss_base,
            "identical_json": out_mem == out_ch}
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info))
    assert out_mem == out_ch
