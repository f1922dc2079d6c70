"""Checks shared by the Scope 3 readers (lines, money tables, biogenic records).

A module of its own so that :mod:`carbon_core.scope3.lines` and
:mod:`carbon_core.scope3.money`, which both refuse unknown keys, do not import each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import Problem
from ..schema import suggest

__all__ = ["unknown_keys"]


def unknown_keys(row: Mapping, known: Iterable[str], file: str, where: str,
                 problems: list[Problem]) -> None:
    """Refuse every key of ``row`` not in ``known``, suggesting the nearest known key.

    Nothing is dropped silently: each unknown key becomes one problem, and the caller raises
    them all together.

    Parameters
    ----------
    row : mapping
        One table of the inventory's ``[scope3]`` part (a line, a settings table, a record).
    known : iterable of str
        The keys that table declares.
    file : str
        The inventory file, for the problem.
    where : str
        The row label (``"scope3.lines[2]"``, ``"biogenic"`` ...), for the problem.
    problems : list of Problem
        Appended to, one :class:`~carbon_core.errors.Problem` per unknown key, with the closest
        known key (:func:`carbon_core.schema.suggest`) and the full list as ``expected``.
    """
    known = sorted(known)
    for k in row:
        if k not in known:
            near = suggest(str(k), known)
            problems.append(Problem(file=file, row=where, field=str(k), message="unknown key",
                                    expected=(f"did you mean {near!r}? " if near else "")
                                    + f"one of {known}"))
