"""Market-based Scope 2 for electricity: instruments first, the residual factor for the rest.

For each temporal matching mode (annual, monthly, hourly, 15-minute) the factory's demand for grid
electricity is matched, interval by interval, against the accepted contractual instruments in the
policy's hierarchy order (GHG Protocol Scope 2 Guidance 2015, ch. 6: contractual instruments, then
the residual mix). What is left unmatched is valued at the residual factor. Supply beyond demand in
an interval is *excess*: it never makes emissions negative and never covers another interval.

Quantities, per interval (all MWh):

- ``consumed`` = grid purchase + on-site generation - export (from the meters);
- ``onsite`` = on-site renewable self-consumption = ``clip(onsite_renewable - export, 0, consumed)``
  (export is attributed to on-site renewable generation first, the conservative choice);
- ``demand`` = grid electricity to be covered = ``min(grid_purchase, max(consumed - onsite, 0))``
  (self-consumed fossil on-site generation is Scope 1, not Scope 2);
- market-based Scope 2 = ``sum(demand - matched) * residual + sum_i matched_i * factor_i``;
- CFE score = ``(onsite + matched zero-carbon) / consumed``.

A mode finer than the meter data (hourly from daily data) is *not available*, never faked; an
instrument whose volume is coarser than a mode (an annual GEC volume in hourly matching) cannot
be matched in that mode and is reported as ``not_time_stamped_mwh``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # annotations only
    import pandas as pd
    import xarray as xr

from ..errors import InputError, Problem
from .instruments import Instrument
from .matching import allocate, bin_sum, cfe_score, match_hierarchy, month_starts, to_coarser
from .policy import MATCHING_MODES, Policy

__all__ = ["ElectricitySeries", "ElectricityArrays", "ModeResult", "electricity_arrays", "match_modes", "format_interval",
           "MODE_LENGTH", "BUNDLED_TYPES", "UNBUNDLED_TYPES"]

#: Nominal length of each matching mode (annual and monthly are calendar bins).
MODE_LENGTH = {
    "15min": np.timedelta64(15, "m"),
    "hourly": np.timedelta64(1, "h"),
    "monthly": np.timedelta64(31, "D"),
    "annual": np.timedelta64(366, "D"),
}
#: Instruments reported as green electricity (electricity delivered with its attributes).
BUNDLED_TYPES = ("green_power_contract", "ppa", "supplier_specific")
#: Instruments reported as certificates.
UNBUNDLED_TYPES = ("gec", "irec")

_VARS = ("grid_purchase_kwh", "onsite_renewable_kwh", "export_kwh", "consumed_kwh")


@dataclass(frozen=True)
class ElectricitySeries:
    """Electricity by role on one time axis, as plain arrays (what the engine hands the balance).

    Attributes
    ----------
    time : numpy.ndarray
        Interval starts, datetime64[ns] China time.
    interval : str
        ``"15min"``, ``"1h"``, ``"1D"``, ``"1MS"`` or ``"1Y"``.
    arrays : dict of str to numpy.ndarray
        ``grid_purchase_kwh``, ``onsite_generation_kwh``, ``export_kwh``,
        ``onsite_renewable_kwh``, ``consumed_kwh`` [kWh per interval], one value per ``time``.
    """

    time: np.ndarray
    interval: str
    arrays: dict

    def to_dataset(self) -> "xr.Dataset":
        """The same series as an :class:`xarray.Dataset` on dim ``time`` (attribute
        ``interval``, each variable with ``units = "kWh"``)."""
        import xarray as xr

        return xr.Dataset({k: ("time", v, {"units": "kWh"}) for k, v in self.arrays.items()},
                          coords={"time": self.time}, attrs={"interval": self.interval})


def _columns(ds) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """(variables of :data:`_VARS` present, time or None) of a series record or a Dataset."""
    if isinstance(ds, ElectricitySeries):
        return {v: ds.arrays[v] for v in _VARS if v in ds.arrays}, ds.time
    if "time" not in ds.dims:
        return {v: ds[v].values for v in _VARS if v in ds}, None
    return {v: ds[v].transpose("time").values for v in _VARS if v in ds}, ds["time"].values


@dataclass(frozen=True)
class ElectricityArrays:
    """The meter series as float64 arrays [MWh per interval], with the derived quantities.

    Built by :func:`electricity_arrays`; the quantities are defined in the module docstring.

    Attributes
    ----------
    times : numpy.ndarray of datetime64[ns]
        Interval starts, China time, strictly increasing.
    interval : numpy.timedelta64
        Resolution of the series [ns].
    grid_purchase : numpy.ndarray
        Electricity bought from the grid [MWh per interval].
    onsite_generation : numpy.ndarray
        On-site renewable generation (the ``onsite_renewable_kwh`` series) [MWh per interval].
    export : numpy.ndarray
        Electricity exported [MWh per interval].
    consumed : numpy.ndarray
        Consumption (the ``consumed_kwh`` series: grid purchase + on-site generation -
        export) [MWh per interval].
    onsite : numpy.ndarray
        On-site renewable self-consumption, ``clip(onsite_generation - export, 0, consumed)``
        [MWh per interval].
    demand : numpy.ndarray
        Grid electricity to be covered, ``min(grid_purchase, max(consumed - onsite, 0))``
        [MWh per interval].
    """

    times: np.ndarray
    interval: np.timedelta64
    grid_purchase: np.ndarray
    onsite_generation: np.ndarray
    export: np.ndarray
    consumed: np.ndarray
    onsite: np.ndarray
    demand: np.ndarray


def electricity_arrays(ds: "ElectricitySeries | xr.Dataset", interval: np.timedelta64,
                       source: str = "electricity") -> ElectricityArrays:
    """Check the electricity dataset and derive on-site self-consumption and grid demand.

    Parameters
    ----------
    ds : ElectricitySeries or xarray.Dataset
        On dim ``time``: ``grid_purchase_kwh``, ``onsite_renewable_kwh``, ``export_kwh``,
        ``consumed_kwh`` [kWh per interval] (:func:`carbon_core.engine.electricity_series`).
    interval : numpy.timedelta64
        Resolution of ``ds``.
    source : str
        Name for problems (the inventory path).

    Returns
    -------
    ElectricityArrays
        The series [MWh per interval] with ``onsite`` and ``demand`` as defined in the module
        docstring (GHG Protocol Scope 2 Guidance 2015, ch. 6).

    Raises
    ------
    InputError
        A variable or the time dimension missing, a non-finite value, time not increasing.
    """
    problems = []
    columns, time = _columns(ds)
    for v in _VARS:
        if v not in columns:
            problems.append(Problem(source, "missing electricity variable", field=v,
                                    expected=f"variables {list(_VARS)} on dim 'time'"))
    if time is None:
        problems.append(Problem(source, "no 'time' dimension",
                                found=list(getattr(ds, "dims", []))))
    if problems:
        raise InputError(problems)
    assert time is not None  # else a problem was raised
    arrays = {}
    for v in _VARS:
        a = np.asarray(columns[v], dtype="float64") / 1000.0
        if not np.isfinite(a).all():
            i = int(np.flatnonzero(~np.isfinite(a))[0])
            problems.append(Problem(source, "missing or non-finite value", field=v,
                                    row=str(time[i]), found=a[i],
                                    expected="validated meter data"))
        arrays[v] = a
    times = np.asarray(time).astype("datetime64[ns]")
    if len(times) > 1 and (np.diff(times) <= np.timedelta64(0)).any():
        problems.append(Problem(source, "time is not strictly increasing", field="time"))
    if problems:
        raise InputError(problems)
    g, o, e, c = (arrays[v] for v in _VARS)
    c_pos = np.maximum(c, 0.0)
    onsite = np.minimum(np.maximum(o - e, 0.0), c_pos)
    demand = np.minimum(g, np.maximum(c_pos - onsite, 0.0))
    return ElectricityArrays(times, np.timedelta64(interval, "ns"), g, o, e, c, onsite, demand)


@dataclass
class ModeResult:
    """One temporal matching mode: volumes [MWh], emissions [tCO2e], scores [1].

    Attributes
    ----------
    mode : str
        ``"annual"``, ``"monthly"``, ``"hourly"`` or ``"15min"``.
    available : bool
        False when the meter data is coarser than the mode (nothing else is then set).
    reason : str
        Why the mode is not available.
    bins : int
        Matching intervals in the year.
    consumed_mwh : float
        Electricity consumed [MWh].
    demand_mwh : float
        Grid electricity to be covered [MWh].
    onsite_mwh : float
        On-site renewable self-consumption counted [MWh] (0 when the policy requires an
        ``onsite_renewable`` instrument and none is declared).
    supply_mwh : float
        Volume of the instruments matchable in this mode, over the year's bins [MWh].
    not_time_stamped_mwh : float
        Volume of instruments coarser than the mode (an annual GEC in hourly matching),
        which cannot be matched in it [MWh].
    matched_mwh : float
        Demand covered by instruments [MWh].
    unmatched_mwh : float
        Demand left, valued at the residual factor [MWh].
    unmatched_tco2e : float
        ``unmatched_mwh x residual`` [tCO2e].
    excess_mwh : float
        Supply beyond demand in its interval, ``supply_mwh - matched_mwh`` [MWh].
    market_based_tco2e : float
        Market-based Scope 2 of electricity: matched volumes at their own factors plus the
        unmatched at the residual [tCO2e].
    green_electricity_tco2e : float
        Reduction by bundled instruments (:data:`BUNDLED_TYPES`), matched x (residual - own
        factor) [tCO2e].
    certificates_tco2e : float
        The same for unbundled certificates (:data:`UNBUNDLED_TYPES`) [tCO2e].
    cfe_score : float or None
        (On-site + matched zero-carbon) / consumed [1]; None when nothing was consumed.
    renewable_share : float or None
        (On-site + matched renewable) / consumed [1]; None when nothing was consumed.
    matched_by_type : dict of str to float
        Matched volume per instrument type [MWh].
    matched_by_instrument : dict of str to float
        Matched volume per instrument id [MWh].
    excess_by_instrument : dict of str to float
        Each matchable instrument's volume not matched [MWh].
    unmatchable_by_instrument : dict of str to float
        Volume of each instrument too coarse for the mode [MWh].
    """

    mode: str
    available: bool
    reason: str = ""
    bins: int = 0
    consumed_mwh: float = 0.0
    demand_mwh: float = 0.0
    onsite_mwh: float = 0.0
    supply_mwh: float = 0.0
    not_time_stamped_mwh: float = 0.0
    matched_mwh: float = 0.0
    unmatched_mwh: float = 0.0
    unmatched_tco2e: float = 0.0
    excess_mwh: float = 0.0
    market_based_tco2e: float = 0.0
    green_electricity_tco2e: float = 0.0
    certificates_tco2e: float = 0.0
    cfe_score: float | None = None
    renewable_share: float | None = None
    matched_by_type: dict[str, float] = field(default_factory=dict)
    matched_by_instrument: dict[str, float] = field(default_factory=dict)
    excess_by_instrument: dict[str, float] = field(default_factory=dict)
    unmatchable_by_instrument: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The mode's entry of ``balance.matching`` in the results JSON (volumes [MWh],
        emissions [tCO2e], scores [1]); an unavailable mode gives only its reason."""
        if not self.available:
            return {"available": False, "reason": self.reason, "cfe_score": None}
        out = {k: v for k, v in self.__dict__.items() if k not in ("mode", "reason")}
        for k in ("matched_by_type", "matched_by_instrument", "excess_by_instrument",
                  "unmatchable_by_instrument"):
            out[k] = {i: float(x) for i, x in out[k].items()}
        return out


# -- binning ----------------------------------------------------------------------------------

def _binner(mode: str, el: ElectricityArrays):
    """(bin function over the last axis, bin start times) or a reason the mode is unavailable."""
    times, step = el.times, el.interval
    if mode == "annual":
        return (lambda x: x.sum(axis=-1, keepdims=True)), times[:1]
    length = MODE_LENGTH[mode]
    if step > length:
        return f"not available at this data resolution (meter interval {format_interval(step)})"
    if mode == "monthly":
        starts, _ = month_starts(times)
        return (lambda x: bin_sum(x, starts)), times[starts]
    k = int(length // step)
    if length % step or len(times) % k:
        return (f"not available at this data resolution (meter interval {format_interval(step)}, "
                f"{len(times)} intervals)")
    if k > 1 and (times[0] - times[0].astype(f"datetime64[{'h' if mode == 'hourly' else 'm'}]")
                  ) != np.timedelta64(0):
        return "not available: the first interval does not start on a bin boundary"
    if k == 1:
        return (lambda x: x), times
    return (lambda x: to_coarser(x, k)), times[::k]


def format_interval(step: np.timedelta64) -> str:
    """An interval as text: ``"15min"``, ``"1h"``, ``"1D"``.

    Parameters
    ----------
    step : numpy.timedelta64
        The interval length (whole minutes).

    Examples
    --------
    >>> format_interval(np.timedelta64(15, "m")), format_interval(np.timedelta64(2, "h"))
    ('15min', '2h')
    >>> format_interval(np.timedelta64(1, "D"))
    '1D'
    """
    minutes = int(step / np.timedelta64(1, "m"))
    if minutes < 60:
        return f"{minutes}min"
    if minutes % 1440 == 0:
        return f"{minutes // 1440}D"
    return f"{minutes // 60}h"


def _supply(inst: Instrument, mode: str, bins: np.ndarray, bin_fn, el: ElectricityArrays,
            year: int):
    """Supply of an instrument over the bins of ``mode`` [MWh], or None if it cannot be matched."""
    nb = len(bins)
    if mode == "annual":
        return np.array([inst.volume_mwh])
    if inst.resolution == "year":
        return None
    if inst.resolution == "month":
        if mode != "monthly":
            return None
        months = (bins.astype("datetime64[M]").astype("int64") % 12)
        assert inst.monthly_mwh is not None  # parse_instruments gives monthly volumes
        out = inst.monthly_mwh[months].astype("float64")
        # months of the year the meters do not cover cannot be matched (left as excess)
        return out
    prof: pd.Series = inst.profile_mwh
    if prof is None or len(prof) == 0:
        return np.zeros(nb)
    t = prof.index.values.astype("datetime64[ns]")
    step = np.diff(t).min() if len(t) > 1 else el.interval
    if step > MODE_LENGTH[mode]:
        return None
    edges = np.append(bins, bins[-1] + (MODE_LENGTH[mode] if mode != "monthly"
                                        else np.timedelta64(31, "D")))
    if mode == "monthly":
        idx = (t.astype("datetime64[M]").astype("int64") % 12)
        bin_months = bins.astype("datetime64[M]").astype("int64") % 12
        per_month = np.bincount(idx, weights=prof.values, minlength=12)
        return per_month[bin_months]
    idx = np.searchsorted(bins, t, side="right") - 1
    ok = (idx >= 0) & (t < edges[np.clip(idx + 1, 0, nb)])
    return np.bincount(idx[ok], weights=prof.values[ok], minlength=nb)[:nb]


# -- the modes ----------------------------------------------------------------------------------

def match_modes(el: ElectricityArrays, instruments: Sequence[Instrument], policy: Policy,
                residual: float, reporting_year: int) -> dict[str, ModeResult]:
    """Match in every mode of the policy; see the module docstring for the quantities.

    Parameters
    ----------
    el : ElectricityArrays
        Demand and on-site generation [MWh per interval].
    instruments : list of Instrument
        Accepted instruments only.
    policy : Policy
        Its matching modes, instrument hierarchy and on-site rule.
    residual : float
        Residual factor [tCO2/MWh].
    reporting_year : int
        The reporting year.

    Returns
    -------
    dict of str to ModeResult
        By mode (``annual``, ``monthly``, ``hourly``, ``15min``); a mode finer than the data is
        present but not available, with its reason.

    References
    ----------
    GHG Protocol Scope 2 Guidance (2015), ch. 6 (hierarchy of contractual instruments, residual
    mix); hourly matching as in the policy file factors/policies/ghgp-2025-hourly.toml.
    """
    onsite_counted = (not policy.onsite_requires_instrument
                      or any(i.type == "onsite_renewable" for i in instruments))
    order = [t for t in policy.hierarchy]
    order += [t for t in dict.fromkeys(i.type for i in instruments)
              if t not in order and t != "onsite_renewable"]
    contractual = [i for i in instruments if i.type != "onsite_renewable"]
    results = {}
    for mode in MATCHING_MODES:
        if mode not in policy.matching_modes:
            continue
        b = _binner(mode, el)
        if isinstance(b, str):
            results[mode] = ModeResult(mode, False, b)
            continue
        bin_fn, bins = b
        consumed = float(np.maximum(el.consumed, 0.0).sum())
        demand = bin_fn(el.demand)
        onsite = float(el.onsite.sum()) if onsite_counted else 0.0
        r = ModeResult(mode, True, bins=len(bins), consumed_mwh=consumed,
                       demand_mwh=float(demand.sum()), onsite_mwh=onsite)
        members: dict[str, list[tuple[Instrument, np.ndarray]]] = {t: [] for t in order}
        for inst in contractual:
            s = _supply(inst, mode, bins, bin_fn, el, reporting_year)
            if s is None:
                r.unmatchable_by_instrument[inst.id] = inst.volume_mwh
                r.not_time_stamped_mwh += inst.volume_mwh
            else:
                members[inst.type].append((inst, s))
        classes = [t for t in order if members[t]]
        class_supply = [np.sum([s for _, s in members[t]], axis=0) for t in classes]
        matched, remaining = match_hierarchy(demand, class_supply)
        carbon_free = 0.0
        renewable = 0.0
        for t, m, supply in zip(classes, matched, class_supply):
            stack = np.stack([s for _, s in members[t]])
            per = allocate(m, stack)
            r.matched_by_type[t] = float(m.sum())
            for (inst, s), mi in zip(members[t], per):
                r.matched_by_instrument[inst.id] = float(mi)
                r.excess_by_instrument[inst.id] = float(inst.volume_mwh - mi)
                r.supply_mwh += float(s.sum())
                reduction = float(mi) * (residual - inst.factor_tco2_per_mwh)
                if t in UNBUNDLED_TYPES:
                    r.certificates_tco2e += reduction
                else:
                    r.green_electricity_tco2e += reduction
                r.market_based_tco2e += float(mi) * inst.factor_tco2_per_mwh
                if inst.factor_tco2_per_mwh == 0.0:
                    carbon_free += float(mi)
                if inst.renewable:
                    renewable += float(mi)
        r.matched_mwh = float(sum(r.matched_by_type.values()))
        r.unmatched_mwh = float(remaining.sum())
        r.unmatched_tco2e = r.unmatched_mwh * residual
        r.market_based_tco2e += r.unmatched_tco2e
        r.excess_mwh = r.supply_mwh - r.matched_mwh
        score = cfe_score(onsite + carbon_free, consumed)
        r.cfe_score = None if np.isnan(score) else score
        share = cfe_score(onsite + renewable, consumed)
        r.renewable_share = None if np.isnan(share) else share
        results[mode] = r
    return results
