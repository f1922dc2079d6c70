"""The output registry: format name -> writer, so a new format is one new module.

A writer is a function ``writer(doc, target, **options)`` registered with :func:`register_output`
in a module of :mod:`carbon_core.outputs`; every module of that package is imported on the first
lookup, so adding ``carbon_core/outputs/<format>.py`` is the whole change. A lookup by name first
imports the module of that name, when there is one (``json`` in ``outputs/json.py``), and the
whole package only if the format is not there, so writing JSON loads no terminal or document
module. A module keeps its heavy
imports (a template engine, a PDF library) inside its writer, so listing the formats stays cheap.

``doc`` is the document of the output's *kind*: for ``kind="results"`` (the default) the results
JSON dict (:meth:`carbon_core.results.Results.to_dict`), for ``kind="score"`` an
:class:`~carbon_core.scoring.Evaluation`. ``target`` is a path, an open stream (text, or binary
for binary formats) or None for standard output; :func:`open_target` turns any of them into a
stream.

Examples
--------
>>> import io
>>> @register_output("demo_lines", kind="demo", description="one line per key")
... def _demo(doc, target, **options):
...     with open_target(target) as out:
...         for k in sorted(doc):
...             out.write(f"{k} = {doc[k]}\\n")
>>> buf = io.StringIO()
>>> write("demo_lines", {"b": 2, "a": 1}, buf, kind="demo")
>>> buf.getvalue()
'a = 1\\nb = 2\\n'
>>> available_outputs("demo")
['demo_lines']
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator

__all__ = ["Output", "register_output", "get_output", "available_outputs", "write",
           "open_target"]

Writer = Callable[..., None]


@dataclass(frozen=True)
class Output:
    """One registered output format.

    Attributes
    ----------
    name : str
        Format name (``"json"``, ``"terminal"``, ``"html"`` ...), as given to ``--format``.
    kind : str
        What it writes: ``"results"`` (a results JSON dict) or ``"score"`` (an evaluation).
    writer : callable
        ``writer(doc, target, **options)``.
    suffix : str
        File suffix of the format (``".json"``), empty for the terminal.
    binary : bool
        Whether the format writes bytes (PDF, XLSX).
    description : str
        One line for ``--help``.
    module : str
        The module that registered it (named in the error of a duplicate).
    """

    name: str
    kind: str
    writer: Writer
    suffix: str = ""
    binary: bool = False
    description: str = ""
    module: str = ""


_REGISTRY: dict[tuple[str, str], Output] = {}
_DISCOVERED = False


def register_output(name: str, *, kind: str = "results", suffix: str = "", binary: bool = False,
                    description: str = "") -> Callable[[Writer], Writer]:
    """Decorator registering ``writer`` as the output ``name`` of ``kind``.

    Parameters
    ----------
    name : str
        Format name, unique per kind.
    kind : str
        ``"results"`` (default) or ``"score"``.
    suffix, binary, description
        See :class:`Output`.

    Raises
    ------
    ValueError
        The name is already registered for this kind by another module.
    """
    def deco(writer: Writer) -> Writer:
        key = (kind, name)
        module = getattr(writer, "__module__", "?")
        old = _REGISTRY.get(key)
        if old is not None and old.module != module:
            raise ValueError(f"output {name!r} ({kind}) is registered twice: by {old.module} and "
                             f"{module}")
        _REGISTRY[key] = Output(name, kind, writer, suffix, binary, description, module)
        return writer

    return deco


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    package = importlib.import_module(__name__.rpartition(".")[0])
    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "registry" and not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def _import_named(name: str) -> None:
    """Import the module of :mod:`carbon_core.outputs` named ``name``, if there is one."""
    if _DISCOVERED or not name.isidentifier() or name == "registry" or name.startswith("_"):
        return
    package = __name__.rpartition(".")[0]
    if importlib.util.find_spec(f"{package}.{name}") is not None:
        importlib.import_module(f"{package}.{name}")


def get_output(name: str, kind: str = "results") -> Output:
    """The output ``name`` of ``kind``; KeyError listing the available ones otherwise.

    Parameters
    ----------
    name : str
        The format's name (``json``, ``terminal`` ...).
    kind : str
        What is written: ``results`` or ``score``.

    Returns
    -------
    Output
    """
    if (kind, name) not in _REGISTRY:
        _import_named(name)
    if (kind, name) not in _REGISTRY:
        _discover()
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        raise KeyError(f"no output format {name!r} for {kind}; available: "
                       f"{available_outputs(kind)}") from None


def available_outputs(kind: str = "results") -> list[str]:
    """Names of the registered formats of ``kind``, sorted.

    Parameters
    ----------
    kind : str
        ``results`` or ``score``.
    """
    _discover()
    return sorted(n for k, n in _REGISTRY if k == kind)


def write(name: str, doc: Any, target: str | Path | IO | None = None, *, kind: str = "results",
          **options: Any) -> None:
    """Write ``doc`` in format ``name`` to ``target`` (path, stream, or None: standard output).

    Parameters
    ----------
    name : str
        A name of :func:`available_outputs`.
    doc : dict or object
        The document of ``kind`` (see the module docstring).
    target : path, stream or None
    kind : str
    **options
        Passed to the writer (e.g. ``indent`` for JSON).
    """
    get_output(name, kind).writer(doc, target, **options)


@contextlib.contextmanager
def open_target(target: str | Path | IO | None, *, binary: bool = False) -> Iterator[IO]:
    """A writable stream for ``target``: the stream itself, a file opened (and closed) for a path,
    or standard output for None. Text files are UTF-8.

    Parameters
    ----------
    target : str or Path or stream or None
        A path (opened for writing and closed after), a writable stream, or None.
    binary : bool
        Bytes rather than text (standard output's binary buffer for None).

    Yields
    ------
    stream
        The writable stream.

    Raises
    ------
    TypeError
        ``target`` is none of these.
    """
    if target is None:
        yield sys.stdout.buffer if binary else sys.stdout
    elif isinstance(target, (str, Path)):
        with open(target, "wb") if binary else open(target, "w", encoding="utf-8") as fh:
            yield fh
    elif isinstance(target, io.IOBase) or hasattr(target, "write"):
        yield target
    else:
        raise TypeError(f"cannot write to {type(target).__name__}; give a path, a stream or None")
