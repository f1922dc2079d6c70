"""Scale: one factory larger than the memory it is given.

The portfolio's scale benchmark is ``bench_portfolio.py``.

``test_factory_under_memory_limit``: one factory of ``CARBON_BENCH_BIG_METERS`` meters (default
1,000; the issue's 4,000) through ``carbon compute --memory-limit`` at a quarter of its array, against
the same command without a limit: time, peak RSS, identical JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _layouts import write_factory

BIG = int(os.environ.get("CARBON_BENCH_BIG_METERS", "1000"))
CARBON = str(Path(sys.executable).with_name("carbon"))


def _rss_run(cmd):
    """(wall seconds, peak RSS [MB], stdout) of a fresh process, RSS from /usr/bin/time."""
    import tempfile

    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
                              capture_output=True)
        wall = time.perf_counter() - t0
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        return wall, float(rss.read().split()[-1]) / 1024.0, proc.stdout


def test_factory_under_memory_limit(benchmark, tmp_path_factory):
    inv = write_factory(tmp_path_factory.mktemp("big"), BIG, "time-major")
    array_mb = BIG * 35040 * 8 / 2**20
    limit = f"{int(array_mb / 4)}MiB"
    t_mem, rss_mem, out_mem = _rss_run([CARBON, "compute", str(inv), "--json"])
    t_ch, rss_ch, out_ch = _rss_run([CARBON, "compute", str(inv), "--json", "--memory-limit",
                                     limit])
    _, rss_base, _ = _rss_run([CARBON, "compute", str(write_factory(
        tmp_path_factory.mktemp("tiny"), 10, "time-major")), "--json"])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = {"meters": BIG, "array_mb": array_mb, "memory_limit": limit,
            "in_memory_s": t_mem, "chunked_s": t_ch,
            "in_memory_rss_above_baseline_mb": rss_mem - rss_base,
            "chunked_rss_above_baseline_mb": rss_ch - rss_base,
            "identical_json": out_mem == out_ch}
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info))
    assert out_mem == out_ch
