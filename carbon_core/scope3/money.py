"""Money for spend-based lines: currency and price year converted explicitly, never guessed.

A spend-based factor is per unit of one currency in one price year (the US EPA supply-chain
factors: kg CO2e per 2022 USD, purchaser price). A spend recorded in another currency or price
year is converted in two declared steps:

1. currency, at the exchange rate of the spend's price year (``[[scope3.exchange_rates]]``:
   ``rate`` units of ``currency`` per one unit of ``per``, with its source);
2. price year, in the factor's currency, by the ratio of a declared price index
   (``[[scope3.price_indices]]``: a ``series`` with ``values`` by year, with its source):
   ``amount_in_factor_year = amount_in_spend_year x index[factor_year] / index[spend_year]``.

Anything missing is an error naming the rate or index years to declare. The conversion factor is
recorded on the line.

References
----------
WRI/WBCSD, *Technical Guidance for Calculating Scope 3 Emissions*, 2013, Introduction,
"Environmentally-extended input output (EEIO) data" (currency and inflation adjustment of spend).
US EPA, *Supply Chain GHG Emission Factors v1.3*, 2024: factors in 2022 USD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping
from typing import Any

from ..errors import Problem, UnitError
from ..units import conversion_factor, parse_unit
from .checks import unknown_keys

__all__ = ["CURRENCIES", "currency_of", "MoneyTables", "parse_money_tables"]

#: Registry currency codes by pint dimension (carbon_core.units defines each as its own dimension).
CURRENCIES: dict[str, str] = {"[currency]": "CNY", "[currency_usd]": "USD",
                              "[currency_eur]": "EUR", "[currency_gbp]": "GBP"}


@lru_cache(maxsize=256)
def currency_of(unit: str) -> tuple[str, float] | None:
    """(currency code, multiplier to that code) of a money unit; None if ``unit`` is not money.

    Parameters
    ----------
    unit : str
        A unit in carbon_core's registry (``"万元"``, ``"USD"``, ``"kEUR"``, ``"t"`` ...).

    Returns
    -------
    tuple of (str, float) or None
        The registry currency code (``CNY``, ``USD``, ``EUR``, ``GBP``) and how many of that
        currency one ``unit`` is [1]; None when ``unit`` is not a pure money unit.

    Examples
    --------
    >>> currency_of("万元")
    ('CNY', 10000.0)
    >>> currency_of("t") is None
    True
    """
    try:
        u = parse_unit(unit)
    except UnitError:
        return None
    dims = dict(u.dimensionality)
    if len(dims) != 1:
        return None
    (dim, power), = dims.items()
    code = CURRENCIES.get(dim)
    if code is None or power != 1:
        return None
    return code, conversion_factor(u, code)


@dataclass
class MoneyTables:
    """Declared exchange rates and price indices.

    Attributes
    ----------
    rates : dict
        ``(currency, per, year) -> (rate, source)``: units of ``currency`` per one unit of ``per``
        in ``year`` [currency/per].
    indices : dict
        ``currency -> (series, {year: index}, source)``: a price index series [1].

    References
    ----------
    WRI/WBCSD and Carbon Trust, *Technical Guidance for Calculating Scope 3 Emissions*, v1.0,
    2013, section 1.4 (spend-based data adjusted for currency and inflation).
    """

    #: (currency, per, year) -> (rate, source)
    rates: dict[tuple[str, str, int], tuple[float, str]] = field(default_factory=dict)
    #: currency -> (series, {year: index}, source)
    indices: dict[str, tuple[str, dict[int, float], str]] = field(default_factory=dict)

    def convert(self, from_ccy: str, from_year: int, to_ccy: str, to_year: int
                ) -> tuple[float | None, list[dict], list[str]]:
        """Multiplier from money in (from_ccy, from_year) to (to_ccy, to_year).

        The exchange rate of the spend's year is applied first (either direction of a
        declared rate), then the price index ratio index[to_year] / index[from_year] of the
        factor's currency. Nothing is guessed: a missing rate or index value is returned in
        ``missing``.

        Parameters
        ----------
        from_ccy : str
            Currency code of the spend (``CNY``...).
        from_year : int
            Price year of the spend (the year the money was spent).
        to_ccy : str
            Currency code of the factor's denominator.
        to_year : int
            Price year of the factor.

        Returns
        -------
        (multiplier or None, steps applied, what is missing)
        """
        steps: list[dict] = []
        missing: list[str] = []
        mult = 1.0
        if from_ccy != to_ccy:
            # rates[(a, b, year)] = units of a per one unit of b
            from_per_to = self.rates.get((from_ccy, to_ccy, from_year))
            to_per_from = self.rates.get((to_ccy, from_ccy, from_year))
            if from_per_to is not None:  # e.g. 7.2 CNY per USD: CNY -> USD divides
                mult /= from_per_to[0]
                steps.append({"step": "exchange rate", "year": from_year,
                              "rate": from_per_to[0], "rate_unit": f"{from_ccy} per {to_ccy}",
                              "operation": "divide", "source": from_per_to[1]})
            elif to_per_from is not None:
                mult *= to_per_from[0]
                steps.append({"step": "exchange rate", "year": from_year,
                              "rate": to_per_from[0], "rate_unit": f"{to_ccy} per {from_ccy}",
                              "operation": "multiply", "source": to_per_from[1]})
            else:
                missing.append(f"an exchange rate {from_ccy} per {to_ccy} for {from_year} "
                               "([[scope3.exchange_rates]] currency, per, year, rate, source)")
        if from_year != to_year:
            idx = self.indices.get(to_ccy)
            have = idx[1] if idx else {}
            need = [y for y in (from_year, to_year) if y not in have]
            if idx is None or need:
                missing.append(f"a {to_ccy} price index with values for {need or [from_year, to_year]} "
                               "([[scope3.price_indices]] currency, series, values, source)")
            else:
                ratio = have[to_year] / have[from_year]
                mult *= ratio
                steps.append({"step": "price index", "series": idx[0], "from_year": from_year,
                              "to_year": to_year, "index_from": have[from_year],
                              "index_to": have[to_year], "ratio": ratio, "source": idx[2]})
        return (None if missing else mult), steps, missing


def _need(p: list[Problem], file, row, where, key, kind, expected):
    v = row.get(key)
    if isinstance(v, bool) or not isinstance(v, kind):
        p.append(Problem(file=file, row=where, field=key, found=v,
                         message="missing or wrong type", expected=expected))
        return None
    return v


def parse_money_tables(raw: Mapping[str, Any], file: str, problems: list[Problem]) -> MoneyTables:
    """Validate ``[[scope3.exchange_rates]]`` and ``[[scope3.price_indices]]``.

    Parameters
    ----------
    raw : mapping
        The inventory's ``[scope3]`` table.
    file : str
        The inventory file, for problems.
    problems : list of Problem
        Appended to: unknown keys, missing keys, unknown currencies, rates <= 0, a rate declared
        twice for one currency pair and year, index values that are not positive numbers.

    Returns
    -------
    MoneyTables
        The well-formed rates and indices (a row with a problem is left out).
    """
    out = MoneyTables()
    codes = sorted(CURRENCIES.values())
    for i, row in enumerate(raw.get("exchange_rates", []) or []):
        where = f"scope3.exchange_rates[{i}]"
        unknown_keys(row, {"currency", "per", "year", "rate", "source", "note"}, file, where,
                     problems)
        cur = _need(problems, file, row, where, "currency", str, f"one of {codes}")
        per = _need(problems, file, row, where, "per", str, f"one of {codes}")
        year = _need(problems, file, row, where, "year", int, "the year the rate is for")
        rate = _need(problems, file, row, where, "rate", (int, float),
                     "units of 'currency' per one unit of 'per', > 0")
        src = _need(problems, file, row, where, "source", str,
                    "where the rate comes from (e.g. a central bank's annual average)")
        for k, v in (("currency", cur), ("per", per)):
            if v is not None and v not in codes:
                problems.append(Problem(file=file, row=where, field=k, found=v,
                                        message="unknown currency", expected=f"one of {codes}"))
        if isinstance(rate, (int, float)) and rate <= 0:
            problems.append(Problem(file=file, row=where, field="rate", found=rate,
                                    message="an exchange rate must be > 0", expected="> 0"))
        if None not in (cur, per, year, rate, src) and cur in codes and per in codes and rate > 0:
            if (cur, per, year) in out.rates:
                problems.append(Problem(file=file, row=where, field="year", found=year,
                                        message="exchange rate declared twice",
                                        expected="one rate per currency pair and year"))
            out.rates[(cur, per, year)] = (float(rate), src)
    for i, row in enumerate(raw.get("price_indices", []) or []):
        where = f"scope3.price_indices[{i}]"
        unknown_keys(row, {"currency", "series", "values", "source", "note"}, file, where, problems)
        cur = _need(problems, file, row, where, "currency", str, f"one of {codes}")
        series = _need(problems, file, row, where, "series", str,
                       "the index series, e.g. 'US GDP implicit price deflator'")
        src = _need(problems, file, row, where, "source", str, "the publisher and table")
        values = row.get("values")
        parsed: dict[int, float] = {}
        if not isinstance(values, Mapping) or not values:
            problems.append(Problem(file=file, row=where, field="values", found=values,
                                    message="missing index values",
                                    expected="a table of year = index, e.g. {2022 = 100.0}"))
        else:
            for k, v in values.items():
                if not str(k).isdigit() or isinstance(v, bool) or not isinstance(v, (int, float)) \
                        or v <= 0:
                    problems.append(Problem(file=file, row=where, field=f"values.{k}", found=v,
                                            message="bad index value",
                                            expected="year = positive number"))
                else:
                    parsed[int(k)] = float(v)
        if cur is not None and cur in out.indices:
            problems.append(Problem(file=file, row=where, field="currency", found=cur,
                                    message="a second price index for the same currency",
                                    expected="one series per currency"))
        elif None not in (cur, series, src) and parsed:
            out.indices[cur] = (series, parsed, src)
    return out
