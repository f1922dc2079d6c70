"""Meter-data backends: monthly totals per meter and electricity series by role.

- in memory (numpy): :func:`carbon_core.io.meters.read_meter_data`, the whole (meters x
  intervals) array;
- chunked (streaming numpy): :func:`carbon_core.backends.chunked.read_chunked`, month by month,
  peak memory bounded by the chunk, for a file larger than memory.

Both give the same numbers to the last digit: monthly totals and role series are sums, and both
backends sum the same values in the same order.
"""

from __future__ import annotations

__all__: list[str] = []
