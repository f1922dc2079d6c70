"""Output formats of carbon_core.

Document writers (the report, the dynamic management table, the district summary) are looked up
by format name in one registry; each is a plain function ``write(doc, path) -> Path`` in its own
module (one new file per format), imported only when asked for.

>>> sorted(DOCUMENT_WRITERS)
['html', 'json', 'pdf', 'xlsx']
>>> document_writer("html").__name__
'write_html'
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable

__all__ = ["DOCUMENT_WRITERS", "document_writer"]

#: format -> (module, function) of the document writer.
DOCUMENT_WRITERS: dict[str, tuple[str, str]] = {
    "html": ("carbon_core.outputs.html", "write_html"),
    "pdf": ("carbon_core.outputs.pdf", "write_pdf"),
    "xlsx": ("carbon_core.outputs.xlsx", "write_xlsx"),
    "json": ("carbon_core.outputs.dynamic", "write_json"),
}


def document_writer(fmt: str) -> Callable:
    """The writer of format ``fmt`` (KeyError listing the formats otherwise)."""
    try:
        module, name = DOCUMENT_WRITERS[fmt]
    except KeyError:
        raise KeyError(f"no document format {fmt!r}; formats: {sorted(DOCUMENT_WRITERS)}") \
            from None
    return getattr(import_module(module), name)
