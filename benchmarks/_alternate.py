"""Subject and floor timed round by round in one run (so load drifts hit both alike)."""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["alternate"]


def alternate(contenders: dict[str, Callable[[], object]], rounds: int = 5,
              warmup: bool = True) -> dict[str, dict[str, float]]:
    """Run every contender once per round, in turn, for ``rounds`` rounds.

    Returns ``{name: {"min": s, "median": s, "times": [...]}}``.
    """
    if warmup:
        for fn in contenders.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for r in range(rounds):
        names = list(contenders) if r % 2 == 0 else list(contenders)[::-1]
        for name in names:
            t0 = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - t0)
    return {k: {"min": min(v), "median": statistics.median(v), "times": v}
            for k, v in times.items()}
