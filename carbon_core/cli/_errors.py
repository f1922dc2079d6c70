"""One error-handling layer for every ``carbon`` command: never a Python traceback.

Every command (the ``carbon`` group and each command or group registered in it, also when a
command object is invoked on its own, as the tests do) runs through :meth:`_SafeMain.main`, which
turns every failure into one message on stderr starting ``error:`` and one exit code:

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     success
1     a check ran and failed (``carbon ledger check`` found problems)
2     bad input or usage: a :class:`~carbon_core.errors.CarbonCoreError`, a file that cannot be
      read or written, a damaged or foreign SQLite ledger, a bad option
3     internal error (a bug in carbon_core or a plugin): one line naming the exception and a
      request to report it; ``CARBON_DEBUG=1`` shows the traceback
130   interrupted (Ctrl-C)
====  ==========================================================================================
"""

from __future__ import annotations

import os
import sqlite3
import sys
import traceback

import click

from ..errors import CarbonCoreError

__all__ = ["EXIT_OK", "EXIT_CHECK_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "CheckFailed",
           "SafeCommand", "SafeGroup", "describe", "ISSUES_URL"]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

#: Where internal errors are to be reported.
ISSUES_URL = "the carbon_core issue tracker (include the command line and `carbon --version`)"


class CheckFailed(click.ClickException):
    """A check ran and found problems (exit code 1); the message lists them."""

    exit_code = EXIT_CHECK_FAILED


def describe(exc: BaseException) -> tuple[str, int]:
    """(message, exit code) for an exception reaching the command line.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    tuple of (str, int)
        The message without the ``error:`` prefix and the exit code of the convention above.
    """
    if isinstance(exc, CheckFailed):
        return exc.format_message(), EXIT_CHECK_FAILED
    if isinstance(exc, CarbonCoreError):
        return str(exc), EXIT_BAD_INPUT
    if isinstance(exc, click.UsageError):
        return exc.format_message(), EXIT_BAD_INPUT
    if isinstance(exc, click.ClickException):
        return exc.format_message(), EXIT_BAD_INPUT
    if isinstance(exc, UnicodeDecodeError):
        return (f"a file is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8",
                EXIT_BAD_INPUT)
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: is a directory, expected a file", EXIT_BAD_INPUT
    if isinstance(exc, FileNotFoundError):
        where = exc.filename or ""
        parent = os.path.dirname(str(where)) if where else ""
        if parent and not os.path.isdir(parent):
            return f"{where}: the folder {parent} does not exist", EXIT_BAD_INPUT
        return f"{where}: no such file", EXIT_BAD_INPUT
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied ({exc.strerror})", EXIT_BAD_INPUT
    if isinstance(exc, OSError):
        name = f"{exc.filename}: " if exc.filename else ""
        return f"{name}{exc.strerror or exc}", EXIT_BAD_INPUT
    if isinstance(exc, sqlite3.DatabaseError):
        return (f"the SQLite ledger cannot be used: {exc} (is it a carbon_core ledger? "
                "check it with `carbon ledger check --db PATH`)", EXIT_BAD_INPUT)
    first = str(exc).splitlines()[0] if str(exc) else ""
    return (f"internal error: {type(exc).__name__}: {first} -- this is a bug in carbon_core or "
            f"a plugin, please report it to {ISSUES_URL} (CARBON_DEBUG=1 shows the traceback)",
            EXIT_INTERNAL)


def _print_error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


class _SafeMain:
    """``main`` that maps every exception to ``error: ...`` and the exit-code convention."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:  # --help, --version, ctx.exit(n)
            sys.exit(exc.exit_code)
        except SystemExit:
            raise
        except click.exceptions.Abort:
            _print_error("aborted")
            sys.exit(EXIT_INTERRUPTED)
        except KeyboardInterrupt:
            _print_error("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except click.UsageError as exc:
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            _print_error(exc.format_message())
            sys.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:  # `carbon ... | head`: the reader left, nothing to say
            sys.exit(EXIT_OK)
        except Exception as exc:  # noqa: BLE001 - the one place every failure is reported
            message, code = describe(exc)
            if code == EXIT_INTERNAL and os.environ.get("CARBON_DEBUG"):
                traceback.print_exc()
            _print_error(message)
            sys.exit(code)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


class SafeCommand(_SafeMain, click.Command):
    """A click command whose failures follow the ``carbon`` exit-code convention."""


class SafeGroup(_SafeMain, click.Group):
    """A click group whose failures (and those of its commands) follow the convention."""

    command_class = SafeCommand


SafeGroup.group_class = SafeGroup
