"""From an inventory to a report document: one compute, one score, then the document.

:func:`make_report` is what ``carbon report`` runs; a program can call it as well::

    doc = make_report(["inventory.toml"], kind="self")
    document_writer("html")(doc, "report.html")

It computes the inventory once (:func:`carbon_core.compute`), scores the result once against the
programme's indicator system (:func:`carbon_core.scoring.evaluate`, as ``carbon score`` does),
reads the previous years and the inventory's ``[targets]`` and ``[dynamic]`` tables, and builds
the document from the results and score dictionaries (plus the hourly series of the ``Results``
object for the matching heatmap).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, Problem
from .document import Document
from .history import History

__all__ = ["KINDS", "Prepared", "prepare", "make_report"]

#: Report kinds -> what they are.
KINDS = {"self": "自评价报告 self-evaluation report",
         "dynamic": "动态管理表 annual dynamic management table",
         "district": "区级汇总表 district summary of many factories' dynamic tables"}


@dataclass
class Prepared:
    """Everything a factory's documents are built from.

    Attributes
    ----------
    results_obj : Results
        The computed result (the hourly series are only here).
    results : dict
        Its JSON document (``Results.to_dict()``).
    score : dict
        The score JSON (``Evaluation.to_dict()``).
    history : History
        The previous years given.
    programme : Programme
        The programme bundle.
    targets : Targets
        The inventory's base year and annual targets.
    dynamic : DynamicFields
        The inventory's dynamic-table fields.
    generator : str
        ``carbon_core <version>``.
    """

    results_obj: Any
    results: dict
    score: dict
    history: History
    programme: Any
    targets: Any
    dynamic: Any
    generator: str


@functools.lru_cache(maxsize=16)
def _system(text: str, label: str, names: frozenset):
    """A programme's indicator system, parsed once per process for the same text and metrics.

    An indicator system is immutable data; the cache is keyed by the file's whole text, so an
    edited file is parsed again.
    """
    from ..scoring import loads_system

    return loads_system(text, file=label, metrics=names)


def _generator() -> str:
    from .._version import __version__

    return f"carbon_core {__version__}"


def prepare(inventory: str | Path, *, previous: Sequence[str | Path] = (),
            programme: str | None = None, system: str | Path | None = None,
            as_of: datetime.date | None = None, ledger: str | Path | None = None,
            plugins: bool = True) -> Prepared:
    """Compute and score one inventory for its documents.

    Parameters
    ----------
    inventory : path
        The inventory TOML.
    previous : sequence of paths
        Results, score or dynamic-table JSON of earlier years (see
        :mod:`carbon_core.outputs.history`).
    programme : str, optional
        Programme bundle name (default :data:`carbon_core.programmes.DEFAULT_PROGRAMME`): its
        indicator system scores the factory and its title heads the documents.
    system : path, optional
        An indicator-system TOML replacing the programme's (as ``carbon score --system``).
    as_of : datetime.date, optional
        The day evidence is judged on (default 31 December of the reporting year).
    ledger : path, optional
        SQLite claims ledger to record and check the certificate claims in.
    plugins : bool
        Load the installed sector plugins.
    """
    from ..engine import compute
    from ..io.targets import parse_dynamic, parse_targets
    from ..programmes import DEFAULT_PROGRAMME, get_programme
    from ..scoring import evaluate, load_system
    from .self_report import metric_infos

    prog = get_programme(programme or DEFAULT_PROGRAMME)
    res = compute(inventory, plugins=plugins, ledger=ledger)
    doc = res.to_dict()
    names = set(metric_infos()) | set(res.metrics)
    if system is not None:
        ind = load_system(system, metrics=names)
    else:
        ind = _system(prog.file("indicator_system").read_text(encoding="utf-8"),
                      prog.label("indicator_system"), frozenset(names))
    history = History.load(previous, reporting_year=doc["reporting_year"],
                           credit_code=doc["factory"]["credit_code"])
    prev = history.previous_metrics(doc["reporting_year"] - 1)
    score = evaluate(res, system=ind, previous=prev, as_of=as_of).to_dict()
    raw = res.inventory.raw
    return Prepared(res, doc, score, history, prog, parse_targets(raw), parse_dynamic(raw),
                    _generator())


def make_report(inputs: Sequence[str | Path], *, kind: str = "self",
                previous: Sequence[str | Path] = (), programme: str | None = None,
                system: str | Path | None = None, as_of: datetime.date | None = None,
                ledger: str | Path | None = None, plugins: bool = True) -> Document:
    """The document of ``kind`` for ``inputs``.

    ``self`` and ``dynamic`` take one inventory; ``district`` takes the factories' dynamic
    tables (``.json`` or ``.xlsx`` written by ``--kind dynamic``).

    Parameters
    ----------
    inputs : sequence of path
        One inventory (``self``, ``dynamic``), or dynamic tables (``district``).
    kind : str
        ``self`` (自评价报告), ``dynamic`` (动态管理表) or ``district`` (动态管理汇总表).
    previous, programme, system, as_of, ledger, plugins
        As for :func:`prepare` (one inventory only).

    Returns
    -------
    Document

    Raises
    ------
    InputError
        Wrong number or type of inputs, and every problem of the inputs themselves.
    """
    if kind not in KINDS:
        raise InputError([Problem("carbon report", "unknown report kind", field="kind",
                                  found=kind, expected=f"one of {list(KINDS)}")])
    if kind == "district":
        from .dynamic import build_district, district_record, load_dynamic_tables

        if previous or system or ledger or as_of:
            raise InputError([Problem("carbon report", "--kind district reads finished dynamic "
                                      "tables; --previous, --system, --as-of and --ledger "
                                      "belong to each factory's own --kind dynamic run")])
        tables = load_dynamic_tables(inputs)
        return build_district(district_record([d for d, _ in tables], generator=_generator()))
    if len(inputs) != 1 or Path(inputs[0]).suffix.lower() != ".toml":
        raise InputError([Problem("carbon report", f"--kind {kind} takes one inventory",
                                  found=" ".join(map(str, inputs)),
                                  expected="one inventory .toml file")])
    prep = prepare(inputs[0], previous=previous, programme=programme, system=system,
                   as_of=as_of, ledger=ledger, plugins=plugins)
    if kind == "self":
        from .self_report import build_self_report, hourly_matching

        return build_self_report(prep.results, prep.score, programme=prep.programme.meta,
                                 programme_name=prep.programme.name, history=prep.history,
                                 targets=prep.targets, hourly=hourly_matching(prep.results_obj),
                                 generator=prep.generator)
    from .dynamic import build_dynamic, dynamic_record

    return build_dynamic(dynamic_record(prep.results, prep.score, programme=prep.programme.meta,
                                        programme_name=prep.programme.name,
                                        history=prep.history, targets=prep.targets,
                                        dynamic=prep.dynamic, generator=prep.generator))
