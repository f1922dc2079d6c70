"""Checking a self-evaluation submission with the engine (自主创建 材料核验).

A submission carries the score JSON (``carbon score --json``, :mod:`carbon_core.scoring`), and
optionally the results JSON (``carbon compute --json``) and/or the inventory itself, plus any
documents (the report...). It is checked before it is recorded:

- the score JSON validates against the score schema (``carbon schema score``), its arithmetic
  holds (points, total, mandatory items unmet, verdict re-derived from its own figures), it was
  scored against the programme's own indicator system with every mandatory item present, names the applying enterprise and a reporting year the
  procedure accepts;
- eligibility (基本要求 and the exclusions) and every mandatory item (必选项) as the procedure
  requires (``[submission]`` of the procedure file);
- with the results JSON: it validates (``carbon schema results``), names the same enterprise and
  year, and every metric the score read equals the results' value (derived metrics recomputed
  with :func:`carbon_core.scoring.derive_metrics`);
- with the inventory: the engine recomputes the results and the score
  (:func:`carbon_core.compute`, :func:`carbon_core.scoring.evaluate`), which must agree with the
  submitted score (total, verdict, eligibility, mandatory items unmet);
- the register's own record: a revocation inside the exclusion window contradicts an
  eligibility check that says the enterprise was never removed from a list.

Documents are stored as SHA-256 hashes (with their size and base name), never their content; a
``bundle_root`` field keeps the root hash of a verifier bundle (carbon_core.verify) when there is
one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

from ..errors import CarbonCoreError
from .errors import RegisterError
from .procedure import Procedure
from .store import canonical_json

__all__ = ["check_submission", "hash_document", "hash_documents", "programme_system"]

_HEX = set("0123456789abcdef")


def hash_document(path: str | os.PathLike, *, max_bytes: int) -> dict[str, Any]:
    """SHA-256 [hex], size [bytes] and base name of a document file.

    Parameters
    ----------
    path : str or os.PathLike
        The document file.
    max_bytes : int
        Largest size accepted [bytes] (the procedure's ``max_document_bytes``).

    Returns
    -------
    dict
        ``sha256`` (hex), ``bytes`` (size) and ``name`` (the base name).

    Raises
    ------
    RegisterError
        Not a readable regular file, or larger than ``max_bytes``.
    """
    p = Path(path)
    try:
        if not p.is_file():
            raise RegisterError(f"document {path}: not a file")
        size = p.stat().st_size
        if size > max_bytes:
            raise RegisterError(f"document {path}: {size} bytes, more than the procedure's limit "
                                f"of {max_bytes} bytes")
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise RegisterError(f"document {path}: cannot read it: {exc.strerror}") from None
    return {"sha256": h.hexdigest(), "bytes": size, "name": p.name}


def hash_documents(documents: Mapping[str, Any] | None, *, max_bytes: int) -> dict[str, dict]:
    """``{role: path or {"sha256": ...}}`` -> ``{role: {"sha256", "bytes", "name"}}``.

    Parameters
    ----------
    documents : mapping or None
        Role -> a file path, or an already hashed ``{"sha256": ..., "bytes": ..., "name": ...}``.
    max_bytes : int
        Largest size of a file [bytes].

    Returns
    -------
    dict
        Role -> ``{"sha256", "bytes", "name"}``.

    Raises
    ------
    RegisterError
        A role that is not a short name, a malformed SHA-256, or a file :func:`hash_document`
        refuses.
    """
    out: dict[str, dict] = {}
    for role, ref in (documents or {}).items():
        if not isinstance(role, str) or not role or len(role) > 40:
            raise RegisterError(f"document role {role!r}: expected a short name")
        if isinstance(ref, Mapping):
            sha = str(ref.get("sha256", "")).lower()
            if len(sha) != 64 or not set(sha) <= _HEX:
                raise RegisterError(f"document {role}: sha256 must be 64 hex digits, got "
                                    f"{ref.get('sha256')!r}")
            out[role] = {"sha256": sha, "bytes": ref.get("bytes"), "name": ref.get("name", "")}
        else:
            out[role] = hash_document(ref, max_bytes=max_bytes)
    return out


def _load_json(obj: Any, what: str, max_bytes: int) -> tuple[dict, str]:
    """(document, sha256 of its bytes) from a mapping or a file path."""
    if isinstance(obj, Mapping):
        doc = dict(obj)
        return doc, hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
    info = hash_document(obj, max_bytes=max_bytes)
    try:
        doc = json.loads(Path(obj).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegisterError(f"{what} {obj}: not a JSON file: {exc}") from None
    if not isinstance(doc, dict):
        raise RegisterError(f"{what} {obj}: expected a JSON object")
    return doc, info["sha256"]


def _schema_errors(doc: dict, schema_name: str) -> list[str]:
    from jsonschema import Draft202012Validator

    from ..results import load_schema

    v = Draft202012Validator(load_schema(schema_name))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(v.iter_errors(doc), key=str)[:5]]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def programme_system(programme):
    """The programme bundle's indicator system, checked against the metrics this install knows.

    Parameters
    ----------
    programme : carbon_core.programmes.Programme
        The programme bundle whose ``indicator_system`` file is read.

    Returns
    -------
    carbon_core.scoring.system.IndicatorSystem
        The parsed system. Its metric names are checked against the core, balance and plugin
        metrics; when a plugin fails to load (a :class:`CarbonCoreError`), against the core and
        balance metrics only, so a broken plugin does not close the register.
    """
    from ..scoring.system import loads_system

    text = programme.file("indicator_system").read_text(encoding="utf-8")
    try:
        from ..engine import available_metrics
        from ..plugin_manager import get_plugin_manager

        metrics = available_metrics(get_plugin_manager())
    except CarbonCoreError:  # a broken plugin: core and balance metrics only
        metrics = None
    return loads_system(text, file=programme.label("indicator_system"), metrics=metrics)


def _arithmetic(doc: Mapping[str, Any], system) -> list[str]:
    """The score JSON's own arithmetic, re-derived as :func:`carbon_core.scoring.evaluate` does
    it: points within their maximum and equal to maximum x fraction, the total the sum of the
    points, the mandatory items unmet those not met, the verdict the one the figures give, and
    every mandatory item of the programme's system present."""
    out = []
    inds = doc["indicators"]
    for i in inds:
        if i["points"] > i["max_points"] + 1e-6 or not math.isclose(
                i["points"], i["max_points"] * i["fraction"], rel_tol=1e-6, abs_tol=1e-6):
            out.append(f"indicator {i['id']}: {i['points']} points is not its maximum "
                       f"{i['max_points']} x fraction {i['fraction']}")
    total = math.fsum(i["points"] for i in inds)
    if not math.isclose(total, doc["total_score"], abs_tol=1e-4):
        out.append(f"total_score {doc['total_score']} is not the sum of the indicators' points "
                   f"({total:.6f})")
    unmet = [i["id"] for i in inds if i["kind"] == "mandatory" and not i["met"]]
    if sorted(unmet) != sorted(doc["mandatory_unmet"]):
        out.append(f"mandatory_unmet {doc['mandatory_unmet']} does not match the indicators "
                   f"({unmet})")
    checks_ok = all(c["passed"] for c in doc["eligibility"]["checks"])
    if doc["eligible"] != checks_ok or doc["eligible"] != (not doc["eligibility"]["failed"]):
        out.append("eligible does not match the eligibility checks")
    expect = ("ineligible" if not checks_ok else "mandatory_unmet" if unmet
              else "below_pass_score" if doc["total_score"] < doc["pass_score"] else "qualified")
    if doc["verdict"] != expect:
        out.append(f"verdict {doc['verdict']!r} does not follow from the figures ({expect!r})")
    have = {i["id"] for i in inds if i["kind"] == "mandatory"}
    missing = sorted(ind.id for ind in system.indicators if ind.mandatory and ind.id not in have)
    if missing:
        out.append(f"mandatory items of the programme's system missing: {missing}")
    return out


def check_submission(*, procedure: Procedure, programme, credit_code: str, year: int,
                     score: Any = None, results: Any = None, inventory: Any = None,
                     revocations: list[dict] | None = None, on: dt.date | None = None,
                     system=None) -> tuple[dict[str, Any], dict[str, dict]]:
    """Check a submission; return the summary to record and the hashes of the JSON inputs.

    Parameters
    ----------
    procedure, programme
        The register's procedure and programme bundle.
    credit_code : str
        The applying enterprise.
    year : int
        The application year.
    score, results : mapping or path, optional
        The score JSON and the results JSON. At least one of ``score`` and ``inventory``.
    inventory : path, optional
        The inventory TOML: recomputed by the engine.
    revocations : list of dict
        The register's revocations of this enterprise.
    on : datetime.date, optional
        The day of the submission. Not used by the checks: the window of past revocations is
        counted back from the score's own as-of day.
    system : IndicatorSystem, optional
        The programme's indicator system, when the caller has it loaded already.

    Returns
    -------
    summary : dict
        ``total_score``, ``verdict``, ``eligible``, ``failed``, ``mandatory_unmet``,
        ``system``, ``reporting_year``, ``sectors``, ``checked_by``.
    documents : dict
        ``{"score": {...sha256...}, "results": {...}, "inventory": {...}}`` for those given.

    Raises
    ------
    RegisterError
        Every problem found, in one message.
    """
    limit = procedure.max_document_bytes
    problems: list[str] = []
    docs: dict[str, dict] = {}
    checked = []
    score_doc = results_doc = None
    if score is None and inventory is None:
        raise RegisterError("a submission needs the score JSON (carbon score --json) or the "
                            "inventory to compute it from")
    if score is not None:
        score_doc, sha = _load_json(score, "score JSON", limit)
        docs["score"] = {"sha256": sha, "name": "" if isinstance(score, Mapping)
                         else Path(score).name}
        errs = _schema_errors(score_doc, "score")
        if errs:
            raise RegisterError("the score JSON does not follow `carbon schema score`: "
                                + "; ".join(errs))
        checked.append("score schema")
    if results is not None:
        results_doc, sha = _load_json(results, "results JSON", limit)
        docs["results"] = {"sha256": sha, "name": "" if isinstance(results, Mapping)
                           else Path(results).name}
        errs = _schema_errors(results_doc, "results")
        if errs:
            raise RegisterError("the results JSON does not follow `carbon schema results`: "
                                + "; ".join(errs))
        checked.append("results schema")

    system = system if system is not None else programme_system(programme)
    if inventory is not None:
        from ..engine import compute
        from ..scoring.evaluate import evaluate

        docs["inventory"] = hash_document(inventory, max_bytes=limit)
        res = compute(inventory)
        engine_score = evaluate(res, system=system).to_dict()
        checked.append("recomputed by the engine from the inventory")
        if score_doc is None:
            score_doc = engine_score
        else:
            for key in ("total_score", "verdict", "eligible", "mandatory_unmet"):
                if not _same(score_doc.get(key), engine_score.get(key)):
                    problems.append(f"the submitted score's {key} is {score_doc.get(key)!r}, the "
                                    f"engine recomputes {engine_score.get(key)!r} from the "
                                    "inventory")
        if results_doc is None:
            results_doc = res.to_dict()

    assert score_doc is not None
    problems += _arithmetic(score_doc, system)
    if score_doc["system"]["id"] != system.id:
        problems.append(f"scored against the indicator system {score_doc['system']['id']!r}; "
                        f"the programme's is {system.id!r}")
    fac = score_doc["factory"]
    if fac["credit_code"] != credit_code:
        problems.append(f"the score is of {fac['credit_code']}, not of the applicant "
                        f"{credit_code}")
    ry = fac.get("reporting_year")
    allowed = sorted(year + o for o in procedure.reporting_year_offsets)
    if ry not in allowed:
        problems.append(f"reporting year {ry} is not accepted for a {year} application "
                        f"(expected one of {allowed})")
    failed = list(score_doc["eligibility"]["failed"])
    if procedure.require_eligible and not score_doc["eligible"]:
        problems.append("not eligible (基本要求/exclusions failed: " + ", ".join(failed) + ")")
    if procedure.require_mandatory and score_doc["mandatory_unmet"]:
        problems.append("mandatory items (必选项) unmet: "
                        + ", ".join(score_doc["mandatory_unmet"]))
    if procedure.require_verdict and score_doc["verdict"] != procedure.require_verdict:
        problems.append(f"verdict {score_doc['verdict']!r} ({score_doc['verdict_en']}), the "
                        f"procedure requires {procedure.require_verdict!r}")
    checked.append("eligibility and mandatory items")

    if revocations:
        as_of = dt.date.fromisoformat(score_doc["as_of"])
        window = system.eligibility.record_years
        recent = [r for r in revocations
                  if dt.date.fromisoformat(r["on"]) > dt.date(as_of.year - window, as_of.month,
                                                              min(as_of.day, 28))]
        claims_clean = [c for c in score_doc["eligibility"]["checks"]
                        if c["id"].endswith("removed_from_lists") and c["passed"]]
        if recent and claims_clean:
            r = recent[-1]
            problems.append(f"the eligibility check {claims_clean[0]['id']!r} passed, but the "
                            f"register revoked this enterprise on {r['on']} ({r['ground']}), "
                            f"inside the {window}-year record")
        checked.append("register record of revocations")

    if results_doc is not None:
        rf = results_doc.get("factory", {})
        if rf.get("credit_code") != credit_code:
            problems.append(f"the results are of {rf.get('credit_code')}, not of {credit_code}")
        if results_doc.get("reporting_year") != ry:
            problems.append(f"the results are for {results_doc.get('reporting_year')}, the score "
                            f"for {ry}")
        from ..scoring.derived import derive_metrics

        metrics = dict(results_doc.get("metrics", {}))
        for k, v in derive_metrics(metrics, None).items():
            metrics.setdefault(k, v)
        for ind in score_doc["indicators"]:
            if ind["source"]["kind"] not in ("metric", "metric_any"):
                continue
            for name, value in ind["inputs"].items():
                if name in metrics and not _same(value, metrics[name]):
                    problems.append(f"indicator {ind['id']} read {name} = {value!r}, the results "
                                    f"say {metrics[name]!r}")
        checked.append("score inputs equal the results' metrics")

    if problems:
        raise RegisterError(f"submission of {credit_code} for {year} refused by the engine's "
                            "checks: " + "; ".join(problems))
    summary = {
        "total_score": score_doc["total_score"], "verdict": score_doc["verdict"],
        "eligible": bool(score_doc["eligible"]), "failed": failed,
        "mandatory_unmet": list(score_doc["mandatory_unmet"]),
        "system": score_doc["system"]["id"], "system_template": bool(
            score_doc["system"]["template"]),
        "reporting_year": ry,
        "sectors": list((results_doc or {}).get("factory", {}).get("sectors", []) or []),
        "checked_by": checked,
    }
    return summary, docs
