"""Net-zero balance: instruments, market-based Scope 2, matching, offsets and the claims ledger.

The core calls :func:`compute_balance` with a :class:`BalanceInputs` and puts the returned
:class:`BalanceResult` in the results (``to_dict()`` is the ``balance`` section, validated by
``carbon_core/schemas/balance.schema.json``). The formats of ``[[instruments]]``, ``[[offsets]]``
and ``[balance]`` and the default policy are documented in ``docs/balance.md``.

Modules: :mod:`~carbon_core.balance.instruments` (inventory tables), :mod:`.policy` (named
policies, data in ``factors/policies/``), :mod:`.matching` (numpy kernels), :mod:`.market`
(market-based Scope 2 per matching mode), :mod:`.ledger` (SQLite claims ledger), :mod:`.balance`
(the ISO 14068-1 style balance), ``carbon ledger`` lives in :mod:`carbon_core.cli.ledger`.
"""

from .balance import (BALANCE_METRICS, BalanceInputs, BalanceResult, compute_balance,
                      parse_balance_table)
from .instruments import Instrument, Offset, SerialRange, parse_instruments, parse_offsets
from .ledger import Claim, Ledger, default_ledger_path
from .market import ModeResult, match_modes
from .matching import cfe_score, match, match_hierarchy, match_totals, to_coarser
from .policy import DEFAULT_POLICY, Policy, available_policies, load_policy

__all__ = [
    "BalanceInputs",
    "BalanceResult",
    "compute_balance",
    "parse_balance_table",
    "BALANCE_METRICS",
    "Instrument",
    "Offset",
    "SerialRange",
    "parse_instruments",
    "parse_offsets",
    "Claim",
    "Ledger",
    "default_ledger_path",
    "ModeResult",
    "match_modes",
    "match",
    "match_hierarchy",
    "match_totals",
    "to_coarser",
    "cfe_score",
    "Policy",
    "load_policy",
    "available_policies",
    "DEFAULT_POLICY",
]
