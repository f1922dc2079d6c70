"""Uncertainty of a result: seeded Monte Carlo on line-item totals, with IPCC approach 1 beside it.

Sources of uncertainty (each one *parameter*, one random draw per Monte Carlo iteration, shared
by every line that uses it, so correlations are explicit):

- a default factor with a published 95 % range: the table ``factors/uncertainty/*.toml``
  (IPCC 2006 Vol. 2 ch. 1 Tables 1.2 and 1.3 for fuel NCV and carbon content); keys whose
  sources publish none are listed there under ``[[none]]`` with the reason, and are held fixed;
  factors measured by the factory (实测) are held fixed (their uncertainty is the measurement's);
- a meter with a declared ``accuracy_class`` (:mod:`carbon_core.meter_accuracy`): one error for
  the meter over the whole year.

Each parameter is a relative error ``d ~ Normal(0, u / 1.96)`` where ``u`` is the relative
half-width of its 95 % interval. A line item's emissions are ``E x prod(1 + d_p)`` over the
parameters it rests on (activity x factor is a product: a relative error enters as a factor).
Draws act on line-item totals, never on the meter series: a line resting on one parameter is
linear in it, so all such lines enter through one matrix product (draws x parameters) @
(parameters x sums); lines on several parameters (NCV x carbon content) are multiplied out. From
the line items the draws rebuild Scope 1, Scope 2 location-based, Scope 2 market-based (the
balance's unmatched grid volume moves with the grid meters' errors and is valued at the residual
factor), the balance's net (gross minus green electricity, certificates and offsets, which are
contractual volumes without error) and the intensities (energy in tce moves with the NCVs and the
meters).

Approach 1 (IPCC 2006 Vol. 1 ch. 3 §3.2.3.1) is reported beside the Monte Carlo: Eq. 3.1
(products: relative uncertainties add in quadrature) inside a line item and Eq. 3.2 (sums:
absolute uncertainties add in quadrature) across line items, with the contributions of one shared
parameter added before squaring (a parameter used by many lines is one source, as IPCC advises for
correlated inputs). For a ratio the same first-order rule applies to numerator and denominator
together. On linear quantities the two agree within the Monte Carlo's sampling error.

References
----------
IPCC 2006 Guidelines, Vol. 1 ch. 3 (Uncertainties), Eq. 3.1 and 3.2, §3.2.3.2 (approach 2, Monte
Carlo); Vol. 2 ch. 1 Tables 1.2, 1.3; IEC 62053-21/-22 (GB/T 17215.321/.322).

Examples
--------
>>> import numpy as np
>>> q = approach1_sum([100.0, 50.0], [0.05, 0.10])   # two independent sources, 95 % half-widths
>>> round(q, 6)  # sqrt((100*0.05)^2 + (50*0.10)^2)
7.071068
"""

from __future__ import annotations

import math
import tomli
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Mapping

import numpy as np

from .errors import InputError, Problem
from .meter_accuracy import ACCURACY_CLASSES

__all__ = ["UncertaintyTable", "Parameter", "Model", "load_table", "build_model", "propagate",
           "approach1_sum", "print_uncertainty", "Z95"]

#: Two-sided 95 % quantile of the standard normal distribution.
Z95 = 1.959963984540054
_CHUNK = 2048  # draws per block: bounds memory at about CHUNK x parameters floats


def approach1_sum(values: Iterable[float], relative_u95: Iterable[float]) -> float:
    """IPCC 2006 Vol. 1 Eq. 3.2: 95 % half-width of a sum of independent quantities.

    Parameters
    ----------
    values : iterable of float
        The quantities x_i.
    relative_u95 : iterable of float
        Their relative 95 % half-widths U_i (0.05 = 5 %).

    Returns
    -------
    float
        ``sqrt(sum((U_i x_i)^2))``, absolute.

    References
    ----------
    IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 1 ch. 3, Eq. 3.2
    (approach 1, uncertainty of a sum).
    """
    return math.sqrt(math.fsum((u * x) ** 2 for x, u in zip(values, relative_u95)))


@dataclass(frozen=True)
class Parameter:
    """One source of uncertainty: a factor key or a meter.

    Attributes
    ----------
    id : str
        The parameter's id: the factor key, or ``meter:<id>``.
    kind : str
        ``"factor"`` or ``"meter"``.
    relative_u95 : float
        Relative half-width of its 95 % interval [1] (0.05 = ±5 %).
    source : str
        Where the range comes from (the publisher's table, or the meter's accuracy class).
    confidence : str
        The confidence mark of the range (C, S, M, X), if the table gives one.
    """

    id: str
    kind: str          # "factor" or "meter"
    relative_u95: float
    source: str
    confidence: str = ""


@dataclass
class UncertaintyTable:
    """Published ranges by factor key, and the keys that have none (with the reason).

    Attributes
    ----------
    ranges : dict of str to dict
        Factor key -> ``relative_u95`` [1], ``default``, ``lower``, ``upper`` (in ``unit``),
        ``confidence`` and ``citation``.
    none : list of (str, str)
        Key prefixes whose sources publish no range, with the reason (held fixed).
    source : dict
        The ``[source]`` table of the last file read.
    files : list of str
        The files read.
    """

    ranges: dict[str, dict] = field(default_factory=dict)
    none: list[tuple[str, str]] = field(default_factory=list)
    source: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def lookup(self, key: str) -> tuple[dict | None, str | None]:
        """(range row, None) for a key with a published range; (None, reason) otherwise.

        Parameters
        ----------
        key : str
            A factor key.

        Returns
        -------
        row : dict or None
            The published range, when there is one.
        reason : str or None
            Otherwise why there is none (a ``[[none]]`` prefix's reason, or no entry at all).
        """
        if key in self.ranges:
            return self.ranges[key], None
        for prefix, reason in self.none:
            if key.startswith(prefix):
                return None, reason
        return None, "no entry in the uncertainty table"


def load_table(texts: Iterable[tuple[str, str]] | None = None) -> UncertaintyTable:
    """Read the uncertainty tables (default: every ``factors/uncertainty/*.toml``).

    Parameters
    ----------
    texts : iterable of (name, text), optional
        TOML texts to read instead of the shipped files (a bundle's copy, a test).

    Raises
    ------
    InputError
        A malformed row (every problem at once).
    """
    if texts is None:
        root = resources.files("carbon_core_factors") / "uncertainty"
        texts = [(e.name, e.read_text(encoding="utf-8")) for e in sorted(
            root.iterdir(), key=lambda e: e.name) if e.name.endswith(".toml")]
    table = UncertaintyTable()
    problems: list[Problem] = []
    for name, text in texts:
        data = tomli.loads(text)
        if data.get("schema") != "carbon_core.uncertainty/1":
            problems.append(Problem(name, "not an uncertainty table", field="schema",
                                    found=data.get("schema"),
                                    expected="'carbon_core.uncertainty/1'"))
            continue
        table.files.append(name)
        src = data.get("source", {})
        table.source = src
        for i, row in enumerate(data.get("parameter", [])):
            d, lo, hi = row.get("default"), row.get("lower"), row.get("upper")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in (d, lo, hi)) or not (0 < lo <= d <= hi):
                problems.append(Problem(name, "bad range", row=f"parameter[{i}]",
                                        field="default/lower/upper", found=(d, lo, hi),
                                        expected="numbers with 0 < lower <= default <= upper"))
                continue
            table.ranges[row["key"]] = {
                "relative_u95": (hi - lo) / (2.0 * d), "default": d, "lower": lo, "upper": hi,
                "unit": row.get("unit", ""), "confidence": row.get("confidence", ""),
                "citation": f"{src.get('publisher', '')} {row.get('table', '')}".strip()}
        for row in data.get("none", []):
            table.none.append((str(row["prefix"]), str(row["reason"])))
    if problems:
        raise InputError(problems)
    return table


@dataclass
class Model:
    """The linear-multiplicative model of one result, ready for draws.

    ``terms`` are summands (value and the parameters they rest on) grouped into named sums;
    :meth:`quantities` turns group sums into the reported quantities.

    Attributes
    ----------
    parameters : list of Parameter
        Every source of uncertainty, one random draw each per iteration.
    term_value : numpy.ndarray
        Shape (T,): the value of each summand [tCO2e, or tce for energy terms].
    term_group : list of str
        Shape (T,): the named sum each summand belongs to (Scope 1, the grid's unmatched
        volume ...).
    pairs : list of (int, int)
        ``(term, parameter)``: the parameters each summand rests on.
    base : dict of str to float
        Constants of the quantities (residual factor, green volumes, offsets, output, value added).
    line_parameters : dict of str to list of str
        Line item id -> the parameter ids it rests on.
    without : list of dict
        Factors held fixed, each with the reason (no published range, or measured).
    """

    parameters: list[Parameter]
    term_value: np.ndarray          # (T,)
    term_group: list[str]           # (T,)
    pairs: list[tuple[int, int]]    # (term, parameter)
    base: dict[str, float]          # constants of the quantities
    line_parameters: dict[str, list[str]]
    without: list[dict]

    def groups(self) -> list[str]:
        """The names of the sums, sorted."""
        return sorted(set(self.term_group))


def _meter_kwh(res) -> dict[str, float]:
    ds = res.dataset
    vals = ds["activity"].values.sum(axis=1)
    return {str(m): float(v) for m, v in zip(ds["meter"].values, vals)}


def build_model(res, table: UncertaintyTable | None = None) -> Model:
    """The parameters and terms of a result (see the module docstring).

    Parameters
    ----------
    res : Results
        A computed result.
    table : UncertaintyTable, optional
        The published ranges (default: :func:`load_table`).

    Returns
    -------
    Model
    """
    table = table or load_table()
    inv = res.inventory
    params: dict[str, Parameter] = {}
    without: dict[str, dict] = {}

    def factor_param(key: str, measured: bool) -> str | None:
        if measured:
            without.setdefault(key, {"key": key, "reason": "measured by the factory (实测): its "
                                     "uncertainty is the measurement's, not declared"})
            return None
        row, reason = table.lookup(key)
        if row is None:
            without.setdefault(key, {"key": key, "reason": reason})
            return None
        pid = f"factor:{key}"
        params.setdefault(pid, Parameter(pid, "factor", row["relative_u95"],
                                         f"{row['citation']} ({row['lower']}-{row['upper']} "
                                         f"around {row['default']} {row['unit']}, applied as a "
                                         "relative range)", row["confidence"]))
        return pid

    def meter_param(source: str) -> str | None:
        try:
            m = inv.meter(source)
        except KeyError:
            return None
        cls = getattr(m, "accuracy_class", None)
        if cls is None:
            return None
        pid = f"meter:{source}"
        pct, std = ACCURACY_CLASSES[cls]
        params.setdefault(pid, Parameter(pid, "meter", pct / 100.0,
                                         f"accuracy class {cls} ({std}): +-{pct} %"))
        return pid

    measured = {f["key"] for f in res.provenance.get("measured_factors", [])}
    values: list[float] = []
    groups: list[str] = []
    pairs_named: list[tuple[int, str]] = []
    line_params: dict[str, list[str]] = {}

    def term(value: float, group: str, plist: Iterable[str | None]) -> None:
        k = len(values)
        values.append(float(value))
        groups.append(group)
        for pid in dict.fromkeys(p for p in plist if p):
            pairs_named.append((k, pid))

    heat_cats = ("purchased_heat", "exported_heat")
    for li in res.line_items:
        plist = [factor_param(k, k in measured) for k in li.factor_keys]
        if not li.plugin:
            plist.append(meter_param(li.source))
        line_params[li.id] = [p for p in plist if p]
        group = {1: "S1", 3: "S3"}.get(li.scope, "S2heat" if li.category in heat_cats
                                        else "S2elec")
        term(li.emissions_tco2e, group, plist)
    # energy in tce: fuels by NCV and meter; net heat and electricity by their meters
    kwh = _meter_kwh(res)
    sign = {"grid_purchase": 1.0, "export": -1.0}
    for item in res.energy["items"]:
        if item["role"] == "fuel":
            plist = [factor_param(f.key, f.measured) for f in item.get("factors", ())
                     if f.key.endswith(".ncv")]
            term(item["tce_calorific"], "TCE", plist + [meter_param(item["id"])])
        elif item["role"] == "heat_net":
            rate = item["tce_calorific"] / item["activity"] if item["activity"] else 0.0
            rest = item["tce_calorific"]
            for li in res.line_items:
                if li.category in heat_cats:
                    gj = li.activity * (1.0 if li.category == "purchased_heat" else -1.0)
                    term(gj * rate, "TCE", [meter_param(li.source)])
                    rest -= gj * rate
            term(rest, "TCE", [])
        elif item["role"] == "electricity_net":
            rate = item["tce_calorific"] / item["activity"] if item["activity"] else 0.0
            rest = item["tce_calorific"]
            for m in inv.meters:
                s = sign.get(m.role, 1.0 if (m.role == "onsite_generation" and m.renewable)
                             else 0.0)
                if m.carrier == "electricity" and s:
                    term(s * kwh.get(m.id, 0.0) * rate, "TCE", [meter_param(m.id)])
                    rest -= s * kwh.get(m.id, 0.0) * rate
            term(rest, "TCE", [])
        else:
            term(item["tce_calorific"], "TCE", [])
    # market-based electricity: residual factor x unmatched grid volume of the balance's mode
    base = {"output": inv.production.output, "va": inv.production.value_added_wan_cny,
            "r": 0.0, "green": 0.0, "offsets": 0.0, "s3_in": 0.0, "has_balance": 0.0,
            "s2m_plain": res.scope2_market_tco2e}
    bal = res.balance
    if bal:
        mode = bal["matching"][bal["matching_for_balance"]]
        r = float(bal["residual_factor"]["value"])
        unmatched = float(mode["unmatched_mwh"])
        demand = float(mode["demand_mwh"]) or 1.0
        share = 1.0 if not mode.get("excess_mwh") else unmatched / demand
        rest = unmatched
        for m in inv.meters:
            if m.carrier == "electricity" and m.role == "grid_purchase":
                mwh = kwh.get(m.id, 0.0) / 1000.0 * share
                term(mwh, "U", [meter_param(m.id)])
                rest -= mwh
        term(rest, "U", [])
        base.update(r=r, green=float(bal["green_electricity_tco2e"] or 0.0)
                    + float(bal["certificates_tco2e"] or 0.0),
                    offsets=float(bal["offsets_tco2e"] or 0.0),
                    s3_in=1.0 if bal["gross_components"].get("scope3_tco2e") else 0.0,
                    has_balance=1.0)
    index = {pid: i for i, pid in enumerate(params)}
    pairs = [(t, index[pid]) for t, pid in pairs_named]
    return Model(parameters=list(params.values()), term_value=np.asarray(values, float),
                 term_group=groups, pairs=pairs, base=base, line_parameters=line_params,
                 without=sorted(without.values(), key=lambda d: d["key"]))


def _quantities(g: Mapping[str, np.ndarray], base: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Reported quantities from group sums (arrays over draws)."""
    zero = np.zeros_like(next(iter(g.values())))
    s1, s3 = g.get("S1", zero), g.get("S3", zero)
    s2elec, s2heat = g.get("S2elec", zero), g.get("S2heat", zero)
    s2loc = s2elec + s2heat
    tce = g.get("TCE", zero)
    if base["has_balance"]:
        s2m = s2heat + base["r"] * np.maximum(g.get("U", zero), 0.0)
        net = s1 + s2m + base["s3_in"] * s3 - base["offsets"]
    else:
        s2m = s2loc + 0.0
        net = None
    total = s1 + s2loc
    out = {"scope1_tco2e": s1, "scope2_location_tco2e": s2loc, "scope2_market_tco2e": s2m,
           "energy_tce_calorific": tce}
    if net is not None:
        out["balance_net_tco2e"] = net
    with np.errstate(divide="ignore", invalid="ignore"):
        if base["output"]:
            out["intensity.tco2e_per_output"] = total / base["output"]
            out["intensity.tce_per_output"] = tce / base["output"]
        if base["va"]:
            out["intensity.tco2e_per_wan_cny"] = total / base["va"]
            out["intensity.tce_per_wan_cny"] = tce / base["va"]
        out["intensity.tco2e_per_tce"] = np.where(tce != 0, total / np.where(tce != 0, tce, 1.0),
                                                  np.nan)
        out["intensity.market_tco2e_per_tce"] = np.where(
            tce != 0, (s1 + s2m) / np.where(tce != 0, tce, 1.0), np.nan)
    return out


def _linear_parts(model: Model):
    """Split the model for fast draws.

    Terms resting on at most one parameter are linear in it: their group sums are
    ``constant + delta @ W`` (one matrix product for all draws). Terms resting on several
    parameters (a fuel line: NCV x carbon content) get explicit multipliers.
    """
    groups = model.groups()
    col = {g: j for j, g in enumerate(groups)}
    n_p = len(model.parameters)
    by_term: dict[int, list[int]] = {}
    for t, p in model.pairs:
        by_term.setdefault(t, []).append(p)
    const = np.zeros(len(groups))
    w = np.zeros((n_p, len(groups)))
    multi_terms: list[int] = []
    for t, (v, g) in enumerate(zip(model.term_value, model.term_group)):
        plist = by_term.get(t, [])
        if len(plist) <= 1:
            const[col[g]] += v
            if plist:
                w[plist[0], col[g]] += v
        else:
            multi_terms.append(t)
    multi = [(model.term_value[t], col[model.term_group[t]], np.array(by_term[t]))
             for t in multi_terms]
    return groups, const, w, multi


def _group_sums(parts, delta: np.ndarray) -> dict[str, np.ndarray]:
    """Group sums for a block of draws of the relative errors ``delta`` (draws x parameters)."""
    groups, const, w, multi = parts
    sums = const[None, :] + (delta @ w if delta.shape[1] else 0.0)
    for value, j, prm in multi:
        sums[:, j] += value * np.prod(1.0 + delta[:, prm], axis=1)
    return {g: sums[:, j] for j, g in enumerate(groups)}


def _approach1(model: Model) -> dict[str, float]:
    """First-order 95 % half-widths (IPCC Eq. 3.1/3.2, shared parameters added before squaring)."""
    g0 = {g: np.array([model.term_value[np.asarray(model.term_group) == g].sum()])
          for g in model.groups()}
    q0 = _quantities(g0, model.base)
    # dG_g / d delta_p = sum of the values of the terms of g resting on p
    sens = {g: np.zeros(len(model.parameters)) for g in model.groups()}
    for t, p in model.pairs:
        sens[model.term_group[t]][p] += model.term_value[t]
    # dQ / dG_g numerically (central differences; the quantities are smooth at the point)
    jac: dict[str, dict[str, float]] = {q: {} for q in q0}
    for g in model.groups():
        h = max(abs(float(g0[g][0])) * 1e-6, 1e-9)
        up = {k: v + (h if k == g else 0.0) for k, v in g0.items()}
        dn = {k: v - (h if k == g else 0.0) for k, v in g0.items()}
        qu, qd = _quantities(up, model.base), _quantities(dn, model.base)
        for q in q0:
            jac[q][g] = float((qu[q][0] - qd[q][0]) / (2 * h))
    sigma = np.array([p.relative_u95 / Z95 for p in model.parameters])
    out = {}
    for q in q0:
        grad = sum((jac[q][g] * sens[g] for g in model.groups()), np.zeros(len(sigma)))
        out[q] = float(Z95 * math.sqrt(float(np.sum((grad * sigma) ** 2))))
    return out


def propagate(res, *, draws: int = 10_000, seed: int = 0,
              table: UncertaintyTable | None = None) -> dict[str, Any]:
    """Monte Carlo (seeded, vectorized) and approach-1 uncertainty of a result.

    Parameters
    ----------
    res : Results
        A computed result (:func:`carbon_core.compute`).
    draws : int
        Monte Carlo iterations (at least 100).
    seed : int
        Seed of :func:`numpy.random.default_rng` (PCG64): the same seed, draws, result and
        table give the same digits.
    table : UncertaintyTable, optional
        Default: :func:`load_table` (the shipped ranges).

    Returns
    -------
    dict
        The ``uncertainty`` section of the results JSON: method, parameters, the factors without
        published uncertainty, and per quantity the value, the Monte Carlo mean, 2.5 and 97.5
        percentiles, the standard error of the mean, and the approach-1 half-width.
    """
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 100:
        raise InputError([Problem("uncertainty", "too few Monte Carlo draws", field="draws",
                                  found=draws, expected="an integer >= 100")])
    model = build_model(res, table)
    rng = np.random.default_rng(seed)
    sigma = np.array([p.relative_u95 / Z95 for p in model.parameters])
    parts = _linear_parts(model)
    blocks: dict[str, list[np.ndarray]] = {}
    done = 0
    while done < draws:
        n = min(_CHUNK, draws - done)
        z = rng.standard_normal((n, len(sigma))) if len(sigma) else np.zeros((n, 0))
        z *= sigma[None, :]
        for q, v in _quantities(_group_sums(parts, z), model.base).items():
            blocks.setdefault(q, []).append(v)
        done += n
    a1 = _approach1(model)
    g0 = {g: np.array([model.term_value[np.asarray(model.term_group) == g].sum()])
          for g in model.groups()}
    q0 = _quantities(g0, model.base)
    quantities = {}
    for q, parts in blocks.items():
        v = np.concatenate(parts)
        value = float(q0[q][0])
        lo, hi = (float(x) for x in np.percentile(v, [2.5, 97.5]))
        quantities[q] = {
            "value": value, "mc_mean": float(v.mean()), "mc_p2_5": lo, "mc_p97_5": hi,
            "mc_std": float(v.std(ddof=1)),
            "mc_standard_error_of_mean": float(v.std(ddof=1) / math.sqrt(v.size)),
            "approach1_half_width_95": a1[q],
            "approach1_relative_95": (a1[q] / abs(value)) if value else None}
    return {
        "method": ("Monte Carlo (IPCC 2006 Vol. 1 ch. 3 approach 2) on line-item totals; "
                   "approach 1 (Eq. 3.1/3.2) beside it as a cross-check"),
        "draws": draws, "seed": seed, "generator": "numpy PCG64 (default_rng)",
        "distribution": "normal relative errors, sigma = 95 % half-width / 1.96; one draw per "
                        "parameter and iteration, shared by every line using it",
        "confidence_level": 0.95,
        "tables": list((table or load_table()).files),
        "parameters": [{"id": p.id, "kind": p.kind, "relative_u95": p.relative_u95,
                        "source": p.source, "confidence": p.confidence}
                       for p in model.parameters],
        "without_uncertainty": model.without,
        "not_modelled": ["production output and value added (denominators) are exact",
                         "contractual volumes (green electricity, certificates, offsets) are "
                         "exact", "activities by invoice carry no declared uncertainty",
                         "meters without accuracy_class are exact"],
        "line_items": model.line_parameters,
        "quantities": quantities,
    }


def print_uncertainty(section: dict, console) -> None:
    """The uncertainty section on the terminal (mean and 95 % interval, approach 1 beside).

    Parameters
    ----------
    section : dict
        The ``uncertainty`` section (:func:`propagate`).
    console : rich.console.Console
        Where the table is printed.
    """
    from rich.table import Table

    t = Table(title=f"不确定性 Uncertainty: {section['draws']} draws, seed {section['seed']} "
                    "(95 %)")
    for col in ("quantity", "value", "MC mean", "MC 2.5 %", "MC 97.5 %", "approach 1 ±"):
        t.add_column(col, justify="right" if col != "quantity" else "left", overflow="fold")
    for q, d in section["quantities"].items():
        t.add_row(q, f"{d['value']:,.6g}", f"{d['mc_mean']:,.6g}", f"{d['mc_p2_5']:,.6g}",
                  f"{d['mc_p97_5']:,.6g}", f"{d['approach1_half_width_95']:,.4g}")
    console.print(t)
    if section["without_uncertainty"]:
        console.print("held fixed (no published uncertainty): " + ", ".join(
            w["key"] for w in section["without_uncertainty"]), highlight=False)
