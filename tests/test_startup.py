"""Start-up stays cheap: importing the package or asking for --help loads no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from factories import EXAMPLE, compute_example_in_a_process

HEAVY = ("xarray", "pandas", "rich", "pint", "pyarrow", "dask", "jsonschema")


def _loaded(code: str) -> list[str]:
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_carbon_core_loads_no_heavy_library():
    assert _loaded("import carbon_core") == []


def test_cli_help_loads_no_heavy_library():
    code = ("from carbon_core.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert _loaded(code) == []


def test_lazy_names_resolve():
    code = "import carbon_core\nassert carbon_core.compute and carbon_core.Inventory"
    # loaded when used, not before: the engine reads meter files with pyarrow; xarray and pandas
    # wait for the first Dataset, pint for the first unit
    assert _loaded(code) == ["pyarrow"]
    import carbon_core

    assert set(carbon_core.__all__) <= set(dir(carbon_core))
    with pytest.raises(AttributeError):
        carbon_core.no_such_name  # noqa: B018


def test_lazy_command_help_matches_the_commands():
    from carbon_core.cli import main

    for name, (target, short) in main.lazy.items():
        module, attr = target.split(":")
        cmd = getattr(__import__(module, fromlist=[attr]), attr)
        assert cmd.name == name
        assert short == cmd.get_short_help_str(limit=len(short)), name
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0 and all(n in r.output for n in main.lazy)


def test_unit_registry_built_once_across_threads():
    code = """
from concurrent.futures import ThreadPoolExecutor
import carbon_core.units as u
with ThreadPoolExecutor(8) as pool:
    regs = list(pool.map(lambda _: u.registry(), range(16)))
assert all(r is regs[0] for r in regs) and u.ureg is regs[0]
assert u.conversion_factor("万kWh", "MWh") == 10.0
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_unit_registry_without_a_writable_cache(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code = "import carbon_core.units as u; print(u._cache_folder(), u.conversion_factor('tce', 'GJ'))"
    env = {"CARBON_CORE_CACHE": str(ro / "sub"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    folder, value = out.stdout.split()
    import os

    if os.geteuid() != 0:  # root writes anywhere: only the value is checked then
        assert folder == "None"
    assert float(value) == pytest.approx(29.3076)
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"CARBON_CORE_CACHE": "off", "PATH": "/usr/bin:/bin"})
    assert off.stdout.split()[0] == "None"


#: What ``carbon compute --json`` of the example must not load: it neither scores, validates
#: its own result (``--validate`` does), propagates uncertainty nor touches the register, and
#: builds no xarray object (``Results.dataset`` is made when it is read), reads its meter file
#: without pandas (pyarrow's ``to_numpy`` imports it: ``io.meters.as_numpy``) and writes JSON
#: without loading the terminal or document writers (``outputs.registry``: the format's own
#: module first).
OFF_THE_COMPUTE_PATH = ("xarray", "pandas", "rich", "carbon_core.outputs.terminal",
                        "carbon_core.outputs.document", "jsonschema", "sqlalchemy", "cryptography", "openpyxl",
                        "carbon_core.scoring", "carbon_core.uncertainty", "carbon_core.register",
                        "carbon_core.verify", "carbon_core.portfolio", "carbon_core.web")


def _compute_loads(*options: str) -> list[str]:
    out = compute_example_in_a_process(
        "import sys, json\n"
        f"print(json.dumps([m for m in {list(OFF_THE_COMPUTE_PATH)!r} if m in sys.modules]))",
        *options)
    return json.loads(out.strip().splitlines()[-1])


def test_compute_path_loads_only_what_it_computes_with():
    assert _compute_loads() == []
    assert "jsonschema" in _compute_loads("--validate")  # the probe sees what is loaded


def test_console_script_exits_with_complete_output_and_its_codes(tmp_path):
    """The ``carbon`` script (``cli.console_main``: main, then gc.freeze before the exit)
    writes the whole JSON when piped, and keeps the exit-code convention (0, 2 for bad input).
    """
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "carbon"]
    assert script.value == "carbon_core.cli:console_main"
    ok = subprocess.run([sys.executable, "-m", "carbon_core.cli", "compute", str(EXAMPLE),
                         "--json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["reporting_year"] == 2024 and doc["line_items"]
    bad = tmp_path / "inventory.toml"
    bad.write_text("this is not toml = = =\n", encoding="utf-8")
    err = subprocess.run([sys.executable, "-m", "carbon_core.cli", "compute", str(bad)],
                         capture_output=True, text=True)
    assert err.returncode == 2 and err.stderr.startswith("error:")
    assert "Traceback" not in err.stderr


@pytest.mark.parametrize("chosen", [None, "system"])
def test_compute_reads_with_jemalloc_unless_a_pool_was_chosen(chosen):
    """``carbon compute`` sets pyarrow's jemalloc pool (peak memory of threaded reads,
    ``cli._arrow_memory_pool``), for pyarrow's own allocations and Arrow's C++ readers alike
    (nothing is allocated from mimalloc, Arrow's default, when Parquet is decoded), and leaves
    the environment as it found it; a pool chosen in ``ARROW_DEFAULT_MEMORY_POOL`` is kept."""
    import os

    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - the Linux wheels CI installs have it
        pytest.skip("this pyarrow has no jemalloc")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    out = compute_example_in_a_process(
        "import os, pyarrow as pa, pyarrow.parquet as pq\n"
        "sink = pa.BufferOutputStream()\n"
        "pq.write_table(pa.table({'v': list(range(100_000))}), sink)\n"
        "pq.read_table(pa.BufferReader(sink.getvalue()))\n"
        "print(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'), pa.mimalloc_memory_pool().max_memory(),"
        " pa.default_memory_pool().backend_name)", env=env)
    variable, mimalloc_used, backend = out.split()[-3:]
    assert backend == (chosen or "jemalloc")
    assert variable == str(chosen)  # None when it was not set: not left behind
    assert mimalloc_used == "0"
