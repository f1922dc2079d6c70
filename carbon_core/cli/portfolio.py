"""``carbon portfolio``: compute and score a city's factories on dask.distributed."""

from __future__ import annotations

from pathlib import Path

import click

from ..outputs.json import dumps_bytes
from ..portfolio.run import (DEFAULT_NO_WORKER_TIMEOUT, DEFAULT_STALL_TIMEOUT,
                             DEFAULT_START_TIMEOUT)

__all__ = ["portfolio"]


@click.command("portfolio")
@click.argument("manifest", type=click.Path(exists=True, path_type=Path))
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="An existing dask scheduler (tcp://host:8786); default a local cluster.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Worker processes of the local cluster (default one per core; 0: serial, "
                   "in this process).")
@click.option("--memory-limit", default="auto", show_default=True,
              help="Memory limit per worker of the local cluster, e.g. 2GiB.")
@click.option("--stall-timeout", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_STALL_TIMEOUT, show_default=True, metavar="SECONDS",
              help="Report the pending factories as failed when none finished for this long.")
@click.option("--no-worker-timeout", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_NO_WORKER_TIMEOUT, show_default=True, metavar="SECONDS",
              help="Report the pending factories as failed when no worker was alive this long.")
@click.option("--start-timeout", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_START_TIMEOUT, show_default=True, metavar="SECONDS",
              help="Longest wait to start the local cluster, reach the scheduler, or close.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the portfolio JSON here.")
def portfolio(manifest: Path, scheduler: str | None, workers: int | None, memory_limit: str,
              stall_timeout: float, no_worker_timeout: float, start_timeout: float,
              output: Path) -> None:
    """Compute and score a city's factories on a dask cluster.

    MANIFEST is a portfolio TOML (schema carbon_core.portfolio/1: [[factories]] inventory =
    ...) or a folder of inventories. The JSON holds totals, intensities and the balance by
    district and by sector, the distribution of scores, the city ranking and the progress
    toward the manifest's [goal]. A factory that fails is listed by name; the others go on.
    """
    from . import err_console
    from ..portfolio import aggregate, load_manifest, run_portfolio, run_serial

    # a bad manifest, a cluster that cannot be started or reached (ClusterError) or an output
    # that cannot be written reach the one error layer of `carbon` (carbon_core.cli._errors):
    # `error: ...` and exit code 2, never a traceback
    man = load_manifest(manifest)
    show = err_console.is_terminal
    bar_ctx = _bar(len(man.factories)) if show else _nobar()
    with bar_ctx as progress:
        if workers == 0 and not scheduler:
            run = run_serial(man, progress=progress)
        else:
            run = run_portfolio(man, scheduler=scheduler, workers=workers,
                                memory_limit=memory_limit, progress=progress,
                                stall_timeout=stall_timeout, no_worker_timeout=no_worker_timeout,
                                start_timeout=start_timeout)
    doc = aggregate(run, man)
    output.write_bytes(dumps_bytes(doc) + b"\n")
    for f in doc["failed"]:
        err_console.print(f"[red]failed[/]: {f['name']}: {f['error']}", highlight=False)
    err_console.print(f"{doc['computed']} of {doc['factories']} factories computed "
                      f"({run.mode}, {run.workers} worker(s), {run.seconds:.1f} s); "
                      f"written to {output}", highlight=False)
    if doc["failed"]:
        raise SystemExit(1)


class _nobar:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class _bar:
    def __init__(self, total: int) -> None:
        self.total = total

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from . import err_console

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           console=err_console, transient=True)
        self._p.__enter__()
        task = self._p.add_task("factories", total=self.total)

        def update(done: int, total: int, name: str) -> None:
            self._p.update(task, completed=done, description=f"done {name}")

        return update

    def __exit__(self, *exc):
        return self._p.__exit__(*exc)
