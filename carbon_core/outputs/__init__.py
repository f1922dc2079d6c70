"""Outputs: every way a result leaves the engine, one module per format.

The registry (:mod:`carbon_core.outputs.registry`) maps a format name to a writer::

    from carbon_core.outputs import write, available_outputs
    write("json", results.to_dict(), "results.json")
    write("terminal", results.to_dict())           # the readable summary on standard output
    available_outputs()                             # ['json', 'terminal', ...]

A new format is one new module here that decorates its writer with
:func:`~carbon_core.outputs.registry.register_output` (see ``docs/design.md``).
"""

from .registry import (Output, available_outputs, get_output, open_target, register_output,
                       write)

__all__ = ["Output", "register_output", "get_output", "available_outputs", "write",
           "open_target"]
