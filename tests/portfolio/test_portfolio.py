"""The portfolio on a real LocalCluster (two worker processes) gives the serial results exactly.

Every wait here is bounded: the cluster starts, closes and refills within a timeout, and the runs
use the portfolio's own stall and no-worker timeouts, so a broken cluster fails a test, it never
hangs the suite.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import cloudpickle
import pytest
from click.testing import CliRunner

from carbon_core.cli import main
from carbon_core.errors import InputError
from carbon_core.portfolio import (ClusterError, aggregate, load_manifest, local_cluster,
                                   run_portfolio, run_serial)
from carbon_core.portfolio.worker import FactoryOutcome, run_factory

# The fault-injecting runners below travel to the workers by value. By reference, a worker would
# import this module by its bare name `test_portfolio`, and with it whatever `conftest` is first on
# the sys.path the workers inherit (tests/web's in the full suite): the task cannot be unpickled,
# the worker shuts down, and the run used to wait for ever for a worker that never came.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

#: Bound [s] on starting, refilling and closing the test cluster.
BOUND = 60


def _dump(outcome: FactoryOutcome) -> str:
    return json.dumps([outcome.results, outcome.score], sort_keys=True)


@pytest.fixture(scope="module")
def cluster():
    # the cluster `carbon portfolio` starts, with two workers; a task may kill its worker once
    with local_cluster(2, memory_limit="2GiB", retries=1, start_timeout=BOUND) as client:
        yield client


@pytest.fixture
def full_cluster(cluster):
    """The module's cluster with both workers alive (a worker killed by a test is restarted)."""
    cluster.wait_for_workers(2, timeout=BOUND)
    yield cluster
    cluster.wait_for_workers(2, timeout=BOUND)


def test_cluster_equals_serial_to_the_last_digit(portfolio_manifest, full_cluster):
    man = load_manifest(portfolio_manifest)
    serial = run_serial(man)
    parallel = run_portfolio(man, client=full_cluster, stall_timeout=BOUND)
    assert [o.name for o in parallel.outcomes] == [f.name for f in man.factories]
    for s, p in zip(serial.outcomes, parallel.outcomes):
        assert s.ok == p.ok and s.name == p.name
        if s.ok:
            assert _dump(s) == _dump(p)  # identical JSON text: every digit
    # the computation ran in the workers, not here
    assert {o.worker for o in parallel.outcomes} != {f"pid {os.getpid()}"}
    a, b = aggregate(serial, man), aggregate(parallel, man)
    # the broken factory is reported by name and the others go on
    assert b["factories"] == 4 and b["computed"] == 3 and not b["complete"]
    (failed,) = b["failed"]
    assert failed["name"] == "broken factory" and "meters.parquet" in failed["error"]
    for doc in (a, b):
        doc.pop("run")
        for row in doc["per_factory"]:
            row.pop("seconds"), row.pop("peak_rss_mb"), row.pop("worker")
    assert a == b


def _malloc_env() -> tuple[str | None, str | None]:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")


def test_workers_keep_glibc_adaptive_malloc(full_cluster):
    """dask's MALLOC_TRIM_THRESHOLD_=65536 (which made every task about twice as slow as the
    same call in one process) is not set on the portfolio's workers; its one-thread numpy
    settings stay."""
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("MALLOC_TRIM_THRESHOLD_ set by the caller is passed on on purpose")
    envs = full_cluster.run(_malloc_env)
    assert len(envs) == 2
    assert set(envs.values()) == {(None, "1")}


def test_aggregate_groups_and_goal(portfolio_manifest):
    man = load_manifest(portfolio_manifest)
    run = run_serial(man)
    doc = aggregate(run, man)
    one = run.outcomes[0].results
    city = doc["city"]
    assert city["factories"] == 3
    assert city["total_tco2e"] == pytest.approx(3 * one["total_tco2e"], rel=1e-12)
    assert city["net_tco2e"] == pytest.approx(3 * one["balance"]["net_tco2e"], rel=1e-12)
    assert set(doc["by_district"]) == {"蜀山区", "包河区"}
    assert doc["by_district"]["蜀山区"]["factories"] == 2
    assert doc["by_district"]["蜀山区"]["total_tco2e"] == pytest.approx(
        2 * one["total_tco2e"], rel=1e-12)
    assert set(doc["by_sector"]) == {"appliances"}
    assert doc["scores"]["count"] == 3 and sum(
        b["factories"] for b in doc["scores"]["histogram"]) == 3
    assert [r["rank"] for r in doc["ranking"]] == [1, 1, 1]  # three equal factories share rank 1
    assert {r["portfolio_name"] for r in doc["ranking"]} == {"factory 0", "factory 1",
                                                             "factory 2"}
    net = doc["goal"]["net_tco2e"]
    assert net["target_at_most"] == 20000.0 and net["met"] is (city["net_tco2e"] <= 20000.0)
    assert doc["goal"]["demonstration_factories"]["target"] == 2
    json.dumps(doc)  # plain JSON types only


def _die_once(task: dict) -> FactoryOutcome:
    # kills its worker process the first time it runs "factory 1"; the retry computes it
    marker = Path(task["inventory"]).parent / "killed-once"
    if task["name"] == "factory 1" and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return run_factory(task)


def _always_die(task: dict) -> FactoryOutcome:
    if task["name"] == "factory 1":
        os._exit(1)
    return run_factory(task)


def test_killed_worker_is_retried(tmp_path, full_cluster, make_portfolio):
    man = load_manifest(make_portfolio(tmp_path, broken=False))
    run = run_portfolio(man, client=full_cluster, runner=_die_once, retries=1,
                        stall_timeout=BOUND, no_worker_timeout=BOUND)
    assert (tmp_path / "f1" / "killed-once").exists()
    assert [o.ok for o in run.outcomes] == [True, True, True], run.failed
    assert _dump(run.outcomes[1]) == _dump(run_serial(man).outcomes[1])


def test_task_that_keeps_killing_its_worker_is_reported(tmp_path, full_cluster, make_portfolio):
    man = load_manifest(make_portfolio(tmp_path, broken=False))
    man = type(man)(name=man.name, factories=man.factories[:2], path=man.path)
    run = run_portfolio(man, client=full_cluster, runner=_always_die, retries=0,
                        stall_timeout=BOUND, no_worker_timeout=BOUND)
    doc = aggregate(run, man)
    # every factory is accounted for: computed, or failed by name (a task that shared the dying
    # worker may be lost with it, and is then reported too, never missing)
    assert doc["factories"] == 2 and doc["computed"] + len(doc["failed"]) == 2
    lost = {f["name"]: f for f in doc["failed"]}
    assert "factory 1" in lost and "KilledWorker" in lost["factory 1"]["kind"]
    assert all("lost" in f["error"] for f in lost.values())
    assert doc["city"]["factories"] == doc["computed"] and not doc["complete"]
    assert "timeout" not in run.info  # ended by the scheduler's verdict, not by a timeout


def _block_until_released(task: dict) -> FactoryOutcome:
    # a task that hangs (until the test releases it, at most BOUND seconds: never for ever)
    release = Path(task["inventory"]).parent.parent / "release"
    deadline = time.monotonic() + BOUND
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return run_factory(task)


def test_a_hung_task_is_reported_with_its_worker(tmp_path, full_cluster, make_portfolio):
    man = load_manifest(make_portfolio(tmp_path, broken=False))
    man = type(man)(name=man.name, factories=man.factories[:1], path=man.path)
    t0 = time.monotonic()
    try:
        run = run_portfolio(man, client=full_cluster, runner=_block_until_released,
                            stall_timeout=2.0, no_worker_timeout=BOUND)
    finally:
        (tmp_path / "release").write_text("x")  # frees the worker for the next test
    assert time.monotonic() - t0 < BOUND / 2
    (out,) = run.outcomes
    assert not out.ok and out.kind == "Stalled" and out.name == "factory 0"
    assert "no factory finished for 2 s" in out.error
    assert "running on the worker tcp://" in out.error
    assert run.info["timeout"].startswith("not computed: no factory finished")
    doc = aggregate(run, man)
    assert doc["failed"][0]["name"] == "factory 0" and not doc["complete"]
    assert doc["run"]["timeout"] == run.info["timeout"]


def test_a_cluster_without_workers_is_reported_not_waited_on(tmp_path, make_portfolio):
    man = load_manifest(make_portfolio(tmp_path))
    with local_cluster(0, start_timeout=BOUND) as client:  # a scheduler, no worker
        t0 = time.monotonic()
        run = run_portfolio(man, client=client, no_worker_timeout=1.5, stall_timeout=BOUND)
        assert time.monotonic() - t0 < BOUND / 2
    assert [o.name for o in run.outcomes] == [f.name for f in man.factories]
    for o in run.outcomes:  # every factory named, none missing
        assert not o.ok and o.kind == "NoWorkers"
        assert "no dask worker alive for 1.5 s" in o.error and "waiting for a worker" in o.error
    assert aggregate(run, man)["computed"] == 0


def test_a_task_the_workers_cannot_load_is_reported_not_waited_on(tmp_path, make_portfolio,
                                                                  monkeypatch):
    # the defect behind the former hang: a task whose function the workers cannot import
    # (here a module only the client has) shuts the worker down; the run must end, by name
    import importlib

    ghost = tmp_path / "portfolio_ghost_runner.py"
    ghost.write_text("from carbon_core.portfolio.worker import run_factory\n"
                     "def run(task):\n    return run_factory(task)\n", encoding="utf-8")
    man = load_manifest(make_portfolio(tmp_path, broken=False))
    try:
        with local_cluster(1, memory_limit="1GiB", retries=0, start_timeout=BOUND) as client:
            monkeypatch.syspath_prepend(str(tmp_path))  # the client only: workers have started
            runner = importlib.import_module("portfolio_ghost_runner").run
            t0 = time.monotonic()
            run = run_portfolio(man, client=client, runner=runner, no_worker_timeout=3.0,
                                stall_timeout=BOUND)
            assert time.monotonic() - t0 < BOUND
    finally:
        sys.modules.pop("portfolio_ghost_runner", None)
    assert [o.name for o in run.outcomes] == [f.name for f in man.factories]
    for o in run.outcomes:
        assert not o.ok and o.kind in {"KilledWorker", "NoWorkers"}, (o.kind, o.error)
        assert "lost" in o.error or "no dask worker alive" in o.error


def test_an_unreachable_scheduler_is_an_error_naming_it(tmp_path, make_portfolio):
    man = load_manifest(make_portfolio(tmp_path, broken=False))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as e:
        run_portfolio(man, scheduler=address, start_timeout=2.0)
    assert time.monotonic() - t0 < BOUND / 2
    assert address in str(e.value) and "cannot reach" in str(e.value)


def test_worker_refuses_another_factor_edition(portfolio_manifest):
    man = load_manifest(portfolio_manifest)
    f = man.factories[0]
    out = run_factory({"name": f.name, "inventory": str(f.inventory), "factor_digest": "0" * 64})
    assert not out.ok and out.kind == "FactorEditionMismatch" and out.results is None


def test_cli_portfolio_serial(portfolio_manifest, tmp_path):
    out = tmp_path / "city.json"
    r = CliRunner().invoke(main, ["portfolio", str(portfolio_manifest), "--workers", "0",
                                  "-o", str(out)])
    assert r.exit_code == 1, r.output  # one factory failed: said, and the exit code shows it
    assert "broken factory" in r.output and "3 of 4 factories computed" in r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["computed"] == 3 and doc["schema"] == "carbon_core.portfolio-result/1"


def test_cli_portfolio_on_its_own_local_cluster(tmp_path, make_portfolio):
    import psutil  # a dependency of distributed

    manifest = make_portfolio(tmp_path, broken=False)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    out = tmp_path / "city.json"
    r = CliRunner().invoke(main, ["portfolio", str(manifest), "--workers", "1",
                                  "--memory-limit", "1GiB", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "3 of 3 factories computed (local cluster, 1 worker(s)" in r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    man = load_manifest(manifest)
    ref = aggregate(run_serial(man), man)
    for d in (doc, ref):
        d.pop("run")
        for row in d["per_factory"]:
            row.pop("seconds"), row.pop("peak_rss_mb"), row.pop("worker")
    assert doc == ref
    # the command's own cluster is closed: none of its processes outlives it
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    gone, alive = psutil.wait_procs(left, timeout=BOUND)
    assert not alive, [p.cmdline() for p in alive]


def test_cli_portfolio_bad_manifest_is_an_error_not_a_traceback(tmp_path):
    bad = tmp_path / "city.toml"
    bad.write_text('schema = "carbon_core.portfolio/1"\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["portfolio", str(bad), "--workers", "0",
                                  "-o", str(tmp_path / "out.json")])
    assert r.exit_code == 2 and "error:" in r.output and "no factories" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("address", ["nonsense://x", "tcp://"])
def test_cli_portfolio_bad_scheduler_address(tmp_path, make_portfolio, address):
    manifest = make_portfolio(tmp_path, broken=False)
    r = CliRunner().invoke(main, ["portfolio", str(manifest), "--scheduler", address,
                                  "-o", str(tmp_path / "out.json")])
    assert r.exit_code == 2 and "error: not a dask scheduler address" in r.output, r.output
    assert repr(address) in r.output and "Traceback" not in r.output


def test_cli_portfolio_folder(tmp_path, make_portfolio):
    make_portfolio(tmp_path, broken=False, goal=False)
    (tmp_path / "portfolio.toml").unlink()
    out = tmp_path / "city.json"
    r = CliRunner().invoke(main, ["portfolio", str(tmp_path), "--workers", "0", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["computed"] == 3


@pytest.mark.parametrize("text, field", [
    ('schema = "x"\n[[factories]]\ninventory = "f0/inventory.toml"\n', "schema"),
    ('schema = "carbon_core.portfolio/1"\ncolour = 1\n[[factories]]\n'
     'inventory = "f0/inventory.toml"\n', "colour"),
    ('schema = "carbon_core.portfolio/1"\n[[factories]]\ninventory = "nope.toml"\n',
     "inventory"),
    ('schema = "carbon_core.portfolio/1"\n', "factories"),
    ('schema = "carbon_core.portfolio/1"\n[goal]\nnet_tco2e = -1\n[[factories]]\n'
     'inventory = "f0/inventory.toml"\n', "goal.net_tco2e"),
])
def test_bad_manifest(tmp_path, text, field, make_portfolio):
    make_portfolio(tmp_path, broken=False)
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_manifest(p)
    assert field in {pr.field for pr in e.value.problems}
