"""Scale: a city portfolio on a LocalCluster, against the serial run of the same factories.

``test_portfolio_throughput``: ``CARBON_BENCH_FACTORIES`` factories (default 8) of
``CARBON_BENCH_FACTORY_METERS`` meters each (default 50; the issue's full size is 200 x 80 =
16,000 meters), each a year of 15-minute readings, the layouts meter-major, time-major and
shuffled in turn. They are computed and scored serially in this process (the floor: the same
work, one factory after the other, no cluster) and on the local cluster ``carbon portfolio``
starts (:func:`carbon_core.portfolio.local_cluster`) for each worker count of
``CARBON_BENCH_WORKERS`` (default ``1,2``: the scaling curve), every worker limited to
``CARBON_BENCH_WORKER_MEMORY`` (default 768MiB; the workers together below the whole data set at
the issue's size). Serial and cluster runs alternate, ``CARBON_BENCH_ROUNDS`` rounds (default 2)
per worker count, the order reversed every other round; min and median of each are reported.

``CARBON_BENCH_DISTINCT`` (default: all) limits how many distinct meter files are written; the
other factories hard-link one of them (writing 200 distinct years of 80 meters takes about four
minutes on this machine, longer than computing them). Every factory still reads, validates and
computes its own file. With ``CARBON_BENCH_DATA`` the city is written under that folder and
reused by the next run of the same size.

``extra_info``: the data size, the memory limit, for each worker count the serial and cluster
wall times, throughput [factories/s], the throughput ratio cluster / serial, the peak RSS of each
worker process [MB] (its ``ru_maxrss``, reported by the task), whether every per-factory JSON is
identical to the serial one, and how many factories were computed.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path

import pytest

from _layouts import inventory_text, write_factory

FACTORIES = int(os.environ.get("CARBON_BENCH_FACTORIES", "8"))
METERS = int(os.environ.get("CARBON_BENCH_FACTORY_METERS", "50"))
WORKERS = tuple(int(w) for w in os.environ.get("CARBON_BENCH_WORKERS", "1,2").split(","))
MEMORY = os.environ.get("CARBON_BENCH_WORKER_MEMORY", "768MiB")
ROUNDS = int(os.environ.get("CARBON_BENCH_ROUNDS", "2"))
DISTINCT = int(os.environ.get("CARBON_BENCH_DISTINCT", str(FACTORIES)))
DISTRICTS = ("蜀山区", "包河区", "庐阳区", "瑶海区", "经开区", "高新区")
INTERVALS = 35040  # 15-minute readings in 2023


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    if os.environ.get("CARBON_BENCH_DATA"):  # kept for the next run (writing takes minutes)
        root = Path(os.environ["CARBON_BENCH_DATA"]) / f"city-{FACTORIES}x{METERS}-{DISTINCT}"
        if (root / "portfolio.toml").exists():  # written last: the city is complete
            return root / "portfolio.toml"
        shutil.rmtree(root, ignore_errors=True)  # a run stopped while writing it
        root.mkdir(parents=True)
    else:
        root = tmp_path_factory.mktemp("city")
    rows = []
    code = "91340100MA2N0K1X3U"  # a valid check digit; factories are told apart by name
    assert DISTINCT >= FACTORIES or DISTINCT >= 3, "hard-linking needs a file of each layout"
    for k in range(FACTORIES):
        layout = ("meter-major", "time-major", "shuffled")[k % 3]
        folder = root / f"f{k:03d}"
        name, district = f"工厂 {k}", DISTRICTS[k % len(DISTRICTS)]
        if k < DISTINCT:
            write_factory(folder, METERS, layout, seed=k, name=name, district=district,
                          code=code)
        else:  # the meter file of a distinct factory of the same layout, hard-linked
            j = k % 3 + 3 * ((k // 3) % (DISTINCT // 3))
            folder.mkdir()
            os.link(root / f"f{j:03d}" / "meters.parquet", folder / "meters.parquet")
            text = inventory_text(METERS, ["meters.parquet"], name=name, district=district,
                                  code=code)
            (folder / "inventory.toml").write_text(text, encoding="utf-8")
        rows.append(f'[[factories]]\ninventory = "f{k:03d}/inventory.toml"\nname = "f{k:03d}"\n')
    path = root / "portfolio.toml"
    path.write_text('schema = "carbon_core.portfolio/1"\nname = "bench city"\n\n'
                    + "\n".join(rows), encoding="utf-8")
    return path


def _dump(o) -> str:
    return json.dumps([o.results, o.score], sort_keys=True)


def test_portfolio_throughput(benchmark, city):
    from carbon_core.portfolio import aggregate, load_manifest, local_cluster, run_portfolio
    from carbon_core.portfolio import run_serial

    man = load_manifest(city)
    data_mb = FACTORIES * METERS * INTERVALS * 8 / 2**20
    run_serial(type(man)(name=man.name, factories=man.factories[:1], path=man.path))  # warm
    reference: dict[str, str] | None = None
    curve = []
    for n in WORKERS:
        serial_s, cluster_s = [], []
        peak: dict[str, float] = {}
        same, computed = True, 0
        with local_cluster(n, memory_limit=MEMORY, retries=1) as client:
            # every worker imports the engine and loads the factor library once, as in a run
            warm = type(man)(name=man.name, factories=man.factories[:n], path=man.path)
            run_portfolio(warm, client=client)
            for r in range(ROUNDS):
                for which in (("serial", "cluster") if r % 2 == 0 else ("cluster", "serial")):
                    t0 = time.perf_counter()
                    run = run_serial(man) if which == "serial" else run_portfolio(man,
                                                                                  client=client)
                    (serial_s if which == "serial" else cluster_s).append(
                        time.perf_counter() - t0)
                    dumps = {o.name: _dump(o) for o in run.outcomes if o.ok}
                    if reference is None and which == "serial":
                        reference = dumps
                    if which == "cluster":
                        same = same and dumps == reference
                        computed = aggregate(run, man)["computed"]
                        for o in run.outcomes:
                            peak[o.worker or "?"] = max(peak.get(o.worker or "?", 0.0),
                                                        o.peak_rss_mb)
        s_min, c_min = min(serial_s), min(cluster_s)
        curve.append({"workers": n, "serial_s_min": s_min,
                      "serial_s_median": statistics.median(serial_s),
                      "cluster_s_min": c_min, "cluster_s_median": statistics.median(cluster_s),
                      "serial_factories_per_s": FACTORIES / s_min,
                      "cluster_factories_per_s": FACTORIES / c_min,
                      "throughput_ratio": s_min / c_min,
                      "peak_rss_mb_per_worker": dict(sorted(peak.items())),
                      "identical_to_serial": same, "computed": computed})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = {"factories": FACTORIES, "meters_per_factory": METERS,
            "meters": FACTORIES * METERS, "distinct_meter_files": min(DISTINCT, FACTORIES),
            "data_mb_float64": data_mb, "worker_memory_limit": MEMORY, "rounds": ROUNDS,
            "curve": curve}
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info, ensure_ascii=False, indent=1))
    for point in curve:
        assert point["identical_to_serial"] and point["computed"] == FACTORIES
