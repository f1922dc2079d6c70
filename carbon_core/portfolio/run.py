"""Run a portfolio: one task per factory on dask.distributed (or serially, in this process).

By default a ``LocalCluster`` of worker *processes* sized to the machine (one single-threaded worker
per core: the engine's kernels are numpy calls that hold the GIL between them, so processes
scale and threads do not); ``scheduler=ADDRESS`` uses an existing cluster instead. Each task is
retried once if its worker dies (``retries``); a factory whose task still fails, or whose
inventory is bad, is reported by name and the others go on. Every factory of the manifest is in
the run exactly once, computed or failed.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .manifest import Manifest
from .worker import FactoryOutcome, edition, run_factory

__all__ = ["PortfolioRun", "run_portfolio", "run_serial", "tasks"]


@dataclass
class PortfolioRun:
    """The outcome of every factory of a manifest, in manifest order, and how the run went."""

    outcomes: list[FactoryOutcome]
    factor_digest: str
    seconds: float
    mode: str
    workers: int
    info: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[FactoryOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def computed(self) -> list[FactoryOutcome]:
        return [o for o in self.outcomes if o.ok]


def tasks(manifest: Manifest, digest: str) -> list[dict]:
    """The task of each factory: plain strings only (paths, labels, the factor digest)."""
    return [{"name": f.name, "inventory": str(f.inventory), "district": f.district,
             "sector": f.sector, "system": str(manifest.system) if manifest.system else None,
             "factor_digest": digest} for f in manifest.factories]


def run_serial(manifest: Manifest, *, progress: Callable[[int, int, str], None] | None = None,
               runner: Callable[[dict], FactoryOutcome] = run_factory) -> PortfolioRun:
    """Every factory in this process, one after the other (the reference for the parallel run)."""
    t0 = time.perf_counter()
    _, digest = edition()
    outcomes = []
    todo = tasks(manifest, digest)
    for k, task in enumerate(todo):
        outcomes.append(runner(task))
        if progress:
            progress(k + 1, len(todo), task["name"])
    return PortfolioRun(outcomes, digest, time.perf_counter() - t0, "serial", 1)


def _lost(task: dict, exc: BaseException) -> FactoryOutcome:
    return FactoryOutcome(name=task["name"], ok=False, district=task.get("district"),
                          sector=task.get("sector"), kind=type(exc).__name__,
                          error=f"the task was lost: {type(exc).__name__}: {exc}")


def run_portfolio(manifest: Manifest, *, scheduler: str | None = None, workers: int | None = None,
                  memory_limit: str | int | None = "auto", client=None, retries: int = 1,
                  progress: Callable[[int, int, str], None] | None = None,
                  runner: Callable[[dict], FactoryOutcome] = run_factory) -> PortfolioRun:
    """Compute and score every factory of ``manifest`` on a dask cluster.

    Parameters
    ----------
    manifest : Manifest
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``). Default: a new ``LocalCluster``.
    workers : int, optional
        Worker processes of the local cluster; default one per core (``os.cpu_count()``).
    memory_limit : str or int, optional
        Per-worker memory limit of the local cluster (``"2GiB"``, bytes; default ``"auto"``:
        the machine's memory shared among the workers).
    client : distributed.Client, optional
        Use this client (and its cluster) as it is.
    retries : int
        Times a task is re-run when its worker dies (default 1).
    progress : callable, optional
        ``progress(done, total, name)`` as each factory finishes.

    Returns
    -------
    PortfolioRun
        One outcome per factory, in manifest order: computed, or failed with the reason.
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        from ..errors import CarbonCoreError

        raise CarbonCoreError("the portfolio needs dask.distributed: pip install "
                              "'carbon_core[portfolio]' (or run serially with --workers 0)"
                              ) from None

    t0 = time.perf_counter()
    _, digest = edition()
    todo = tasks(manifest, digest)
    own_cluster = None
    if client is None:
        if scheduler:
            client = Client(scheduler)
            mode = f"scheduler {scheduler}"
        else:
            n = workers or os.cpu_count() or 1
            own_cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       memory_limit=memory_limit, dashboard_address=None)
            client = Client(own_cluster)
            mode = "local cluster"
        own_client = True
    else:
        own_client, mode = False, "client"
    try:
        n_workers = len(client.scheduler_info().get("workers", {}))
        futures = {}
        run_id = uuid.uuid4().hex[:12]  # keys unique per run: never an earlier run's result
        for i, task in enumerate(todo):
            fut = client.submit(runner, task, key=f"factory-{run_id}-{i}", pure=False,
                                retries=retries)
            futures[fut] = i
        outcomes: list[FactoryOutcome | None] = [None] * len(todo)
        done = 0
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                outcomes[i] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost task is reported, never dropped
                outcomes[i] = _lost(todo[i], exc)
            done += 1
            if progress:
                progress(done, len(todo), todo[i]["name"])
        # every factory accounted for, by construction; said again so it can never regress
        missing = [todo[i]["name"] for i, o in enumerate(outcomes) if o is None]
        if missing:
            raise RuntimeError(f"factories without an outcome: {missing}")
    finally:
        if own_client:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
    return PortfolioRun(list(outcomes), digest, time.perf_counter() - t0, mode, n_workers)
