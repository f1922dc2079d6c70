"""Metrics the scoring layer derives from engine metrics: year-on-year reductions and shares.

The scoring layer never computes emissions. It only combines numbers the engine already produced:

``yoy.<metric>``
    year-on-year reduction of a lower-is-better engine metric, ``1 - current / previous``, a positive
    fraction when the metric fell (0.05 = 5 % lower than last year). Needs the previous year's
    results (``previous``: a results JSON with a top-level ``"metrics"`` object). None when either
    value is missing or the previous value is not positive.
``scoring.onsite_renewable_share``
    ``electricity.onsite_renewable_mwh / electricity.consumed_mwh``.
``scoring.market_tco2e_per_tce``
    ``(emissions.scope1_tco2e + emissions.scope2_market_tco2e) / energy.total_tce_equivalent``: the
    carbon per unit of energy after green-electricity instruments, the analogue of the national
    zero-carbon park core indicator (发改环资〔2025〕910号, <= 0.20 tCO2/tce).

Examples
--------
>>> m = {"intensity.tco2e_per_wan_cny": 0.45}
>>> d = derive_metrics(m, previous={"intensity.tco2e_per_wan_cny": 0.5})
>>> round(d["yoy.intensity.tco2e_per_wan_cny"], 12)
0.1
>>> derive_metrics(m)["yoy.intensity.tco2e_per_wan_cny"] is None
True
"""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any, Mapping

from carbon_core.errors import InputError, Problem
from carbon_core.engine import ENGINE_METRICS
from carbon_core.metrics import MetricInfo

__all__ = ["YOY_BASES", "DERIVED_METRICS", "derive_metrics", "load_previous", "Previous",
           "check_same_factory"]

#: Engine metrics for which a year-on-year reduction ``yoy.<name>`` is derived.
YOY_BASES: tuple[str, ...] = (
    "emissions.total_tco2e",
    "energy.total_tce_equivalent",
    "energy.total_tce_calorific",
    "intensity.tco2e_per_output",
    "intensity.tco2e_per_wan_cny",
    "intensity.tce_per_output",
    "intensity.tce_per_wan_cny",
    "intensity.tco2e_per_tce",
    "balance.net_tco2e",
)


def _derived_info() -> dict[str, MetricInfo]:
    out: dict[str, MetricInfo] = {}
    for base in YOY_BASES:
        desc = ENGINE_METRICS[base].description if base in ENGINE_METRICS else base
        name = "yoy." + base
        out[name] = MetricInfo(name, "1", f"year-on-year reduction of {desc} 同比下降率 "
                               "(1 - current/previous)", True, "scoring")
    out["scoring.onsite_renewable_share"] = MetricInfo(
        "scoring.onsite_renewable_share", "1",
        "on-site renewable electricity as a share of consumption 自发自用可再生电力占比", True,
        "scoring")
    out["scoring.market_tco2e_per_tce"] = MetricInfo(
        "scoring.market_tco2e_per_tce", "tCO2e/tce",
        "Scope 1 + market-based Scope 2 per tce (等价值) 单位能耗碳排放(基于市场)", False, "scoring")
    return out


#: Metrics derived by the scoring layer, accepted by :func:`~carbon_core.scoring.load_system`.
DERIVED_METRICS: dict[str, MetricInfo] = _derived_info()


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0.0:
        return None
    return a / b


def derive_metrics(metrics: Mapping[str, Any],
                   previous: Mapping[str, Any] | None = None) -> dict[str, float | None]:
    """Derived metrics from the current (and previous year's) engine metrics.

    Parameters
    ----------
    metrics : mapping
        Current metrics (engine names).
    previous : mapping, optional
        The previous reporting year's metrics (same names). Without it every ``yoy.*`` is None.

    Returns
    -------
    dict
        Every name in :data:`DERIVED_METRICS`, with None where it cannot be derived.
    """
    out: dict[str, float | None] = {}
    for base in YOY_BASES:
        cur = _num(metrics.get(base))
        prev = _num(previous.get(base)) if previous is not None else None
        out["yoy." + base] = None if cur is None or prev is None or prev <= 0.0 else 1.0 - cur / prev
    out["scoring.onsite_renewable_share"] = _ratio(
        _num(metrics.get("electricity.onsite_renewable_mwh")),
        _num(metrics.get("electricity.consumed_mwh")))
    s1 = _num(metrics.get("emissions.scope1_tco2e"))
    s2 = _num(metrics.get("emissions.scope2_market_tco2e"))
    out["scoring.market_tco2e_per_tce"] = _ratio(
        None if s1 is None or s2 is None else s1 + s2,
        _num(metrics.get("energy.total_tce_equivalent")))
    return out


class Previous:
    """The previous year's results used for year-on-year metrics.

    Attributes
    ----------
    metrics : dict
        The previous year's metrics.
    source : str
        Where they came from (a path or ``"<mapping>"``).
    reporting_year : int or None
        The previous results' reporting year, when the JSON records it.
    credit_code : str or None
        The previous results' factory (unified social credit code), when recorded.
    """

    __slots__ = ("metrics", "source", "reporting_year", "credit_code")

    def __init__(self, metrics, source="<mapping>", reporting_year=None, credit_code=None):
        self.metrics = dict(metrics)
        self.source = source
        self.reporting_year = reporting_year
        self.credit_code = credit_code

    def to_dict(self) -> dict[str, Any]:
        """Where the previous year's metrics came from, as the score JSON records it.

        Returns
        -------
        dict
            ``source`` and ``reporting_year``.
        """
        return {"source": self.source, "reporting_year": self.reporting_year}


def check_same_factory(prev: "Previous | None", credit_code: str | None) -> None:
    """Refuse previous-year results of another factory (year-on-year needs the same one).

    The codes are compared without regard to case. Nothing is checked when either side names
    no factory (a bare ``{"metrics": ...}`` mapping, an inventory without a credit code).

    Parameters
    ----------
    prev : Previous or None
        The previous year's results (:func:`load_previous`); None: nothing to check.
    credit_code : str or None
        The unified social credit code (统一社会信用代码) of the factory being scored.

    Raises
    ------
    InputError
        The previous results' credit code (``factory.credit_code`` of a results JSON) differs
        from ``credit_code``.
    """
    if prev is None or not credit_code or not prev.credit_code:
        return  # a bare {"metrics": ...} mapping names no factory: nothing to compare
    if str(prev.credit_code).upper() != str(credit_code).upper():
        raise InputError([Problem(prev.source, "previous results belong to another factory",
                                  field="factory.credit_code", found=prev.credit_code,
                                  expected=f"{credit_code}, the factory being scored")])


def _find_code(doc: Mapping[str, Any]) -> str | None:
    fac = doc.get("factory")
    code = fac.get("credit_code") if isinstance(fac, Mapping) else None
    return code if isinstance(code, str) and code else None


def _find_year(doc: Mapping[str, Any]) -> int | None:
    for holder in (doc, doc.get("inventory"), doc.get("factory")):
        if isinstance(holder, Mapping):
            y = holder.get("reporting_year")
            if isinstance(y, int) and not isinstance(y, bool):
                return y
    return None


def load_previous(previous: Any) -> Previous | None:
    """Read the previous year's results: a path to a results JSON, a dict, or a Results object.

    The document must have a top-level ``"metrics"`` object; its reporting year is read from
    ``reporting_year`` at the top level or under ``inventory`` / ``factory`` when present.

    Parameters
    ----------
    previous : str, Path, mapping, Results, Previous or None
        A path to a results JSON (``carbon run --json``), its parsed dict, a
        :class:`carbon_core.results.Results`, or an already loaded :class:`Previous` (returned
        as it is).

    Returns
    -------
    Previous or None
        The previous metrics with their source, reporting year and credit code; None for None.

    Raises
    ------
    InputError
        File missing, not JSON, or without a ``metrics`` object.
    """
    if previous is None or isinstance(previous, Previous):
        return previous
    source = "<mapping>"
    if isinstance(previous, (str, pathlib.Path)):
        source = str(previous)
        try:
            doc = json.loads(pathlib.Path(previous).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError([Problem(source, "previous results file not found",
                                      expected="a results JSON written by `carbon run --json`")]
                             ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError([Problem(source, f"not valid JSON: {exc}",
                                      expected="a results JSON")]) from None
    elif hasattr(previous, "metrics") and not isinstance(previous, Mapping):
        inv = getattr(previous, "inventory", None)
        return Previous(previous.metrics, str(getattr(inv, "path", "<results>")),
                        getattr(inv, "reporting_year", None),
                        getattr(getattr(inv, "factory", None), "credit_code", None))
    else:
        doc = previous
    if not isinstance(doc, Mapping) or not isinstance(doc.get("metrics"), Mapping):
        raise InputError([Problem(source, "previous results have no top-level 'metrics' object",
                                  field="metrics", expected="{\"metrics\": {name: number}}")])
    return Previous(doc["metrics"], source, _find_year(doc), _find_code(doc))
