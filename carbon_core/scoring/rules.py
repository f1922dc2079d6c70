"""Scoring rules: how one second-level indicator turns a value into a share of its points.

A rule is data in the indicator-system file (``rule = { type = "linear", ... }``). Each rule type is a
small class registered in :data:`RULES` by :func:`register_rule`; the loader looks the type up there,
so a new rule type never needs an edit of the loader or the evaluator.

Every rule answers two questions about a value:

``fraction(value)``
    the share of the indicator's points earned, in [0, 1];
``met(value)``
    whether the indicator's requirement is met (what a mandatory 必选 item needs). For a threshold
    or met/not-met rule this is the same as full marks; for graded rules it is "at or better than the
    entry level": the baseline value 基准值 (``linear``), the lowest tier (``steps``), the target
    (``ratio``).

Rules never see missing values: the evaluator handles None / NaN before calling them. Comparisons
with a threshold use a relative tolerance of ``REL_TOL`` (1e-12), so a derived value that lands on a
threshold up to rounding (``1 - 0.45/0.5``) counts as reaching it.

Examples
--------
>>> rule = LinearRule(baseline=0.5, leading=1.0)
>>> rule.fraction(0.75), rule.met(0.75), rule.met(0.4)
(0.5, True, False)
>>> rule = StepsRule(steps=((0.03, 0.5), (0.05, 1.0)), higher_is_better=True)
>>> rule.fraction(0.04), rule.fraction(0.05), rule.fraction(0.01)
(0.5, 1.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

from carbon_core.schema import suggest

__all__ = [
    "Rule",
    "MetRule",
    "ThresholdRule",
    "StepsRule",
    "LinearRule",
    "RatioRule",
    "RULES",
    "register_rule",
    "RuleContext",
    "REL_TOL",
]


@dataclass
class RuleContext:
    """What a rule parser needs to report problems and to read tier points.

    Parameters
    ----------
    report : callable
        ``report(message, field=..., found=..., expected=...)``; adds a problem at the rule's location.
    points : float or None
        The indicator's points, for ``steps`` tiers written in points rather than fractions.
    """

    report: Callable[..., None]
    points: float | None = None


class Rule:
    """Base class of scoring rules.

    Subclasses set ``type`` (the name used in files), ``value_kind`` (``"number"`` or ``"bool"``),
    implement :meth:`fraction`, :meth:`met`, :meth:`describe`, :meth:`params` and the classmethod
    :meth:`parse`, and are registered with :func:`register_rule`.
    """

    type: ClassVar[str] = ""
    value_kind: ClassVar[str] = "number"
    #: True: a higher value never scores less; False: a lower value never scores less;
    #: None: no direction (met / not met, equality).
    higher_is_better: bool | None = None

    def fraction(self, value: Any) -> float:  # pragma: no cover - abstract
        """The share of the indicator's points ``value`` earns.

        Parameters
        ----------
        value : float or bool
            The indicator's value (never None or NaN: the evaluator handles those), in the unit of
            its metric; a boolean for ``value_kind = "bool"`` rules.

        Returns
        -------
        float
            In [0, 1].
        """
        raise NotImplementedError

    def met(self, value: Any) -> bool:  # pragma: no cover - abstract
        """Whether ``value`` meets the indicator's requirement (what a mandatory item needs).

        Parameters
        ----------
        value : float or bool
            As for :meth:`fraction`.

        Returns
        -------
        bool
            Full marks for threshold and met rules; at or better than the entry level (baseline,
            lowest tier, target) for graded rules.
        """
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        """The rule in words, for reports and ``carbon score`` (Chinese terms beside English)."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The rule's parameters as written in the indicator-system file (without ``type``)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """``type``, the parameters and the text: the rule as the score JSON records it."""
        return {"type": self.type, **self.params(), "text": self.describe()}

    @classmethod
    def parse(cls, table: Mapping[str, Any], ctx: RuleContext) -> "Rule | None":  # pragma: no cover
        """The rule of a ``rule = {...}`` table, or None after reporting its problems.

        Parameters
        ----------
        table : mapping
            The ``rule`` table of one indicator, without its ``type`` key checked again.
        ctx : RuleContext
            Where problems are reported, and the indicator's points.

        Returns
        -------
        Rule or None
            None when any problem was reported (every problem of the table is reported, not only the
            first).
        """
        raise NotImplementedError


#: Rule types by the name used in indicator-system files.
RULES: dict[str, type[Rule]] = {}


def register_rule(cls: type[Rule]) -> type[Rule]:
    """Class decorator: register a rule type under ``cls.type``; a duplicate name is an error."""
    if not cls.type:
        raise ValueError(f"{cls.__name__} has no 'type' name")
    if cls.type in RULES and RULES[cls.type] is not cls:
        raise ValueError(
            f"rule type {cls.type!r} is already registered by {RULES[cls.type].__name__}")
    RULES[cls.type] = cls
    return cls


# --------------------------------------------------------------------------------------- helpers

_DIRECTIONS = {"higher_is_better": True, "lower_is_better": False}


#: Relative tolerance of comparisons with a threshold: a value computed as 1 - 0.45/0.5
#: (0.09999999999999998) reaches a 0.10 tier. Far below any meaningful difference in a metric.
REL_TOL = 1e-12


def _close(v: float, t: float) -> bool:
    return abs(v - t) <= REL_TOL * max(abs(v), abs(t)) or abs(v - t) <= 1e-15


def _ge(v: float, t: float) -> bool:
    return v >= t or _close(v, t)


def _le(v: float, t: float) -> bool:
    return v <= t or _close(v, t)


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number(table, key, ctx, *, required=True, default=None):
    if key not in table:
        if required:
            ctx.report("missing rule parameter", field=f"rule.{key}", expected="a number")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        ctx.report("rule parameter is not a finite number", field=f"rule.{key}", found=value,
                   expected="a number")
        return default
    return float(value)


def _direction(table, ctx, *, required=True):
    if "direction" not in table:
        if required:
            ctx.report("missing rule parameter", field="rule.direction",
                       expected="'higher_is_better' or 'lower_is_better'")
        return None
    value = table["direction"]
    if value not in _DIRECTIONS:
        ctx.report("unknown direction", field="rule.direction", found=value,
                   expected="'higher_is_better' or 'lower_is_better'")
        return None
    return _DIRECTIONS[value]


def _unknown_keys(table, allowed, ctx) -> bool:
    """Report unknown parameters; True if there were any."""
    bad = False
    for key in table:
        if key not in allowed and key != "type":
            close = suggest(key, allowed)
            ctx.report("unknown rule parameter" + (f"; did you mean {close!r}?" if close else ""),
                       field=f"rule.{key}", found=key,
                       expected="one of " + (", ".join(sorted(allowed)) or "no parameters"))
            bad = True
    return bad


# ----------------------------------------------------------------------------------------- rules


@register_rule
@dataclass(frozen=True)
class MetRule(Rule):
    """Met / not met (满足 / 不满足): full points when the declared evidence is true.

    Reads a boolean (declared evidence). ``rule = { type = "met" }``.

    >>> MetRule().fraction(True), MetRule().fraction(False)
    (1.0, 0.0)
    """

    type: ClassVar[str] = "met"
    value_kind: ClassVar[str] = "bool"

    def fraction(self, value):
        """See :meth:`Rule.fraction`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.fraction`.
        """
        return 1.0 if value is True else 0.0

    def met(self, value):
        """See :meth:`Rule.met`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.met`.
        """
        return value is True

    def describe(self):
        """See :meth:`Rule.describe`."""
        return "met / not met (满足得满分)"

    def params(self):
        """See :meth:`Rule.params`."""
        return {}

    @classmethod
    def parse(cls, table, ctx):
        """See :meth:`Rule.parse`.

        Parameters
        ----------
        table : mapping
            As for :meth:`Rule.parse`.
        ctx : RuleContext
            As for :meth:`Rule.parse`.
        """
        return None if _unknown_keys(table, set(), ctx) else cls()


_OPS: dict[str, tuple[Callable[[float, float], bool], bool | None]] = {
    ">=": (_ge, True),
    ">": (lambda v, t: not _le(v, t), True),
    "<=": (_le, False),
    "<": (lambda v, t: not _ge(v, t), False),
    "==": (_close, None),
}


@register_rule
@dataclass(frozen=True)
class ThresholdRule(Rule):
    """A threshold (门槛): full points when ``value <op> value``, else none.

    ``rule = { type = "threshold", op = "<=", value = 0 }``; ``op`` is one of >=, >, <=, <, ==.

    Attributes
    ----------
    op : str
        The comparison: ``>=``, ``>``, ``<=``, ``<`` or ``==``.
    threshold : float
        The threshold, in the metric's unit (``value`` in the file).

    Examples
    --------
    >>> r = ThresholdRule(op="<=", threshold=0.0)
    >>> r.fraction(0.0), r.fraction(1e-9), r.higher_is_better
    (1.0, 0.0, False)
    """

    type: ClassVar[str] = "threshold"
    op: str = ">="
    threshold: float = 0.0

    @property
    def higher_is_better(self):  # type: ignore[override]
        """True for ``>=`` and ``>``, False for ``<=`` and ``<``, None for ``==``."""
        return _OPS[self.op][1]

    def fraction(self, value):
        """See :meth:`Rule.fraction`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.fraction`.
        """
        return 1.0 if _OPS[self.op][0](value, self.threshold) else 0.0

    def met(self, value):
        """See :meth:`Rule.met`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.met`.
        """
        return _OPS[self.op][0](value, self.threshold)

    def describe(self):
        """See :meth:`Rule.describe`."""
        return f"full points if value {self.op} {_fmt(self.threshold)}, else 0 (门槛)"

    def params(self):
        """See :meth:`Rule.params`."""
        return {"op": self.op, "value": self.threshold}

    @classmethod
    def parse(cls, table, ctx):
        """See :meth:`Rule.parse`.

        Parameters
        ----------
        table : mapping
            As for :meth:`Rule.parse`.
        ctx : RuleContext
            As for :meth:`Rule.parse`.
        """
        bad = _unknown_keys(table, {"op", "value"}, ctx)
        op = table.get("op")
        if op not in _OPS:
            ctx.report("missing or unknown comparison", field="rule.op", found=op,
                       expected="one of " + ", ".join(_OPS))
        threshold = _number(table, "value", ctx)
        if op not in _OPS or threshold is None or bad:
            return None
        return cls(op=op, threshold=threshold)


@register_rule
@dataclass(frozen=True)
class StepsRule(Rule):
    """Tiered steps (分档): the best tier reached gives its share of the points.

    ``rule = { type = "steps", direction = "higher_is_better", steps = [{ at = 0.03, fraction = 0.5 },
    { at = 0.05, fraction = 1.0 }] }``. A tier may give ``points`` instead of ``fraction`` (converted
    with the indicator's points). A value is "met" once it reaches the lowest tier.

    Attributes
    ----------
    steps : tuple of (float, float)
        ``(threshold, fraction)`` tiers, any order; thresholds in the metric's unit, fractions in
        (0, 1], the best tier 1.
    higher_is_better : bool
        A tier is reached at or above its threshold (else at or below).

    Examples
    --------
    >>> r = StepsRule(steps=((0.2, 1.0), (0.3, 0.5)), higher_is_better=False)
    >>> r.fraction(0.25), r.fraction(0.2), r.fraction(0.31), r.met(0.3)
    (0.5, 1.0, 0.0, True)
    """

    type: ClassVar[str] = "steps"
    #: (threshold, fraction) pairs, any order.
    steps: tuple[tuple[float, float], ...] = ()
    higher_is_better: bool = True  # type: ignore[assignment]

    def _reached(self, value, at):
        return _ge(value, at) if self.higher_is_better else _le(value, at)

    def fraction(self, value):
        """See :meth:`Rule.fraction`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.fraction`.
        """
        best = 0.0
        for at, frac in self.steps:
            if self._reached(value, at) and frac > best:
                best = frac
        return best

    def met(self, value):
        """See :meth:`Rule.met`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.met`.
        """
        return any(self._reached(value, at) for at, _ in self.steps)

    def describe(self):
        """See :meth:`Rule.describe`."""
        op = ">=" if self.higher_is_better else "<="
        order = sorted(self.steps, reverse=not self.higher_is_better)
        tiers = "; ".join(f"{op} {_fmt(at)}: {_fmt(f)}" for at, f in order)
        return f"tiered steps (分档), share of points: {tiers}; otherwise 0"

    def params(self):
        """See :meth:`Rule.params`."""
        return {"direction": "higher_is_better" if self.higher_is_better else "lower_is_better",
                "steps": [{"at": at, "fraction": f} for at, f in self.steps]}

    @classmethod
    def parse(cls, table, ctx):
        """See :meth:`Rule.parse`.

        Parameters
        ----------
        table : mapping
            As for :meth:`Rule.parse`.
        ctx : RuleContext
            As for :meth:`Rule.parse`.
        """
        bad = _unknown_keys(table, {"direction", "steps"}, ctx)
        hib = _direction(table, ctx)
        raw = table.get("steps")
        if not isinstance(raw, list) or not raw:
            ctx.report("steps must be a non-empty list of tiers", field="rule.steps", found=raw,
                       expected="[{ at = <number>, fraction = <0..1> }, ...]")
            return None
        steps, ok = [], True
        for i, tier in enumerate(raw):
            f = f"rule.steps[{i + 1}]"
            if not isinstance(tier, dict):
                ctx.report("tier is not a table", field=f, found=tier,
                           expected="{ at = <number>, fraction = <0..1> }")
                ok = False
                continue
            extra = set(tier) - {"at", "fraction", "points"}
            if extra:
                ctx.report("unknown tier key", field=f, found=sorted(extra),
                           expected="at, fraction or points")
                ok = False
            at = tier.get("at")
            if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at):
                ctx.report("tier threshold is not a finite number", field=f + ".at", found=at,
                           expected="a number")
                ok = False
            if ("fraction" in tier) == ("points" in tier):
                ctx.report("a tier gives exactly one of 'fraction' or 'points'", field=f,
                           found=sorted(tier), expected="fraction or points")
                ok = False
                continue
            if "fraction" in tier:
                frac = tier["fraction"]
                if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 < frac <= 1:
                    ctx.report("tier fraction outside (0, 1]", field=f + ".fraction", found=frac,
                               expected="a number in (0, 1]")
                    ok = False
                    continue
            else:
                pts = tier["points"]
                if (isinstance(pts, bool) or not isinstance(pts, (int, float))
                        or ctx.points is None or not 0 < pts <= ctx.points):
                    ctx.report("tier points outside (0, indicator points]", field=f + ".points",
                               found=pts, expected=f"a number in (0, {ctx.points}]")
                    ok = False
                    continue
                frac = pts / ctx.points
            if ok and isinstance(at, (int, float)):  # ok: ``at`` was checked above
                steps.append((float(at), float(frac)))
        if not ok or hib is None or bad:
            return None
        ats = [at for at, _ in steps]
        if len(set(ats)) != len(ats):
            ctx.report("two tiers have the same threshold", field="rule.steps", found=ats,
                       expected="distinct thresholds")
            return None
        # monotone: a better threshold never gives a smaller share
        order = sorted(steps, reverse=not hib)  # worst tier first
        fracs = [f for _, f in order]
        if any(b < a for a, b in zip(fracs, fracs[1:])):
            ctx.report("a better tier gives fewer points", field="rule.steps",
                       found=[{"at": a, "fraction": f} for a, f in order],
                       expected="shares that do not decrease as the threshold gets better")
            return None
        if abs(fracs[-1] - 1.0) > 1e-9:
            ctx.report("the best tier does not give full points", field="rule.steps",
                       found=fracs[-1], expected="fraction 1.0 (or the indicator's points)")
            return None
        return cls(steps=tuple(steps), higher_is_better=hib)


@register_rule
@dataclass(frozen=True)
class LinearRule(Rule):
    """Piecewise-linear between a baseline value 基准值 and a leading value 引领值.

    ``rule = { type = "linear", baseline = 0.3, leading = 1.0, at_baseline = 0.0 }``. The direction
    follows from the two values (leading > baseline: higher is better). Worse than the baseline: 0;
    at the baseline: ``at_baseline`` (default 0); linear up to 1 at the leading value; full beyond.
    Met = at or better than the baseline.

    Attributes
    ----------
    baseline : float
        The baseline value 基准值, in the metric's unit.
    leading : float
        The leading value 引领值 (full points), in the metric's unit.
    at_baseline : float
        The share of the points at the baseline, in [0, 1).

    Examples
    --------
    >>> r = LinearRule(baseline=1.0, leading=0.2, at_baseline=0.2)
    >>> r.fraction(1.0), round(r.fraction(0.6), 12), r.fraction(0.1), r.fraction(1.01)
    (0.2, 0.6, 1.0, 0.0)
    """

    type: ClassVar[str] = "linear"
    baseline: float = 0.0
    leading: float = 1.0
    at_baseline: float = 0.0

    @property
    def higher_is_better(self):  # type: ignore[override]
        """True when the leading value is above the baseline."""
        return self.leading > self.baseline

    def fraction(self, value):
        """See :meth:`Rule.fraction`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.fraction`.
        """
        if not self.met(value):
            return 0.0
        if (_ge if self.higher_is_better else _le)(value, self.leading):
            return 1.0
        t = (value - self.baseline) / (self.leading - self.baseline)
        return _clip01(self.at_baseline + (1.0 - self.at_baseline) * t)

    def met(self, value):
        """See :meth:`Rule.met`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.met`.
        """
        return _ge(value, self.baseline) if self.higher_is_better else _le(value, self.baseline)

    def describe(self):
        """See :meth:`Rule.describe`."""
        worse = "<" if self.higher_is_better else ">"
        return (f"linear from baseline 基准值 {_fmt(self.baseline)} "
                f"({_fmt(self.at_baseline)} of points) to leading 引领值 {_fmt(self.leading)} "
                f"(full); {worse} baseline: 0")

    def params(self):
        """See :meth:`Rule.params`."""
        return {"baseline": self.baseline, "leading": self.leading,
                "at_baseline": self.at_baseline}

    @classmethod
    def parse(cls, table, ctx):
        """See :meth:`Rule.parse`.

        Parameters
        ----------
        table : mapping
            As for :meth:`Rule.parse`.
        ctx : RuleContext
            As for :meth:`Rule.parse`.
        """
        bad = _unknown_keys(table, {"baseline", "leading", "at_baseline"}, ctx)
        base = _number(table, "baseline", ctx)
        lead = _number(table, "leading", ctx)
        atb = _number(table, "at_baseline", ctx, required=False, default=0.0)
        ok = base is not None and lead is not None and atb is not None and not bad
        if atb is not None and not 0.0 <= atb < 1.0:
            ctx.report("at_baseline outside [0, 1)", field="rule.at_baseline", found=atb,
                       expected="a share in [0, 1)")
            ok = False
        if base is not None and lead is not None and base == lead:
            ctx.report("baseline equals leading value: no direction", field="rule.leading",
                       found=lead, expected="a leading value different from the baseline")
            ok = False
        return cls(baseline=base, leading=lead, at_baseline=atb) if ok else None


@register_rule
@dataclass(frozen=True)
class RatioRule(Rule):
    """Ratio to a target (目标完成率): points in proportion to value/target, capped at full.

    ``rule = { type = "ratio", target = 1.0, direction = "higher_is_better" }``. For
    ``lower_is_better`` the share is target/value (a value <= 0 beats any positive target). Met =
    target reached.

    Attributes
    ----------
    target : float
        The target, > 0, in the metric's unit.
    higher_is_better : bool
        Share = value/target (else target/value).

    Examples
    --------
    >>> r = RatioRule(target=0.8, higher_is_better=True)
    >>> r.fraction(0.4), r.fraction(0.9), r.met(0.79)
    (0.5, 1.0, False)
    >>> RatioRule(target=0.5, higher_is_better=False).fraction(1.0)
    0.5
    """

    type: ClassVar[str] = "ratio"
    target: float = 1.0
    higher_is_better: bool = True  # type: ignore[assignment]

    def fraction(self, value):
        """See :meth:`Rule.fraction`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.fraction`.
        """
        if self.met(value):
            return 1.0
        if self.higher_is_better:
            return _clip01(value / self.target)
        return _clip01(self.target / value)

    def met(self, value):
        """See :meth:`Rule.met`.

        Parameters
        ----------
        value : float or bool
            As for :meth:`Rule.met`.
        """
        return _ge(value, self.target) if self.higher_is_better else _le(value, self.target)

    def describe(self):
        """See :meth:`Rule.describe`."""
        share = "value/target" if self.higher_is_better else "target/value"
        return f"ratio to target {_fmt(self.target)} (目标完成率): share = {share}, capped at 1"

    def params(self):
        """See :meth:`Rule.params`."""
        return {"target": self.target,
                "direction": "higher_is_better" if self.higher_is_better else "lower_is_better"}

    @classmethod
    def parse(cls, table, ctx):
        """See :meth:`Rule.parse`.

        Parameters
        ----------
        table : mapping
            As for :meth:`Rule.parse`.
        ctx : RuleContext
            As for :meth:`Rule.parse`.
        """
        bad = _unknown_keys(table, {"target", "direction"}, ctx)
        target = _number(table, "target", ctx)
        hib = _direction(table, ctx)
        if target is not None and target <= 0:
            ctx.report("ratio target must be positive", field="rule.target", found=target,
                       expected="a number > 0")
            return None
        if target is None or hib is None or bad:
            return None
        return cls(target=target, higher_is_better=hib)
