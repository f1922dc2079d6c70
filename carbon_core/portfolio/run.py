"""Run a portfolio: one task per factory on dask.distributed (or serially, in this process).

By default a ``LocalCluster`` of worker *processes* sized to the machine (one single-threaded worker
per core: the engine's kernels are numpy calls that hold the GIL between them, so processes
scale and threads do not); ``scheduler=ADDRESS`` uses an existing cluster instead. A task whose
worker dies is re-run on another worker (``retries`` times on the local cluster; an existing
scheduler applies its own ``distributed.scheduler.allowed-failures``); a factory whose task still
fails, or whose inventory is bad, is reported by name and the others go on. Every factory of the
manifest is in the run exactly once, computed or failed.

Every wait is bounded, so a broken cluster is reported and never waited on for ever:

* starting the local cluster or reaching ``scheduler`` takes at most ``start_timeout`` [s];
* a cluster with no worker alive for ``no_worker_timeout`` [s] while factories are pending
  (every worker died and none came back, or none ever joined) ends the run: each pending factory
  is reported failed, with kind ``"NoWorkers"``;
* a run in which no factory finished for ``stall_timeout`` [s] ends the same way, kind
  ``"Stalled"``, each message naming the worker the factory was running on, if it was running;
* fetching a finished factory's result, each question to the scheduler, and closing the client
  and the local cluster take at most ``start_timeout`` [s] each.
"""

from __future__ import annotations

import os
import queue
import time
import uuid
from asyncio import CancelledError
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import CarbonCoreError
from .manifest import Manifest
from .worker import FactoryOutcome, edition, run_factory

__all__ = ["PortfolioRun", "run_portfolio", "run_serial", "tasks", "local_cluster",
           "ClusterError", "DEFAULT_STALL_TIMEOUT", "DEFAULT_NO_WORKER_TIMEOUT",
           "DEFAULT_START_TIMEOUT", "LOCAL_HOST", "LOCAL_DASHBOARD"]

#: Longest time [s] a run may go without any factory finishing (one factory of 4,000 meters takes
#: well under a minute on one core; an hour means the cluster is stuck).
DEFAULT_STALL_TIMEOUT = 3600.0
#: Longest time [s] a cluster may have no worker while factories are pending.
DEFAULT_NO_WORKER_TIMEOUT = 120.0
#: Longest time [s] to start the local cluster, reach a scheduler, fetch a result or close.
DEFAULT_START_TIMEOUT = 120.0
#: The local cluster listens on the loopback interface only, on ports the system picks.
LOCAL_HOST = "127.0.0.1"
#: Where the local scheduler's HTTP server listens. Not ``None``: with ``None`` dask still binds
#: its HTTP server (health and metrics routes) to the fixed port 8787, and warns, or fails where
#: warnings are errors, when another cluster or program already holds that port.
LOCAL_DASHBOARD = "127.0.0.1:0"
#: dask's lost-worker-timeout on the local cluster (see :func:`local_cluster`): longer than a run.
_NANNY_KEPT = "24h"
#: Seconds between checks of the cluster while no factory finishes.
_POLL = 0.5
#: dask's setting of the workers' malloc trim threshold, which ``local_cluster`` unsets (None
#: unsets a variable there: ``distributed.nanny._get_env_variables``).
_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


class ClusterError(CarbonCoreError):
    """The dask cluster could not be started or reached (the message says which and why)."""


@dataclass
class PortfolioRun:
    """The outcome of every factory of a manifest, in manifest order, and how the run went.

    Attributes
    ----------
    outcomes : list of FactoryOutcome
        One per factory of the manifest, in manifest order, computed or failed.
    factor_digest : str
        The factor edition the run computed with
        (:func:`~carbon_core.portfolio.worker.factor_edition_digest`).
    seconds : float
        Wall time of the run [s].
    mode : str
        ``"serial"``, ``"local cluster"``, ``"scheduler ADDRESS"`` or ``"client"``.
    workers : int
        Worker processes asked for (local cluster) or alive at the start (otherwise); 1 for
        a serial run.
    info : dict
        ``timeout``: the message of the timeout that ended the run early, if one did.
    """

    outcomes: list[FactoryOutcome]
    factor_digest: str
    seconds: float
    mode: str
    workers: int
    info: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[FactoryOutcome]:
        """The outcomes of the factories that could not be computed."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def computed(self) -> list[FactoryOutcome]:
        """The outcomes of the factories that were computed."""
        return [o for o in self.outcomes if o.ok]


def tasks(manifest: Manifest, digest: str) -> list[dict]:
    """The task of each factory: plain strings only (paths, labels, the factor digest).

    Parameters
    ----------
    manifest : Manifest
        The factories to run.
    digest : str
        The client's factor edition digest, which each worker checks against its own.

    Returns
    -------
    list of dict
        One task per factory, in manifest order, as
        :func:`~carbon_core.portfolio.worker.run_factory` takes it.
    """
    return [{"name": f.name, "inventory": str(f.inventory), "district": f.district,
             "sector": f.sector, "system": str(manifest.system) if manifest.system else None,
             "factor_digest": digest} for f in manifest.factories]


def run_serial(manifest: Manifest, *, progress: Callable[[int, int, str], None] | None = None,
               runner: Callable[[dict], FactoryOutcome] = run_factory) -> PortfolioRun:
    """Every factory in this process, one after the other (the reference for the parallel run).

    Parameters
    ----------
    manifest : Manifest
        The factories to run.
    progress : callable, optional
        ``progress(done, total, name)`` after each factory.
    runner : callable
        The task run for each factory (default :func:`~carbon_core.portfolio.worker.run_factory`).

    Returns
    -------
    PortfolioRun
        Mode ``"serial"``, one worker; a bad factory is an outcome with ``ok=False``, never
        raised.
    """
    t0 = time.perf_counter()
    _, digest = edition()
    outcomes = []
    todo = tasks(manifest, digest)
    for k, task in enumerate(todo):
        outcomes.append(runner(task))
        if progress:
            progress(k + 1, len(todo), task["name"])
    return PortfolioRun(outcomes, digest, time.perf_counter() - t0, "serial", 1)


def _within(exc: BaseException, timeout: float) -> str:
    return f" within {timeout:g} s" if isinstance(exc, (TimeoutError, OSError)) else ""


@contextmanager
def local_cluster(workers: int | None = None, *, memory_limit: str | int | None = "auto",
                  retries: int = 1, start_timeout: float = DEFAULT_START_TIMEOUT) -> Iterator[Any]:
    """A ``LocalCluster`` of worker processes as the portfolio runs it; yields a client of it.

    One single-threaded worker process per core (or ``workers``), on the loopback interface, on
    ports the system picks, each worker limited to ``memory_limit``. While it is open:

    * a task that takes its worker down is re-run ``retries`` times, then reported as
      ``KilledWorker`` (``distributed.scheduler.allowed-failures``);
    * a worker that died is restarted by its nanny and stays in the cluster: dask's
      ``distributed.deploy.lost-worker-timeout`` (15 s) would otherwise close for good a nanny
      whose worker dies twice and takes longer than the rest of those 15 s to restart (a busy
      machine), shrinking the cluster with every such death until no worker is left. A nanny
      whose worker cannot start closes itself after ``start_timeout`` [s] (``death_timeout``);
    * worker processes start without dask's ``MALLOC_TRIM_THRESHOLD_=65536``
      (``distributed.nanny.pre-spawn-environ``): setting any glibc malloc threshold switches off
      glibc's adaptive mmap threshold, so every array of a factory (tens of MB) was mapped
      afresh and page-faulted in, which made a task take about twice the time of the same call
      in one process (``benchmarks/README.md``, *Portfolio*). glibc's own default returns freed
      memory to the system above twice its adaptive threshold (at most 64 MiB). A
      ``MALLOC_TRIM_THRESHOLD_`` set in the environment is still passed on to the workers.

    Starting and closing each take at most ``start_timeout`` [s].

    Parameters
    ----------
    workers : int, optional
        Worker processes; default one per core.
    memory_limit : str or int, optional
        Per-worker memory limit (``"2GiB"``, bytes; ``"auto"``: the machine's memory shared
        among the workers).
    retries : int
        Times a task whose worker died is re-run before it is reported ``KilledWorker``.
    start_timeout : float
        Longest time [s] to start, to connect the client, and to close; also each nanny's
        ``death_timeout``.

    Yields
    ------
    distributed.Client
        A client of the cluster (not set as dask's default); client and cluster are closed on
        exit.

    Raises
    ------
    ClusterError
        The cluster or its client did not start.
    """
    import dask
    from distributed import Client, LocalCluster

    n = workers if workers is not None else (os.cpu_count() or 1)
    with dask.config.set({"distributed.scheduler.allowed-failures": retries,
                          "distributed.deploy.lost-worker-timeout": _NANNY_KEPT,
                          _TRIM_KEY: None}):
        cluster = None
        try:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   memory_limit=memory_limit, host=LOCAL_HOST,
                                   scheduler_port=0, dashboard_address=LOCAL_DASHBOARD,
                                   death_timeout=start_timeout)
            client = Client(cluster, timeout=start_timeout, set_as_default=False)
        except (OSError, RuntimeError, ValueError, TypeError) as exc:
            if cluster is not None:
                cluster.close(timeout=start_timeout)
            raise ClusterError(f"cannot start a local dask cluster of {n} worker(s)"
                               f"{_within(exc, start_timeout)}: {type(exc).__name__}: {exc}"
                               ) from None
        try:
            yield client
        finally:
            try:
                client.close(timeout=start_timeout)
            finally:
                cluster.close(timeout=start_timeout)


@contextmanager
def _remote(scheduler: str, start_timeout: float) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, reached and closed within ``start_timeout``."""
    from distributed import Client
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend

    try:
        # checked before a Client is built: a Client refused for a malformed address leaves an
        # IO loop whose finaliser blocks the interpreter's exit
        scheme, where = parse_address(scheduler)
        backend = get_backend(scheme)
        if scheme != "inproc":
            backend.get_address_host_port(where)
    except (ValueError, TypeError) as exc:
        raise ClusterError(f"not a dask scheduler address: {scheduler!r} ({exc}); expected "
                           f"e.g. tcp://host:8786") from None
    try:
        client = Client(scheduler, timeout=start_timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ClusterError(f"cannot reach the dask scheduler {scheduler}"
                           f"{_within(exc, start_timeout)}: {type(exc).__name__}: {exc}"
                           ) from None
    try:
        yield client
    finally:
        client.close(timeout=start_timeout)


def run_portfolio(manifest: Manifest, *, scheduler: str | None = None, workers: int | None = None,
                  memory_limit: str | int | None = "auto", client: Any = None, retries: int = 1,
                  progress: Callable[[int, int, str], None] | None = None,
                  runner: Callable[[dict], FactoryOutcome] = run_factory,
                  stall_timeout: float = DEFAULT_STALL_TIMEOUT,
                  no_worker_timeout: float = DEFAULT_NO_WORKER_TIMEOUT,
                  start_timeout: float = DEFAULT_START_TIMEOUT) -> PortfolioRun:
    """Compute and score every factory of ``manifest`` on a dask cluster.

    Parameters
    ----------
    manifest : Manifest
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``). Default: a new local cluster
        (:func:`local_cluster`).
    workers : int, optional
        Worker processes of the local cluster (at least 1); default one per core.
    memory_limit : str or int, optional
        Per-worker memory limit of the local cluster (``"2GiB"``, bytes; default ``"auto"``:
        the machine's memory shared among the workers).
    client : distributed.Client, optional
        Use this client (and its cluster) as it is.
    retries : int
        Times a task is re-run after it raised, and (local cluster only) after its worker died
        (default 1).
    progress : callable, optional
        ``progress(done, total, name)`` as each factory finishes.
    runner : callable
        The task run for each factory (default :func:`~carbon_core.portfolio.worker.run_factory`).
    stall_timeout : float
        Longest time [s] without any factory finishing; then every pending factory is reported
        failed (kind ``"Stalled"``).
    no_worker_timeout : float
        Longest time [s] with no worker alive while factories are pending; then every pending
        factory is reported failed (kind ``"NoWorkers"``).
    start_timeout : float
        Longest time [s] to start the local cluster or reach ``scheduler``, to fetch one result,
        to get an answer from the scheduler, and to close.

    Returns
    -------
    PortfolioRun
        One outcome per factory, in manifest order: computed, or failed with the reason.
        ``info["timeout"]`` holds the message if the run was ended by a timeout.

    Raises
    ------
    ClusterError
        dask.distributed is not installed, or the cluster could not be started or reached.
    """
    try:
        import distributed  # noqa: F401 - the portfolio extra
    except ImportError:
        raise ClusterError("the portfolio needs dask.distributed: pip install "
                           "'carbon_core[portfolio]' (or run serially with --workers 0)"
                           ) from None
    if workers is not None and workers < 1 and client is None and not scheduler:
        raise ClusterError(f"a local cluster needs at least one worker, not {workers} "
                           f"(run_serial computes in this process)")
    t0 = time.perf_counter()
    _, digest = edition()
    todo = tasks(manifest, digest)
    info: dict = {}
    asked: int | None = None
    with ExitStack() as stack:
        if client is not None:
            mode = "client"
        elif scheduler:
            mode = f"scheduler {scheduler}"
            client = stack.enter_context(_remote(scheduler, start_timeout))
        else:
            mode, asked = "local cluster", workers or os.cpu_count() or 1
            client = stack.enter_context(local_cluster(asked, memory_limit=memory_limit,
                                                       retries=retries,
                                                       start_timeout=start_timeout))
        probe = _Probe(client, start_timeout)
        n_workers, _ = probe.workers()
        outcomes = _gather(client, todo, probe, runner=runner, retries=retries,
                           progress=progress, stall_timeout=stall_timeout,
                           no_worker_timeout=no_worker_timeout, fetch_timeout=start_timeout,
                           info=info)
    return PortfolioRun(outcomes, digest, time.perf_counter() - t0, mode,
                        asked if asked is not None else n_workers, info)


def _failed(task: dict, kind: str, error: str) -> FactoryOutcome:
    return FactoryOutcome(name=task["name"], ok=False, district=task.get("district"),
                          sector=task.get("sector"), kind=kind, error=error)


def _lost(task: dict, exc: BaseException) -> FactoryOutcome:
    return _failed(task, type(exc).__name__,
                   f"the task was lost: {type(exc).__name__}: {exc}")


def _collect(fut: Any, task: dict, timeout: float) -> FactoryOutcome:
    """The outcome of a finished future, fetched within ``timeout`` [s]; a lost task reported."""
    try:
        out = fut.result(timeout=timeout)
    except (Exception, CancelledError) as exc:  # noqa: BLE001 - reported, never dropped
        return _lost(task, exc)
    if not isinstance(out, FactoryOutcome):
        return _failed(task, "BadOutcome", f"the task returned {type(out).__name__}, "
                                           f"not a FactoryOutcome")
    return out


class _Probe:
    """Questions to the scheduler, each answered within a bounded time or counted as no answer."""

    def __init__(self, client: Any, timeout: float) -> None:
        self.client, self.timeout = client, timeout

    def _ask(self, handler: str) -> Any:
        return self.client.sync(getattr(self.client.scheduler, handler),
                                callback_timeout=self.timeout)

    def workers(self) -> tuple[int, str]:
        """(number of workers alive, why none if the scheduler did not answer)."""
        try:
            return len(self._ask("identity").get("workers", {})), ""
        except (Exception, CancelledError) as exc:  # noqa: BLE001 - a dead scheduler: no worker
            return 0, f"; the scheduler did not answer: {type(exc).__name__}: {exc}"

    def processing(self) -> dict[str, str]:
        """Task key -> address of the worker running it (empty if the scheduler did not answer)."""
        try:
            return {str(k): w for w, keys in self._ask("processing").items() for k in keys}
        except (Exception, CancelledError):  # noqa: BLE001 - only used to word a message
            return {}


def _gather(client: Any, todo: list[dict], probe: _Probe, *, runner: Callable, retries: int,
            progress: Callable[[int, int, str], None] | None, stall_timeout: float,
            no_worker_timeout: float, fetch_timeout: float, info: dict) -> list[FactoryOutcome]:
    """Submit one task per factory and collect every outcome, never waiting without a bound."""
    finished: queue.SimpleQueue = queue.SimpleQueue()
    run_id = uuid.uuid4().hex[:12]  # keys unique per run: never an earlier run's result
    pending: dict[str, tuple[int, Any]] = {}
    for i, task in enumerate(todo):
        fut = client.submit(runner, task, key=f"factory-{run_id}-{i}", pure=False,
                            retries=retries)
        pending[fut.key] = (i, fut)
        fut.add_done_callback(finished.put)
    outcomes: list[FactoryOutcome | None] = [None] * len(todo)
    done = 0
    last_finish = time.monotonic()
    no_worker_since: float | None = None
    while pending:
        try:
            fut = finished.get(timeout=_POLL)
        except queue.Empty:
            fut = None
        if fut is not None:
            entry = pending.pop(fut.key, None)
            if entry is None:
                continue
            i = entry[0]
            outcomes[i] = _collect(fut, todo[i], fetch_timeout)
            done += 1
            last_finish = time.monotonic()
            if progress:
                progress(done, len(todo), todo[i]["name"])
            continue
        now = time.monotonic()
        alive, why = probe.workers()
        if alive:
            no_worker_since = None
        elif no_worker_since is None:
            no_worker_since = now
        if no_worker_since is not None and now - no_worker_since >= no_worker_timeout:
            kind = "NoWorkers"
            message = (f"not computed: no dask worker alive for {no_worker_timeout:g} s{why} "
                       f"(every worker died and none came back, or none joined)")
        elif now - last_finish >= stall_timeout:
            kind = "Stalled"
            message = f"not computed: no factory finished for {stall_timeout:g} s"
        else:
            continue
        running = probe.processing() if kind == "Stalled" else {}
        for key, (i, _) in sorted(pending.items(), key=lambda kv: kv[1][0]):
            where = (f" (it was running on the worker {running[key]})" if key in running
                     else " (it was waiting for a worker)")
            outcomes[i] = _failed(todo[i], kind, message + where)
        info["timeout"] = message
        pending.clear()  # the futures are released: the scheduler forgets the tasks
    # every factory accounted for, by construction; said again so it can never regress
    missing = [todo[i]["name"] for i, o in enumerate(outcomes) if o is None]
    if missing:
        raise RuntimeError(f"factories without an outcome: {missing}")
    return [o for o in outcomes if o is not None]
