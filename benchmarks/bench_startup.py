"""Start-up of the ``carbon`` command against ``python -c pass``, and of a compute of the example.

Two benchmarks, each alternating its contenders round by round in one run (fresh processes):

- ``test_startup``: ``python -c pass`` (the floor), ``python -c "import carbon_core"``,
  ``carbon --help`` and ``carbon compute examples/hefei-appliance/inventory.toml --json``;
  ratios of each to the floor (issue target: ``carbon --help`` within 5x).
- ``test_compute_example_start_vs_compute``: how much of a ``carbon compute`` of the example is
  start-up. A fresh process runs the command's own entry point twice, in process, and reports
  the wall time of each run; the *start-up* is the whole fresh ``carbon compute`` process (timed
  from outside, alternated with the probe) less the second, warm run, i.e. everything a second
  compute no longer pays: the interpreter, every import (at module level or inside the
  functions the compute calls), the unit registry, the factor library parsed once per process.
  Moving an import from module level into a function therefore changes nothing here; only not
  importing it does. Issue target: start-up below the compute (ratio < 1).

The package's bytecode is compiled first (``benchmarks/conftest.py``). Whether dask is
importable is recorded (``dask_installed``): with it (``carbon_core[portfolio]``, which the test
extra pulls in) pint imports ``dask.base`` at its own import, ~0.1-0.3 s; the base install
(``pip install -e .``, the README's command) has no dask.

``CARBON_BENCH_ROUNDS`` sets the rounds (default 5). The figures, command and date are in
``benchmarks/README.md``.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


EXAMPLE = Path(__file__).parents[1] / "examples" / "hefei-appliance" / "inventory.toml"
CARBON = str(Path(sys.executable).with_name("carbon"))
ROUNDS = int(os.environ.get("CARBON_BENCH_ROUNDS", "5"))

#: the command's entry point run twice in one process: wall time of each run [s]
PROBE = """
import contextlib, io, sys, time
from carbon_core.cli import main
runs = []
for _ in range(2):
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["compute", sys.argv[1], "--json"])
        except SystemExit as exc:
            assert not exc.code, exc.code
    runs.append(time.perf_counter() - t0)
print(*runs)
"""


def _installed() -> dict[str, bool]:
    return {"dask_installed": importlib.util.find_spec("dask") is not None}


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _alternate(cmds: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    for cmd in cmds.values():  # page cache and the unit registry's cache warm
        _wall(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for r in range(rounds):
        for k in (list(cmds) if r % 2 == 0 else list(cmds)[::-1]):
            times[k].append(_wall(cmds[k]))
    return times


def test_startup(benchmark):
    """``carbon --help``, ``import carbon_core``, a compute of the example vs ``python -c pass``."""
    cmds = {"pass": [sys.executable, "-c", "pass"],
            "import": [sys.executable, "-c", "import carbon_core"],
            "help": [CARBON, "--help"],
            "compute": [CARBON, "compute", str(EXAMPLE), "--json"]}
    times = _alternate(cmds, ROUNDS)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info: dict[str, float] = dict(_installed())
    for k, v in times.items():
        info[f"{k}_min_s"], info[f"{k}_median_s"] = min(v), statistics.median(v)
    for k in ("import", "help", "compute"):
        info[f"{k}_over_pass_min"] = info[f"{k}_min_s"] / info["pass_min_s"]
        info[f"{k}_over_pass_median"] = info[f"{k}_median_s"] / info["pass_median_s"]
    benchmark.extra_info.update(info)
    print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in info.items()))


def test_compute_example_start_vs_compute(benchmark):
    """Start-up of ``carbon compute`` of the example (fresh process less a warm run) vs compute."""
    fresh: list[float] = []
    first: list[float] = []
    warm: list[float] = []
    cmd = [CARBON, "compute", str(EXAMPLE), "--json"]
    probe = [sys.executable, "-c", PROBE, str(EXAMPLE)]
    _wall(cmd)
    for r in range(ROUNDS):
        for which in (("cmd", "probe") if r % 2 == 0 else ("probe", "cmd")):
            if which == "cmd":
                fresh.append(_wall(cmd))
            else:
                out = subprocess.run(probe, check=True, capture_output=True, text=True)
                a, b = (float(x) for x in out.stdout.split())
                first.append(a)
                warm.append(b)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    med = statistics.median
    start_min, start_med = min(fresh) - min(warm), med(fresh) - med(warm)
    info = {"process_min_s": min(fresh), "process_median_s": med(fresh),
            "first_run_min_s": min(first), "first_run_median_s": med(first),
            "compute_min_s": min(warm), "compute_median_s": med(warm),
            "start_min_s": start_min, "start_median_s": start_med,
            "start_over_compute_min": start_min / min(warm),
            "start_over_compute_median": start_med / med(warm), **_installed()}
    benchmark.extra_info.update(info)
    print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in info.items()))
