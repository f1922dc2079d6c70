"""The register's errors: every refusal is a :class:`carbon_core.errors.CarbonCoreError`.

A refusal names the rule, the stage and the date (``ProcedureError``), so that the CLI prints one
clear line and a web page can show the same text.
"""

from __future__ import annotations

import datetime as dt

from ..errors import CarbonCoreError

__all__ = ["RegisterError", "PermissionDenied", "ProcedureError", "CalendarError",
           "TamperError", "ConcurrencyError"]


class RegisterError(CarbonCoreError, ValueError):
    """Base class of the register's errors (bad input to a register command included)."""


class PermissionDenied(RegisterError, PermissionError):
    """The actor's role or scope does not allow the action (the one authorization function)."""


class ProcedureError(RegisterError):
    """An action out of turn: the message names the rule, the stage and the date.

    Parameters
    ----------
    message : str
        What is wrong, in words.
    rule : str
        The rule's id (a stage id of the procedure, or a register rule such as ``ban``).
    stage : str
        The stage the enterprise or application is in.
    date : datetime.date or None
        The date of the refused action.
    source : str
        Where the rule comes from (the programme document and its confidence), if known.

    The four keywords are kept as attributes of the same names.
    """

    def __init__(self, message: str, *, rule: str, stage: str, date: dt.date | None,
                 source: str = ""):
        self.rule, self.stage, self.date, self.source = rule, stage, date, source
        text = f"{message} [rule: {rule}; stage: {stage}; date: {date.isoformat() if date else '-'}"
        text += f"; source: {source}]" if source else "]"
        super().__init__(text)


class CalendarError(RegisterError):
    """A date outside the years the working-day calendar knows (never guessed)."""


class TamperError(RegisterError):
    """The event log's hash chain does not verify: a stored event was changed or removed."""


class ConcurrencyError(RegisterError):
    """Another process kept appending at the same moment; the command was not recorded."""
