"""The results JSON (``carbon schema results``), written with its Chinese text unescaped."""

from __future__ import annotations

import json as _json
from typing import IO, Any

from .registry import open_target, register_output

__all__ = ["write_json", "dumps"]


def dumps(doc: dict, *, indent: int = 2) -> str:
    """The JSON text of ``doc``: UTF-8 characters as they are (``ensure_ascii=False``).

    Parameters
    ----------
    doc : dict
        A JSON document.
    indent : int
        Spaces per indentation level.
    """
    return _json.dumps(doc, ensure_ascii=False, indent=indent)


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
