"""The ``carbon`` command: a thin layer over the Python API.

Everything it does, a program can do with :func:`carbon_core.compute` and friends; this module only
parses arguments and prints. Other layers contribute their commands (``score``, ``rank``,
``ledger``, ``plugins``) from their own modules.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from ..errors import CarbonCoreError, InputError, Problem
from ._errors import SafeGroup

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["main", "console_main"]


class _LazyConsole:
    """A rich Console created on first use: ``carbon --help`` never imports rich."""

    def __init__(self, **kwargs) -> None:
        self._kwargs = kwargs
        self._console = None

    def __getattr__(self, name):
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return getattr(self._console, name)


def Table(*args, **kwargs):  # noqa: N802 - stands in for rich.table.Table, imported on use
    """A :class:`rich.table.Table`, rich being imported only on first use.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`rich.table.Table`.

    Returns
    -------
    rich.table.Table
    """
    from rich.table import Table as _Table

    return _Table(*args, **kwargs)


#: Standard output and standard error consoles (rich), created on first use.
console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked (or asked for their help).

    ``add_lazy(name, "module:attribute", short_help)`` registers a command without importing its
    module; ``carbon --help`` lists it with ``short_help`` (a test keeps the texts in step with
    the commands' own). Commands added with ``add_command`` work as usual.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = {}

    def add_lazy(self, name: str, target: str, short_help: str) -> None:
        """Register a command whose module is imported only when the command is used.

        Parameters
        ----------
        name : str
            The subcommand's name.
        target : str
            ``"module:attribute"`` of the click command.
        short_help : str
            The text ``carbon --help`` lists for it (a test keeps it equal to the command's own).
        """
        self.lazy[name] = (target, short_help)

    def list_commands(self, ctx) -> list[str]:
        """Names of every subcommand, added and lazy, sorted.

        Parameters
        ----------
        ctx : click.Context
            The invocation context.

        Returns
        -------
        list of str
        """
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        """The subcommand ``name``, importing a lazy one on first use (and adding it to the group).

        Parameters
        ----------
        ctx : click.Context
            The invocation context.
        name : str
            The subcommand's name.

        Returns
        -------
        click.Command or None
            None when no command has that name.
        """
        cmd = super().get_command(ctx, name)
        if cmd is None and name in self.lazy:
            from importlib import import_module

            module, attr = self.lazy[name][0].split(":")
            cmd = getattr(import_module(module), attr)
            self.add_command(cmd, name)
        return cmd

    def format_commands(self, ctx, formatter) -> None:
        """Write the help's ``Commands`` section; lazy commands show their registered short help
        without being imported.

        Parameters
        ----------
        ctx : click.Context
            The invocation context.
        formatter : click.HelpFormatter
            The help being written.
        """
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                text = cmd.get_short_help_str(formatter.width - 6 - len(name))
            else:
                text = self.lazy[name][1]
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _fail(exc: Exception) -> None:
    err_console.print("[bold red]error:[/] ", end="")
    err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


@contextmanager
def _errors_to_exit():
    try:
        yield
    except CarbonCoreError as exc:
        _fail(exc)


class CarbonGroup(SafeGroup, LazyGroup):
    """The ``carbon`` group: commands imported only when they run (:class:`LazyGroup`), and every
    failure printed by the one error layer (:class:`~carbon_core.cli._errors.SafeGroup`)."""


@click.group(cls=CarbonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbon_core")
def main() -> None:
    """carbon_core: factory carbon accounting (零碳示范工厂 carbon balance engine)."""


def console_main() -> None:
    """The ``carbon`` console script: :func:`main`, then the exit.

    Before the interpreter exits, every object is moved to the garbage collector's permanent
    generation (:func:`gc.freeze`): the collections of the interpreter's own shutdown then skip
    the unit registry, the factor library and the modules, which took 0.1-0.2 s of every command
    (one to two warm computes of the example; ``benchmarks/README.md``, *Start-up*). Objects are
    still freed by reference counting, and ``atexit`` handlers still run; the command's files
    are closed by then. Only the process's last moments change, so ``main`` called in a
    program (or by click's test runner) is untouched.
    """
    import gc

    try:
        main()
    finally:
        gc.freeze()


# -- compute ----------------------------------------------------------------------------------

def _arrow_memory_pool() -> None:
    """pyarrow's jemalloc pool for the command's buffers, where this pyarrow has one.

    The meter files are read by several threads at once (``io.meters.SCATTER_THREADS``); with
    pyarrow's default pool (mimalloc) more of the threads' freed buffers stay resident. Arrow
    reads ``ARROW_DEFAULT_MEMORY_POOL`` once, when pyarrow is imported, and its C++ readers
    (Parquet decoding) allocate from that pool whatever pyarrow passes them; so when pyarrow is
    not imported yet, the variable is set for the import (then removed again), and
    :func:`pyarrow.set_memory_pool` chooses jemalloc for what pyarrow allocates itself. On 1,000
    meters (meter-major Parquet, two reading threads) the peak above the meter array was
    0.05-0.1x the array lower than with the second step alone (``benchmarks/README.md``).

    A pool the user chose (``ARROW_DEFAULT_MEMORY_POOL``) is kept. The variable is set on Linux
    only, where pyarrow's wheels have jemalloc (elsewhere Arrow would print a warning for a pool
    it lacks), and a build without jemalloc keeps its default. Only the ``carbon`` command sets
    it: a program calling :func:`carbon_core.compute` keeps its own choice.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    if "pyarrow" not in sys.modules and sys.platform.startswith("linux"):
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"
        try:
            import pyarrow  # noqa: F401  (reads the variable)
        finally:
            del os.environ["ARROW_DEFAULT_MEMORY_POOL"]
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowNotImplementedError):  # pragma: no cover - no jemalloc
        pass


@contextmanager
def _progress(enabled: bool):
    if not enabled:
        yield None
        return
    from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn)

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TaskProgressColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True) as bar:
        stage = bar.add_task("loading", total=None)  # a pulsing bar for the current stage
        sized: list = []  # a second bar while a file is read row group by row group

        def update(text: str, done: int | None = None, total: int | None = None) -> None:
            if total is None:
                bar.update(stage, description=text)
                while sized:
                    bar.remove_task(sized.pop())
                return
            if not sized:
                sized.append(bar.add_task(text, total=total))
            bar.update(sized[0], description=text, completed=done, total=total)

        yield update


def _formats() -> list[str]:
    from ..outputs import available_outputs

    return available_outputs("results")


@main.command()
@click.argument("inventory", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", default=None, metavar="FORMAT",
              help="Output format: json, terminal, or any other registered in "
                   "carbon_core.outputs (default: terminal; with -o, the file is written in "
                   "this format).")
@click.option("--json", "as_json", is_flag=True, help="Print the results JSON to stdout "
              "(same as --format json).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results to this file (JSON unless --format says otherwise).")
@click.option("--no-plugins", is_flag=True, help="Do not load sector plugins.")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path), default=None,
              envvar="CARBON_LEDGER", show_envvar=True,
              help="SQLite claims ledger in which to record and check certificate claims "
                   "(default: $CARBON_LEDGER). Claims are recorded last, only by a run that "
                   "succeeded.")
@click.option("--allow-outside-paths", is_flag=True,
              help="Accept data files outside the inventory's folder (absolute paths, '..'); "
                   "refused by default.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Use factor editions published by this day only (default: today, recorded).")
@click.option("--uncertainty", "draws", type=click.IntRange(min=100), default=None, metavar="N",
              help="Monte Carlo uncertainty with N draws (and IPCC approach 1 beside it).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of --uncertainty (the same seed gives the same digits).")
@click.option("--validate", is_flag=True,
              help="Also validate the results JSON against its schema (carbon schema results).")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="Memory the meter data may use (e.g. 2GiB): larger files are read month "
                   "by month (same numbers).")
def compute(inventory: Path, fmt: str | None, as_json: bool, output: Path | None,
            no_plugins: bool, ledger: Path | None, as_of: str | None = None,
            draws: int | None = None, seed: int = 0, validate: bool = False,
            memory_limit: str | None = None, allow_outside_paths: bool = False) -> None:
    """Compute Scope 1, 2 (and 3), energy and the balance of INVENTORY (a TOML file)."""
    _arrow_memory_pool()
    from ..engine import compute as run
    from ..outputs import write
    from ..outputs.json import dumps, first_non_finite
    from .ledger import finish_run

    if as_json and fmt not in (None, "json"):
        _fail(click.UsageError(f"--json and --format {fmt} contradict each other"))
    if fmt is not None and fmt not in _formats():
        _fail(click.UsageError(f"unknown --format {fmt!r}; available: {_formats()}"))
    shown = "json" if as_json else (fmt or "terminal")
    if output is not None and not output.parent.is_dir():  # before any work: nothing claimed
        raise InputError([Problem(str(output), f"the folder {output.parent} does not exist",
                                  field="-o", expected="an existing folder")])
    with _errors_to_exit():
        with _progress(shown != "json" and err_console.is_terminal) as progress:
            data, inv = None, None
            if memory_limit:
                from ..backends.chunked import parse_bytes, read_within
                from ..io.inventory import load_inventory
                from ..io.paths import confine_data_files

                inv = load_inventory(inventory)
                confine_data_files(inv, allow_outside=allow_outside_paths)  # before any read
                data = read_within(inv, parse_bytes(memory_limit), progress=progress)
            res = run(inv or inventory, plugins=not no_plugins, ledger=ledger, progress=progress,
                      as_of=as_of, meter_data=data, commit_claims=False,
                      allow_outside=allow_outside_paths)
        doc = res.to_dict()
        if draws:  # issue 12: a post-step of its own module, only when asked for
            from ..uncertainty import propagate

            doc["uncertainty"] = propagate(res, draws=draws, seed=seed)
        if validate:  # results are valid by construction (the test suite checks them)
            from ..results import validate_results

            validate_results(doc)
        # to_dict writes non-finite numbers as null; a section added after it is checked
        bad = first_non_finite({k: doc[k] for k in ("uncertainty",) if k in doc})
        if bad is not None:
            raise InputError(f"the results hold a non-finite number (at {bad}); nothing was "
                             "written or claimed")
        text = dumps(doc)
        pending = getattr(res, "pending_claims", None)
        if output and fmt is not None and fmt != "json":  # another format: a temporary file too
            out_fmt = fmt
            finish_run(lambda tmp: write(out_fmt, doc, tmp), output, pending)
        else:  # the JSON to a temporary file, the claims, then the rename (cli.ledger.finish_run)
            finish_run(lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"), output,
                       pending)
    if output and fmt is not None and not as_json:
        console.print(f"results written to {output} ({fmt})")
        return
    if shown == "json":  # the text made above: 1,000 line items are not serialised twice
        sys.stdout.write(text + "\n")
    else:
        write(shown, doc, None)
    if output and shown != "json":
        console.print(f"results written to {output}")


# -- factors ----------------------------------------------------------------------------------

@main.group()
def factors() -> None:
    """Browse the factor library (every value with its source)."""


@factors.command("list")
@click.option("--prefix", default="", help="Only keys starting with this, e.g. electricity.")
@click.option("--region", default=None, help="Only this region, e.g. CN-AH.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              help="Output format (text is a table on a terminal, tab-separated when piped).")
def factors_list(prefix: str, region: str | None, fmt: str = "text") -> None:
    """List every factor with its value, unit, region, year, confidence and source."""
    from ..outputs.terminal import FACTOR_COLUMNS, factor_rows, print_rows

    with _errors_to_exit():
        lib = _library()
    print_rows(factor_rows(lib, prefix=prefix, region=region, text=fmt == "text"),
               FACTOR_COLUMNS, fmt, title="factors")


@factors.command("show")
@click.argument("key")
def factors_show(key: str) -> None:
    """Show every value stored under KEY, with full citations."""
    from ..outputs.terminal import print_factor_details

    with _errors_to_exit():
        lib = _library()
    rows = lib.candidates(key)
    if not rows:
        near = [k for k in lib.keys() if key.split(".")[0] in k][:30]
        _fail(KeyError(f"no factor {key!r}; keys of that family: {near}"))
    print_factor_details(rows, console)


def _library():
    from ..factors import FactorLibrary

    lib = FactorLibrary.default()
    try:
        from ..plugin_manager import factor_library, get_plugin_manager
    except ImportError:
        return lib
    return factor_library(lib, get_plugin_manager())


# -- schema -----------------------------------------------------------------------------------

@main.command()
@click.argument("name")
def schema(name: str) -> None:
    """Print the JSON Schema NAME (results, score, balance...)."""
    from ..results import load_schema

    try:
        click.echo(json.dumps(load_schema(name), ensure_ascii=False, indent=2))
    except KeyError as exc:
        _fail(exc)


# -- commands contributed by the other layers -------------------------------------------------

def _register() -> None:
    # one line per command: (name, "module:attribute", the short help `carbon --help` shows);
    # each module is imported only when its command runs
    for name, target, short_help in (
        ("score", "carbon_core.cli.scoring:score",
         "Evaluate a factory against a programme's indicator..."),
        ("rank", "carbon_core.cli.scoring:rank",
         "Score many factories and rank them for a district's..."),
        ("ledger", "carbon_core.cli.ledger:ledger",
         "The claims ledger: every certificate and offset serial claimed..."),
        ("plugins", "carbon_core.cli.plugins:plugins",
         "List installed sector plugins, their versions and what each..."),
        ("programme", "carbon_core.cli.programme:programme",
         "The programme register (零碳示范工厂 申报、评审、公布、动态管理): an event log."),
        ("report", "carbon_core.cli.report:report",
         "Write the self-evaluation report, the dynamic management..."),
        ("portfolio", "carbon_core.cli.portfolio:portfolio",
         "Compute and score a city's factories on a dask cluster."),
        ("serve", "carbon_core.cli.serve:serve",
         "Start the web interface of the programme register."),
        ("bundle", "carbon_core.cli.verify:bundle",
         "Write a verifier bundle of INVENTORY: inputs, factor..."),
        ("verify", "carbon_core.cli.verify:verify",
         "Check BUNDLE and recompute every number from the bundle..."),
        ("keys", "carbon_core.cli.verify:keys",
         "Ed25519 signing keys for bundles."),
        ("diff", "carbon_core.cli.verify:diff",
         "Explain how NEW differs from OLD (two results JSON of one..."),
        ("units", "carbon_core.cli.units:units",
         "List the units carbon_core defines beyond pint's own..."),
    ):
        main.add_lazy(name, target, short_help)


_register()
