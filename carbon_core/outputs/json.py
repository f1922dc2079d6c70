"""The results JSON (``carbon schema results``), written with its Chinese text unescaped.

The text is made by orjson, which writes the same document as ``json.dumps(doc,
ensure_ascii=False, indent=2)`` about twenty times faster (the standard library's encoder
falls back to pure Python whenever it indents): 0.8 s instead of 12-17 s for the 340 MB
document of 100,000 Scope 3 lines (``benchmarks/README.md``, *Scope 3*). Every number is
written with the shortest digits that read back as the same float, as ``json`` writes it; only
the form of small and large magnitudes differs (``1.5e-05`` in ``json``, ``0.000015`` here).
"""

from __future__ import annotations

import json as _json
import math
from typing import IO, Any

import orjson

from .registry import open_target, register_output

__all__ = ["write_json", "dumps", "dumps_bytes", "first_non_finite"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps_bytes(doc: Any, *, indent: int | None = 2) -> bytes:
    """The UTF-8 JSON text of ``doc`` (no final newline).

    Parameters
    ----------
    doc : dict
        A JSON-ready document (str keys or int keys, numbers finite: a non-finite float is
        written as ``null``, see :func:`first_non_finite`).
    indent : int or None
        2 (the default) or None (one line, no spaces); another width goes through ``json``.

    Raises
    ------
    TypeError
        A value JSON cannot hold (orjson's ``JSONEncodeError`` is a ``TypeError``).
    """
    if indent == 2:
        return orjson.dumps(doc, option=_OPTIONS | orjson.OPT_INDENT_2)
    if indent is None:
        return orjson.dumps(doc, option=_OPTIONS)
    return _json.dumps(doc, ensure_ascii=False, indent=indent).encode("utf-8")


def dumps(doc: Any, *, indent: int | None = 2) -> str:
    """The JSON text of ``doc``: UTF-8 characters as they are (:func:`dumps_bytes` as str).

    Parameters
    ----------
    doc : dict
        A JSON document.
    indent : int or None
        Spaces per indentation level (2 by default; None for one line).
    """
    return dumps_bytes(doc, indent=indent).decode("utf-8")


def first_non_finite(obj: Any, path: str = "") -> str | None:
    """Where the first non-finite float of ``obj`` is (``"a.b[2]"``), or None if there is none.

    For parts of a document that did not come from :meth:`Results.to_dict
    <carbon_core.results.Results.to_dict>` (which writes non-finite numbers as null).

    Parameters
    ----------
    obj : object
        A JSON document or a part of one (dicts, lists, tuples, numbers, strings).
    path : str
        Where ``obj`` is in the whole document (empty for the document itself).

    Returns
    -------
    str or None
        The path of the first NaN or infinity, in document order.
    """
    if isinstance(obj, float):
        return None if math.isfinite(obj) else (path or "(the document)")
    if isinstance(obj, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for where, v in items:
        found = first_non_finite(v, where)
        if found is not None:
            return found
    return None


@register_output("json", suffix=".json", description="the results JSON document")
def write_json(doc: dict, target: Any = None, *, indent: int = 2, **_: Any) -> None:
    """Write the results JSON ``doc`` to ``target`` (path, text stream or None for stdout),
    with a final newline.

    Parameters
    ----------
    doc : dict
        The results JSON document.
    target : str or Path or stream, optional
        Where to write (None: standard output).
    indent : int
        Spaces per indentation level.
    """
    out: IO
    with open_target(target) as out:
        out.write(dumps(doc, indent=indent) + "\n")
