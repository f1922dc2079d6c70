"""The cyclic garbage collector paused while a large acyclic structure is built.

Building 100,000 Scope 3 lines, or the results document that holds them (~10 M values), creates
millions of dicts, lists and records that stay alive. CPython's collector runs whenever
allocations outnumber deallocations by its threshold, and its older-generation passes traverse
every live container, so most of such a build was spent in collections that found nothing
(``benchmarks/README.md``, *Scope 3*). These structures hold no reference cycles, so nothing is
missed by not looking: reference counting frees them as before, and any cycle made meanwhile is
collected at the next collection after the pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it after if it was enabled.

    Nested and concurrent uses are safe: only the use that disabled the collector enables it
    again, so the collector is never left off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
