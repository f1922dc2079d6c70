"""The task each worker runs: compute and score one factory, return plain data.

Nothing crosses the wire but JSON-able dicts of floats and strings (the results and score
documents): no pint Quantity, no xarray object, no open file. The factor edition is identified by
hash: the client sends the digest of the library it would compute with, and a worker whose own
library differs refuses the task instead of computing with other factors.
"""

from __future__ import annotations

import hashlib
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FactoryOutcome", "run_factory", "factor_edition_digest", "edition"]


@dataclass
class FactoryOutcome:
    """What one factory's task returned: its results and score documents, or why it failed.

    Attributes
    ----------
    name : str
        The factory's name in the manifest.
    ok : bool
        Whether it was computed and scored.
    results, score : dict or None
        The results document (:meth:`carbon_core.results.Results.to_dict`) and the score
        document (:meth:`carbon_core.scoring.evaluate.Evaluation.to_dict`); None if it failed.
    error, kind : str or None
        Why it failed: the message, and the error's kind (an exception class name, or
        ``"FactorEditionMismatch"``, ``"NoWorkers"``, ``"Stalled"``, ...).
    district, sector : str or None
        Grouping labels: the manifest's, else the inventory's.
    seconds : float
        Time the task took [s].
    peak_rss_mb : float
        Peak resident memory of the worker process when the task ended [MiB].
    worker : str or None
        Which process ran it (``"pid 1234"``).
    extra : dict
        Free-form further data (:func:`run_factory` leaves it empty).
    """

    name: str
    ok: bool
    results: dict | None = None
    score: dict | None = None
    error: str | None = None
    kind: str | None = None
    district: str | None = None
    sector: str | None = None
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The outcome's summary (without results and score): name, status, error, grouping, time
        and memory used.

        Returns
        -------
        dict
        """
        return {k: getattr(self, k) for k in ("name", "ok", "error", "kind", "district", "sector",
                                              "seconds", "peak_rss_mb", "worker")}


def factor_edition_digest(library) -> str:
    """SHA-256 identifying a factor library by the files it was loaded from.

    The digest covers every source file's name and content hash (the shipped factor files and
    every plugin's tables), so two processes with the same digest compute with the same factors.

    Parameters
    ----------
    library : carbon_core.factors.FactorLibrary
        The library, with its ``sources`` (id, file, SHA-256 of the file's content).

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    h = hashlib.sha256()
    sources = library.sources
    for key in sorted(sources):
        src = sources[key]
        h.update(f"{src.id}\0{Path(src.file).name}\0{src.sha256}\n".encode())
    return h.hexdigest()


_CACHE: dict[Any, Any] = {}


def edition():
    """(library, digest) of this process, built once: the shipped factors and the plugins'."""
    if "library" not in _CACHE:
        from ..factors import FactorLibrary
        from ..plugin_manager import factor_library, get_plugin_manager

        lib = factor_library(FactorLibrary.default(), get_plugin_manager())
        _CACHE["library"] = lib
        _CACHE["digest"] = factor_edition_digest(lib)
    return _CACHE["library"], _CACHE["digest"]


def _system(path: str | None, names: frozenset):
    """The indicator system, loaded once per process for each set of metric names."""
    key = ("system", path, names)
    if key not in _CACHE:
        from ..scoring.system import load_system

        _CACHE[key] = load_system(path, metrics=names)
    return _CACHE[key]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_factory(task: dict) -> FactoryOutcome:
    """Compute and score one factory (the unit of work of a portfolio).

    Parameters
    ----------
    task : dict
        ``name``, ``inventory`` (path), ``district``, ``sector``, ``system`` (indicator-system
        path or None) and ``factor_digest`` (the client's :func:`factor_edition_digest`).

    Returns
    -------
    FactoryOutcome
        ``ok`` with the results and score documents, or ``ok=False`` with the error message: a
        bad inventory is reported by the factory's name, never raised into the scheduler.
    """
    from ..errors import CarbonCoreError

    t0 = time.perf_counter()
    out = FactoryOutcome(name=task["name"], ok=False, district=task.get("district"),
                         sector=task.get("sector"), worker=f"pid {os.getpid()}")
    try:
        library, digest = edition()
        if task.get("factor_digest") and digest != task["factor_digest"]:
            out.kind = "FactorEditionMismatch"
            out.error = (f"this worker's factor edition {digest[:16]}… differs from the client's "
                         f"{task['factor_digest'][:16]}…: refused (install the same carbon_core "
                         f"and plugins on every worker)")
            return out
        from ..engine import compute
        from ..engine import available_metrics
        from ..scoring.evaluate import evaluate

        results = compute(task["inventory"], library=library)
        names = frozenset(set(available_metrics()) | set(results.metrics))
        ev = evaluate(results, system=_system(task.get("system"), names))
        out.results = results.to_dict()
        out.score = ev.to_dict()
        fac = out.results.get("factory", {})
        out.district = out.district or fac.get("district") or "—"
        sectors = (out.results.get("sectors") or {}).get("plugins") or []
        out.sector = out.sector or (results.inventory.factory.sectors[0]
                                    if results.inventory.factory.sectors else
                                    (sectors[0] if sectors else "general"))
        out.ok = True
    except CarbonCoreError as exc:
        out.kind, out.error = type(exc).__name__, str(exc)
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        out.kind, out.error = type(exc).__name__, f"{type(exc).__name__}: {exc}"
    finally:
        out.seconds = time.perf_counter() - t0
        out.peak_rss_mb = _peak_rss_mb()
    return out
