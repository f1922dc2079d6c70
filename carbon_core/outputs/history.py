"""Previous years for the reports: results, score and dynamic-table JSON files, by year.

``carbon report --previous FILE`` (repeatable) takes any of

- a results JSON (``carbon compute --json``; has ``schema_version`` and ``metrics``),
- a score JSON (``carbon score --json``; ``"schema": "carbon_core.score/1"``),
- a dynamic management table JSON (``carbon report --kind dynamic --format json``;
  ``"schema": "carbon_core.dynamic/1"``), which holds both the figures and the points.

Files are told apart by their content and grouped by reporting year; each file's SHA-256 goes
into the report's appendix. Two files of the same kind for one year, a file for the reporting
year itself or later, or another factory's file (credit code) are errors.

Examples
--------
>>> h = History.from_documents([({"schema_version": "1.0", "reporting_year": 2023,
...                                "factory": {"credit_code": "X"}, "metrics": {"a.b": 1.0}},
...                               "r2023.json", "0" * 64)])
>>> h.years(), h.metric(2023, "a.b")
([2023], 1.0)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InputError, Problem

__all__ = ["DYNAMIC_SCHEMA", "SCORE_SCHEMA", "Year", "History", "document_kind"]

DYNAMIC_SCHEMA = "carbon_core.dynamic/1"
SCORE_SCHEMA = "carbon_core.score/1"

#: Maximum size of one previous-year file [bytes]; results JSON of a large factory is a few MB.
MAX_BYTES = 64 * 1024 * 1024


def document_kind(doc: Any) -> str | None:
    """``"results"``, ``"score"``, ``"dynamic"`` or None for anything else.

    Parameters
    ----------
    doc : any
        A parsed JSON document.
    """
    if not isinstance(doc, dict):
        return None
    if doc.get("schema") == SCORE_SCHEMA:
        return "score"
    if doc.get("schema") == DYNAMIC_SCHEMA:
        return "dynamic"
    if "schema_version" in doc and isinstance(doc.get("metrics"), dict):
        return "results"
    return None


def _year_of(doc: dict, kind: str) -> Any:
    if kind == "score":
        return doc.get("factory", {}).get("reporting_year")
    return doc.get("reporting_year")


@dataclass
class Year:
    """What is known of one previous year.

    Attributes
    ----------
    year : int
        The reporting year.
    results, score, dynamic : dict or None
        That year's results JSON, score JSON and dynamic management table, those given.
    files : list of (str, str, str)
        ``(kind, path, sha256)`` of every file read for the year.
    """

    year: int
    results: dict | None = None
    score: dict | None = None
    dynamic: dict | None = None
    files: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, path, sha256)


@dataclass
class History:
    """Previous years by reporting year.

    Attributes
    ----------
    by_year : dict of int to Year
        The previous years, by reporting year.
    """

    by_year: dict[int, Year] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: Sequence[str | Path], *, reporting_year: int | None = None,
             credit_code: str | None = None) -> "History":
        """Read and classify previous-year files.

        Parameters
        ----------
        paths : sequence of str or Path
            Results, score and dynamic-table JSON files of previous years (each at most
            :data:`MAX_BYTES` bytes).

        reporting_year : int, optional
            The report's year: every file must be of an earlier year.
        credit_code : str, optional
            The factory's credit code: a file of another factory is refused.

        Raises
        ------
        InputError
            Every unreadable, unrecognised, duplicated or misplaced file at once.
        """
        docs, problems = [], []
        for p in paths:
            path = Path(p)
            try:
                if path.stat().st_size > MAX_BYTES:
                    problems.append(Problem(str(path), "file too large for a previous-year "
                                            "document", found=f"{path.stat().st_size} bytes",
                                            expected=f"at most {MAX_BYTES} bytes"))
                    continue
                data = path.read_bytes()
                doc = json.loads(data.decode("utf-8"))
            except FileNotFoundError:
                problems.append(Problem(str(path), "file not found",
                                        expected="a results, score or dynamic-table JSON"))
                continue
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                problems.append(Problem(str(path), f"not readable JSON: {exc}",
                                        expected="a results, score or dynamic-table JSON"))
                continue
            docs.append((doc, str(path), hashlib.sha256(data).hexdigest()))
        out = cls()
        try:
            out = cls.from_documents(docs, reporting_year=reporting_year,
                                     credit_code=credit_code)
        except InputError as exc:
            problems.extend(exc.problems)
        if problems:
            raise InputError(problems, title=f"{len(problems)} problem(s) in the previous-year "
                             "files (--previous)")
        return out

    @classmethod
    def from_documents(cls, docs: Iterable[tuple[Any, str, str]], *,
                       reporting_year: int | None = None,
                       credit_code: str | None = None) -> "History":
        """Classify already parsed documents ``(doc, label, sha256)``.

        Parameters
        ----------
        docs : iterable of (any, str, str)
            ``(parsed document, label, sha256)``.

        reporting_year, credit_code : optional
            As for :meth:`load`.

        Raises
        ------
        InputError
            Every unrecognised, undated, misplaced (not earlier, another factory) or duplicated
            document at once.
        """
        out = cls()
        problems = []
        for doc, label, sha in docs:
            kind = document_kind(doc)
            if kind is None:
                problems.append(Problem(label, "not a results, score or dynamic-table JSON",
                                        expected="the output of `carbon compute --json`, "
                                        "`carbon score --json` or `carbon report --kind dynamic "
                                        "--format json`"))
                continue
            year = _year_of(doc, kind)
            if isinstance(year, bool) or not isinstance(year, int):
                problems.append(Problem(label, "no reporting year", field="reporting_year",
                                        found=year, expected="an integer year"))
                continue
            if reporting_year is not None and year >= reporting_year:
                problems.append(Problem(label, "a previous-year file is not from an earlier year",
                                        field="reporting_year", found=year,
                                        expected=f"a year before {reporting_year}"))
                continue
            code = doc.get("factory", {}).get("credit_code") if isinstance(
                doc.get("factory"), dict) else None
            if credit_code and code and str(code).upper() != credit_code.upper():
                problems.append(Problem(label, "a previous-year file of another factory",
                                        field="factory.credit_code", found=code,
                                        expected=credit_code))
                continue
            y = out.by_year.setdefault(year, Year(year))
            if getattr(y, kind) is not None:
                problems.append(Problem(label, f"a second {kind} file for {year}",
                                        found=label, expected="one file of each kind per year"))
                continue
            setattr(y, kind, doc)
            y.files.append((kind, label, sha))
        if problems:
            raise InputError(problems)
        return out

    def years(self) -> list[int]:
        """The years present, ascending."""
        return sorted(self.by_year)

    def metric(self, year: int, name: str) -> float | None:
        """A metric of a previous year: from its results, else its dynamic table.

        Parameters
        ----------
        year : int
            A previous reporting year.
        name : str
            A metric name.

        Returns
        -------
        float or None
            None when the year or the metric is not known.
        """
        y = self.by_year.get(year)
        if y is None:
            return None
        if y.results is not None and name in y.results.get("metrics", {}):
            return y.results["metrics"][name]
        if y.dynamic is not None:
            return y.dynamic.get("figures", {}).get(name)
        return None

    def score(self, year: int) -> float | None:
        """The total score of a previous year (score JSON, else dynamic table).

        Parameters
        ----------
        year : int
            A previous reporting year.

        Returns
        -------
        float or None
            The total score [points], None when not known.
        """
        y = self.by_year.get(year)
        if y is None:
            return None
        if y.score is not None:
            return y.score.get("total_score")
        if y.dynamic is not None:
            return y.dynamic.get("figures", {}).get("score.total_score")
        return None

    def previous_metrics(self, year: int) -> dict | None:
        """``{"reporting_year", "metrics"}`` of one year, for year-on-year scoring.

        Parameters
        ----------
        year : int
            A previous reporting year.
        """
        y = self.by_year.get(year)
        if y is None:
            return None
        if y.results is not None:
            return y.results
        if y.dynamic is not None:
            return {"reporting_year": year, "metrics": {
                k: v for k, v in y.dynamic.get("figures", {}).items()
                if not k.startswith("score.")}}
        return None

    def files(self) -> list[tuple[int, str, str, str]]:
        """``(year, kind, path, sha256)`` of every file read."""
        return [(yr, *f) for yr in self.years() for f in self.by_year[yr].files]
