"""Background computation of uploads, with visible progress.

A page never waits on the engine: an upload is queued, a worker thread runs the same
:func:`carbon_core.compute` and scoring as ``carbon compute`` / ``carbon score``, and writes each
stage and the row-group progress of the meter read into the job's row, which the page polls
(``GET /api/jobs/<id>``). The results and score JSON are stored beside the upload
(``_results.json``, ``_score.json``, the report ``_report.html`` and the dynamic record
``_dynamic.json``); an input problem is stored as the job's error, in the same
words the CLI prints.

A verifier bundle (``NAME.bundle``, written by ``carbon bundle``) is first checked exactly as
``carbon verify`` checks it (:func:`carbon_core.verify.verify_bundle`: the archive's hostile-input
limits, every member's SHA-256 against the manifest and its root hash, the signature when the
server trusts keys, a recomputation from the bundle's own files and the field-by-field
comparison). Only a bundle that verifies is computed further: its inventory and meter files are
taken out of it (:func:`carbon_core.verify.recompute.open_bundle`) and computed and scored by the
register's programme like any inventory upload. The verdict is written beside the upload
(``_verification.json``); a bundle that does not verify fails the job with the verdict's reasons
and nothing else is computed.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import CarbonCoreError
from ..outputs.json import dumps_bytes
from ..verify.archive import DEFAULT_LIMITS, Limits
from .store import WebStore
from .uploads import BUNDLE_SUFFIXES, Upload

__all__ = ["JobRunner", "compute_upload", "verify_upload", "public_message", "UploadMissing",
           "VerificationFailed", "RESULTS_NAME", "SCORE_NAME", "REPORT_NAME", "DYNAMIC_NAME",
           "VERIFICATION_NAME", "BUNDLE_DIR"]

RESULTS_NAME = "_results.json"
SCORE_NAME = "_score.json"
REPORT_NAME = "_report.html"
DYNAMIC_NAME = "_dynamic.json"
#: The verdict of an uploaded bundle (``carbon verify --json``'s fields, and how the register's
#: own computation compares with the bundled result).
VERIFICATION_NAME = "_verification.json"
#: Folder of an upload the verified bundle's inventory and meter files are taken out to.
BUNDLE_DIR = "_bundle"
#: Manifest roles of the members an inventory computation reads (carbon_core.verify.bundle).
_INPUT_ROLES = ("inventory", "meter-data", "inventory-file")
#: Differences a failure message names (the verdict file holds them all).
_NAMED = 5


def compute_upload(upload: Upload, *, programme: str | None = None,
                   progress: Callable[..., None] | None = None, trusted: Iterable = (),
                   bundle_limits: Limits = DEFAULT_LIMITS) -> tuple[dict, dict]:
    """Compute, score and document an uploaded inventory or verifier bundle.

    An inventory is computed as ``carbon report`` does; a bundle is first verified as
    ``carbon verify`` does (:func:`verify_upload`) and then its inventory is computed the same
    way. One computation (:func:`carbon_core.outputs.build.prepare`: the engine and the
    programme's indicator system) gives the results and score JSON, the self-evaluation report
    (评价报告, self-contained HTML) and the year's dynamic management record (动态管理表, JSON),
    all written beside the upload.

    Parameters
    ----------
    upload : Upload
        Holds exactly one ``.toml`` inventory and the meter files it names, or one verifier
        bundle (``.bundle``, or the same ZIP named ``.zip``) and nothing else.
    programme : str, optional
        Programme bundle whose indicator system scores it (default: the registry's default).
    progress : callable, optional
        Receives ``(stage, done=None, total=None)``.
    trusted : iterable of public keys or paths
        Ed25519 public keys a bundle must be signed by (none: a signature is reported, not
        required).
    bundle_limits : carbon_core.verify.Limits
        The archive limits a bundle is read with (member count, sizes, compression ratio).

    Returns
    -------
    (results dict, score dict)

    Raises
    ------
    CarbonCoreError
        Any input problem, in the CLI's words; :class:`VerificationFailed` for a bundle that
        does not verify, :class:`carbon_core.verify.BundleError` for one refused outright.
    """
    from ..outputs.build import prepare
    from ..outputs.dynamic import build_dynamic, dynamic_record
    from ..outputs.html import render_html
    from ..outputs.self_report import build_self_report, hourly_matching

    verdict: dict[str, Any] | None = None
    bundled: dict | None = None
    if any(n.lower().endswith(BUNDLE_SUFFIXES) for n in upload.files):
        if len(upload.files) != 1:
            raise UploadMissing("a verifier bundle is uploaded alone: it holds the inventory "
                                f"and its meter files already (got {sorted(upload.files)})")
        verdict, bundled, inv = verify_upload(upload, trusted=trusted, limits=bundle_limits,
                                              progress=progress)
    else:
        found = upload.inventory
        if found is None:
            raise UploadMissing("an upload must hold exactly one inventory (.toml) file, or "
                                "one verifier bundle (.bundle or .zip)")
        inv = found
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
    if verdict is not None and bundled is not None:
        from ..verify import compare_documents

        diffs, n = compare_documents(bundled, prep.results)
        verdict["register"] = {
            "programme": name, "fields_compared": n, "differences": len(diffs),
            "matches": not diffs,
            "first_differences": [str(d) for d in diffs[:_NAMED]]}
        _write(upload.folder / VERIFICATION_NAME, verdict)
    return prep.results, prep.score


def verify_upload(upload: Upload, *, trusted: Iterable = (), limits: Limits = DEFAULT_LIMITS,
                  progress: Callable[..., None] | None = None) -> tuple[dict, dict, Path]:
    """Verify an uploaded bundle exactly as ``carbon verify`` does and take out its inventory.

    The verdict (:meth:`carbon_core.verify.VerifyReport.to_dict`, the fields of
    ``carbon verify --json``) is written to ``_verification.json`` in the upload's folder,
    whether the bundle verifies or not. A bundle that verifies has its inventory, meter and
    policy members (manifest roles ``inventory``, ``meter-data``, ``inventory-file``) written
    under ``_bundle/`` of the upload's folder, at the member names the archive reader checked
    (:func:`carbon_core.verify.archive.read_archive`: no absolute name, no ``..``, no link).

    Parameters
    ----------
    upload : Upload
        Holds one ``.bundle`` file.
    trusted : iterable of public keys or paths
        Ed25519 public keys the bundle must be signed by (empty: not required).
    limits : carbon_core.verify.Limits
        Archive limits.
    progress : callable, optional
        Receives ``(stage, done=None, total=None)``.

    Returns
    -------
    (verdict dict, bundled results dict, inventory path)

    Raises
    ------
    carbon_core.verify.BundleError
        The archive is refused outright (hostile, unreadable, no manifest); nothing is written.
    VerificationFailed
        The bundle is read but does not verify (a changed member, a bad signature, a number
        that does not reproduce: the verdict file is written), or a bundled input the engine
        refuses while recomputing (malformed TOML or Parquet: the engine's words follow).
    """
    from ..verify import BundleError, verify_bundle
    from ..verify.recompute import open_bundle

    path = upload.bundle
    if path is None:
        raise UploadMissing("the upload holds no verifier bundle (one .bundle or .zip file)")
    if progress:
        progress("verifying the bundle 核查包校验与复算")
    try:
        rep = verify_bundle(path, trusted=trusted, limits=limits)
    except BundleError:
        raise
    except CarbonCoreError as exc:  # a bundled input the engine refuses while recomputing
        raise VerificationFailed(f"核查未通过 NOT VERIFIED: {path.name}: its inputs cannot be "
                                 f"recomputed:\n{exc}\nnothing was computed or recorded"
                                 ) from None
    except OSError as exc:  # the recomputation could not write the members out (disk, limits)
        raise VerificationFailed(f"核查未通过 NOT VERIFIED: {path.name}: its members could "
                                 f"not be written out to be recomputed "
                                 f"({type(exc).__name__}: {exc.strerror}); "
                                 "nothing was computed or recorded") from None
    verdict = rep.to_dict()
    verdict["bundle"] = path.name  # never the server's folder
    _write(upload.folder / VERIFICATION_NAME, verdict)
    if not rep.ok or rep.bundled is None:
        raise VerificationFailed(_failure(path.name, rep))
    members, manifest, problems = open_bundle(path, limits=limits)
    if problems or manifest.get("root") != rep.root:  # changed between the two reads
        raise VerificationFailed(f"{path.name}: the bundle changed while it was verified")
    dest = upload.folder / BUNDLE_DIR
    for m in manifest["members"]:
        if m["role"] in _INPUT_ROLES:
            target = dest / m["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(members[m["path"]])
    return verdict, rep.bundled, dest / manifest["header"]["inventory"]


def _failure(name: str, rep: Any) -> str:
    """Why a bundle did not verify, in the words ``carbon verify`` prints."""
    lines = [f"核查未通过 NOT VERIFIED: {name} (root {rep.root})"]
    lines += [f"integrity: {p}" for p in rep.integrity[:_NAMED]]
    if len(rep.integrity) > _NAMED:
        lines.append(f"... and {len(rep.integrity) - _NAMED} more integrity problem(s)")
    if not rep.signature_ok:
        lines.append(f"signature: {rep.signature}")
    if rep.integrity:
        lines.append("not recomputed: the bundle is not intact")
    elif rep.differences:
        lines.append(f"{len(rep.differences)} difference(s) of {rep.compared} fields "
                     "(line item | field | bundled | recomputed):")
        lines += [f"  {d.document}: {d.item} | {d.field} | {d.bundled!r} | {d.recomputed!r}"
                  for d in rep.differences[:_NAMED]]
    lines.append("nothing was computed or recorded")
    return "\n".join(lines)


def public_message(text: str, upload: Upload) -> str:
    """An error message with the server's folders taken out.

    File names are given as the upload (or the bundle) names them, never where the server keeps
    them (nor the temporary folder a bundle is recomputed in).

    Parameters
    ----------
    text : str
        The error's message.
    upload : Upload
        The upload it is about.

    Returns
    -------
    str

    Examples
    --------
    >>> from pathlib import Path
    >>> up = Upload(id="x", folder=Path("/srv/data/uploads/x"))
    >>> public_message("/srv/data/uploads/x/_bundle/inventory/inventory.toml: bad", up)
    'inventory/inventory.toml: bad'
    >>> public_message("/tmp/carbon-verify-ab12/inventory/a.toml, line 2", up)
    'inventory/a.toml, line 2'
    """
    for folder in (upload.folder / BUNDLE_DIR, upload.folder):
        text = text.replace(f"{folder}{os.sep}", "").replace(str(folder), ".")
    return _VERIFY_TMP.sub("", text)


#: The temporary folder :func:`carbon_core.verify.verify_bundle` recomputes a bundle in.
_VERIFY_TMP = re.compile(r"[^\s'\"(]*carbon-verify-[^/\\\s]*[/\\]")


class UploadMissing(CarbonCoreError, ValueError):
    """The upload does not hold what a computation needs."""


class VerificationFailed(CarbonCoreError, ValueError):
    """An uploaded verifier bundle did not verify (its verdict is in ``_verification.json``)."""


def _write(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(dumps_bytes(doc))
    tmp.replace(path)


class JobRunner:
    """Runs uploads' computations in worker threads and records their progress.

    Parameters
    ----------
    store : WebStore
    workers : int
        Threads computing at once (default 2, the cores of a small server).
    trusted : iterable of public keys or paths
        Ed25519 public keys an uploaded bundle must be signed by (empty: not required).
    bundle_limits : carbon_core.verify.Limits
        Archive limits an uploaded bundle is read with.
    """

    def __init__(self, store: WebStore, *, workers: int = 2, trusted: Iterable = (),
                 bundle_limits: Limits = DEFAULT_LIMITS):
        self.store = store
        self.trusted = tuple(trusted)
        self.bundle_limits = bundle_limits
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="carbon-job")
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, username: str, upload: Upload, *, programme: str | None = None) -> str:
        """Queue an upload's computation.

        Parameters
        ----------
        username : str
            The uploading account.
        upload : Upload
            A stored upload (inventory and meter files, or one bundle).
        programme : str, optional
            The programme whose indicator system scores it.

        Returns
        -------
        str
            The job's id, at once; the work runs in a worker thread.
        """
        job_id = self.store.new_job(username, upload.id)

        def progress(stage: str, done: int | None = None, total: int | None = None) -> None:
            self.store.update_job(job_id, stage=stage, done=done, total=total)

        def run() -> None:
            self.store.update_job(job_id, status="running", stage="reading 读取数据")
            try:
                compute_upload(upload, programme=programme, progress=progress,
                               trusted=self.trusted, bundle_limits=self.bundle_limits)
            except CarbonCoreError as exc:
                self.store.update_job(job_id, status="failed", stage="failed 失败",
                                      error=public_message(str(exc), upload))
            except Exception as exc:  # noqa: BLE001 - recorded, never a traceback on a page
                self.store.update_job(job_id, status="failed", stage="failed 失败",
                                      error=public_message(f"internal error "
                                                           f"({type(exc).__name__}): {exc}",
                                                           upload))
            else:
                self.store.update_job(job_id, status="done", stage="done 完成")

        with self._lock:
            self._futures[job_id] = self.pool.submit(run)
        return job_id

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until a job ends (tests and the CLI only; pages poll instead).

        Parameters
        ----------
        job_id : str
        timeout : float, optional
            At most this long [s].
        """
        with self._lock:
            fut = self._futures.get(job_id)
        if fut is not None:
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        """Stop accepting jobs and wait for the running ones."""
        self.pool.shutdown(wait=True)
