"""Outputs: every way a result leaves the engine, one module per format.

The registry (:mod:`carbon_core.outputs.registry`) maps a format name to a writer::

    from carbon_core.outputs import write, available_outputs
    write("json", results.to_dict(), "results.json")
    write("terminal", results.to_dict())           # the readable summary on standard output
    available_outputs()                             # ['json', 'terminal', ...]

A new format is one new module here that decorates its writer with
:func:`~carbon_core.outputs.registry.register_output` (see ``docs/design.md``).

Document writers (the report, the dynamic management table, the district summary) are looked up
by format name in :data:`DOCUMENT_WRITERS`; each is a plain function ``write(doc, path) -> Path``
in its own module, imported only when asked for, and registered as kind ``document`` too.

>>> sorted(DOCUMENT_WRITERS)
['html', 'json', 'pdf', 'xlsx']
>>> document_writer("html").__name__
'write_html'
>>> "pdf" in available_outputs("document")
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable

from .registry import (Output, available_outputs, get_output, open_target, register_output,
                       write)

__all__ = ["Output", "register_output", "get_output", "available_outputs", "write",
           "open_target", "DOCUMENT_WRITERS", "document_writer"]

#: format -> (module, function) of the document writer.
DOCUMENT_WRITERS: dict[str, tuple[str, str]] = {
    "html": ("carbon_core.outputs.html", "write_html"),
    "pdf": ("carbon_core.outputs.pdf", "write_pdf"),
    "xlsx": ("carbon_core.outputs.xlsx", "write_xlsx"),
    "json": ("carbon_core.outputs.dynamic", "write_json"),
}


def document_writer(fmt: str) -> Callable:
    """The writer of format ``fmt`` (KeyError listing the formats otherwise).

    Parameters
    ----------
    fmt : str
        A document format (``html``, ``pdf``, ``xlsx``, ``json``).

    Returns
    -------
    callable
        ``writer(doc, path) -> Path``, its module imported on this first use.
    """
    try:
        module, name = DOCUMENT_WRITERS[fmt]
    except KeyError:
        raise KeyError(f"no document format {fmt!r}; formats: {sorted(DOCUMENT_WRITERS)}") \
            from None
    return getattr(import_module(module), name)


def _register_documents() -> None:
    for fmt in DOCUMENT_WRITERS:
        def writer(doc: Any, target: Any = None, _fmt: str = fmt, **options: Any) -> None:
            """A document writer, imported on first use (``document_writer(fmt)``)."""
            document_writer(_fmt)(doc, target, **options)

        register_output(fmt, kind="document", binary=fmt in ("pdf", "xlsx"),
                        suffix=f".{fmt}", description=f"{fmt} document")(writer)


_register_documents()
