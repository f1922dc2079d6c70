"""Background computation of uploads, with visible progress.

A page never waits on the engine: an upload is queued, a worker thread runs the same
:func:`carbon_core.compute` and scoring as ``carbon compute`` / ``carbon score``, and writes each
stage and the row-group progress of the meter read into the job's row, which the page polls
(``GET /api/jobs/<id>``). The results and score JSON are stored beside the upload
(``_results.json``, ``_score.json``, the report ``_report.html`` and the dynamic record
``_dynamic.json``); an input problem is stored as the job's error, in the same
words the CLI prints.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..errors import CarbonCoreError
from .store import WebStore
from .uploads import Upload

__all__ = ["JobRunner", "compute_upload", "RESULTS_NAME", "SCORE_NAME", "REPORT_NAME",
           "DYNAMIC_NAME"]

RESULTS_NAME = "_results.json"
SCORE_NAME = "_score.json"
REPORT_NAME = "_report.html"
DYNAMIC_NAME = "_dynamic.json"


def compute_upload(upload: Upload, *, programme: str | None = None,
                   progress: Callable[..., None] | None = None) -> tuple[dict, dict]:
    """Compute, score and document an uploaded inventory, as ``carbon report`` does.

    One computation (:func:`carbon_core.outputs.build.prepare`: the engine and the programme's
    indicator system) gives the results and score JSON, the self-evaluation report (评价报告,
    self-contained HTML) and the year's dynamic management record (动态管理表, JSON), all
    written beside the upload.

    Parameters
    ----------
    upload : Upload
        Holds exactly one ``.toml`` inventory and the meter files it names.
    programme : str, optional
        Programme bundle whose indicator system scores it (default: the registry's default).
    progress : callable, optional
        Receives ``(stage, done=None, total=None)``.

    Returns
    -------
    (results dict, score dict)

    Raises
    ------
    CarbonCoreError
        Any input problem, in the CLI's words.
    """
    from ..outputs.build import prepare
    from ..outputs.dynamic import build_dynamic, dynamic_record
    from ..outputs.html import render_html
    from ..outputs.self_report import build_self_report, hourly_matching

    inv = upload.inventory
    if inv is None:
        raise UploadMissing("an upload must hold exactly one inventory (.toml) file")
    if progress:
        progress("computing 核算中")
    prep = prepare(inv, programme=programme)
    if progress:
        progress("writing the report 生成评价报告")
    meta, name = prep.programme.meta, prep.programme.name
    report = build_self_report(prep.results, prep.score, programme=meta, programme_name=name,
                               history=prep.history, targets=prep.targets,
                               hourly=hourly_matching(prep.results_obj),
                               generator=prep.generator)
    dynamic = dynamic_record(prep.results, prep.score, programme=meta, programme_name=name,
                             history=prep.history, targets=prep.targets, dynamic=prep.dynamic,
                             generator=prep.generator)
    _write(upload.folder / RESULTS_NAME, prep.results)
    _write(upload.folder / SCORE_NAME, prep.score)
    _write(upload.folder / DYNAMIC_NAME, build_dynamic(dynamic).data)
    tmp = upload.folder / (REPORT_NAME + ".tmp")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(upload.folder / REPORT_NAME)
    return prep.results, prep.score


class UploadMissing(CarbonCoreError, ValueError):
    """The upload does not hold what a computation needs."""


def _write(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


class JobRunner:
    """Runs uploads' computations in worker threads and records their progress.

    Parameters
    ----------
    store : WebStore
    workers : int
        Threads computing at once (default 2, the cores of a small server).
    """

    def __init__(self, store: WebStore, *, workers: int = 2):
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carbon-job")
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, username: str, upload: Upload, *, programme: str | None = None) -> str:
        """Queue an upload; returns the job id at once."""
        job_id = self.store.new_job(username, upload.id)

        def progress(stage: str, done: int | None = None, total: int | None = None) -> None:
            self.store.update_job(job_id, stage=stage, done=done, total=total)

        def run() -> None:
            self.store.update_job(job_id, status="running", stage="reading 读取数据")
            try:
                compute_upload(upload, programme=programme, progress=progress)
            except CarbonCoreError as exc:
                self.store.update_job(job_id, status="failed", stage="failed 失败",
                                      error=str(exc))
            except Exception as exc:  # noqa: BLE001 - recorded, never a traceback on a page
                self.store.update_job(job_id, status="failed", stage="failed 失败",
                                      error=f"internal error ({type(exc).__name__}): {exc}")
            else:
                self.store.update_job(job_id, status="done", stage="done 完成")

        with self._lock:
            self._futures[job_id] = self.pool.submit(run)
        return job_id

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until a job ends (tests and the CLI only; pages poll instead)."""
        with self._lock:
            fut = self._futures.get(job_id)
        if fut is not None:
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        """Stop accepting jobs and wait for the running ones."""
        self.pool.shutdown(wait=True)
