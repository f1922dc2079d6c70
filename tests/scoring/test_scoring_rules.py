"""Every rule type at and around its thresholds, and every way a rule can be malformed."""

import math

import pytest

from carbon_core.scoring.rules import (
    RULES,
    LinearRule,
    MetRule,
    RatioRule,
    Rule,
    RuleContext,
    StepsRule,
    ThresholdRule,
    register_rule,
)

EPS = 1e-9


def parse(table, points=10.0):
    problems = []

    def report(message, **kw):
        problems.append((message, kw))

    rule = RULES[table["type"]].parse(table, RuleContext(report=report, points=points))
    return rule, problems


# ------------------------------------------------------------------------------------- met


def test_met_rule():
    r = MetRule()
    assert (r.fraction(True), r.met(True)) == (1.0, True)
    assert (r.fraction(False), r.met(False)) == (0.0, False)
    assert r.higher_is_better is None


# ------------------------------------------------------------------------------- threshold


@pytest.mark.parametrize("op,value,expected", [
    ("<=", 0.0, 1.0), ("<=", -EPS, 1.0), ("<=", EPS, 0.0),
    ("<", 0.0, 0.0), ("<", -EPS, 1.0),
    (">=", 0.0, 1.0), (">=", -EPS, 0.0), (">=", EPS, 1.0),
    (">", 0.0, 0.0), (">", EPS, 1.0),
    ("==", 0.0, 1.0), ("==", EPS, 0.0),
])
def test_threshold_at_and_around(op, value, expected):
    r = ThresholdRule(op=op, threshold=0.0)
    assert r.fraction(value) == expected
    assert r.met(value) is (expected == 1.0)


def test_threshold_direction():
    assert ThresholdRule(op=">=", threshold=1).higher_is_better is True
    assert ThresholdRule(op="<", threshold=1).higher_is_better is False
    assert ThresholdRule(op="==", threshold=1).higher_is_better is None


# ----------------------------------------------------------------------------------- steps


@pytest.mark.parametrize("value,expected", [
    (0.0299, 0.0), (0.03, 0.5), (0.0499, 0.5), (0.05, 0.75), (0.0999, 0.75), (0.10, 1.0),
    (5.0, 1.0), (-1.0, 0.0),
])
def test_steps_higher_is_better(value, expected):
    r = StepsRule(steps=((0.03, 0.5), (0.05, 0.75), (0.10, 1.0)), higher_is_better=True)
    assert r.fraction(value) == expected
    assert r.met(value) is (value >= 0.03)


@pytest.mark.parametrize("value,expected", [
    (0.3001, 0.0), (0.30, 0.5), (0.2001, 0.5), (0.20, 1.0), (-3.0, 1.0),
])
def test_steps_lower_is_better(value, expected):
    r = StepsRule(steps=((0.30, 0.5), (0.20, 1.0)), higher_is_better=False)
    assert r.fraction(value) == expected


def test_steps_in_points_are_converted():
    rule, problems = parse({"type": "steps", "direction": "higher_is_better",
                            "steps": [{"at": 1, "points": 2}, {"at": 2, "points": 4}]}, points=4)
    assert problems == []
    assert rule.fraction(1.5) == 0.5 and rule.fraction(2) == 1.0


# ---------------------------------------------------------------------------------- linear


@pytest.mark.parametrize("value,expected", [
    (0.2999, 0.0), (0.30, 0.0), (0.65, 0.5), (1.0, 1.0), (1.2, 1.0),
])
def test_linear_higher_is_better(value, expected):
    r = LinearRule(baseline=0.30, leading=1.0)
    assert r.fraction(value) == pytest.approx(expected)
    assert r.met(value) is (value >= 0.30)
    assert r.higher_is_better is True


@pytest.mark.parametrize("value,expected", [
    (1.0 + EPS, 0.0), (1.0, 0.2), (0.6, 0.6), (0.2, 1.0), (0.2 - EPS, 1.0), (-1.0, 1.0),
])
def test_linear_lower_is_better_with_points_at_baseline(value, expected):
    # at the baseline 0.2 of the points; linear to 1 at the leading value 0.2
    # (0.6 is halfway: 0.2 + 0.8 * 0.5 = 0.6)
    r = LinearRule(baseline=1.0, leading=0.2, at_baseline=0.2)
    assert r.fraction(value) == pytest.approx(expected)
    assert r.higher_is_better is False
    assert r.met(value) is (value <= 1.0)


# ----------------------------------------------------------------------------------- ratio


@pytest.mark.parametrize("value,expected", [(0.0, 0.0), (0.025, 0.5), (0.05, 1.0), (0.2, 1.0),
                                            (-0.1, 0.0)])
def test_ratio_higher_is_better(value, expected):
    r = RatioRule(target=0.05, higher_is_better=True)
    assert r.fraction(value) == pytest.approx(expected)
    assert r.met(value) is (value >= 0.05)


@pytest.mark.parametrize("value,expected", [(2.0, 0.25), (0.5, 1.0), (0.4, 1.0), (0.0, 1.0),
                                            (-1.0, 1.0), (1.0, 0.5)])
def test_ratio_lower_is_better(value, expected):
    assert RatioRule(target=0.5, higher_is_better=False).fraction(value) == pytest.approx(expected)


# --------------------------------------------------------------------------- serialisation


@pytest.mark.parametrize("table", [
    {"type": "met"},
    {"type": "threshold", "op": "<=", "value": 0.2},
    {"type": "steps", "direction": "lower_is_better",
     "steps": [{"at": 0.3, "fraction": 0.5}, {"at": 0.2, "fraction": 1.0}]},
    {"type": "linear", "baseline": 0.3, "leading": 1.0, "at_baseline": 0.1},
    {"type": "ratio", "target": 2.0, "direction": "higher_is_better"},
])
def test_round_trip_through_to_dict(table):
    rule, problems = parse(table)
    assert problems == []
    d = rule.to_dict()
    assert d["type"] == table["type"] and d["text"]
    again, problems = parse({k: v for k, v in d.items() if k != "text"})
    assert problems == [] and again == rule


# ------------------------------------------------------------------------- malformed rules


@pytest.mark.parametrize("table,field", [
    ({"type": "met", "value": 1}, "rule.value"),
    ({"type": "threshold", "op": "=>", "value": 1}, "rule.op"),
    ({"type": "threshold", "op": "<="}, "rule.value"),
    ({"type": "threshold", "op": "<=", "value": "0.2"}, "rule.value"),
    ({"type": "threshold", "op": "<=", "value": math.nan}, "rule.value"),
    ({"type": "steps", "direction": "up", "steps": [{"at": 1, "fraction": 1}]}, "rule.direction"),
    ({"type": "steps", "direction": "higher_is_better", "steps": []}, "rule.steps"),
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "fraction": 1.5}]}, "rule.steps[1].fraction"),
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "fraction": 0.5}]}, "rule.steps"),                 # full unreachable
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "fraction": 1.0}, {"at": 2, "fraction": 0.5}]}, "rule.steps"),  # not monotone
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "fraction": 0.5}, {"at": 1, "fraction": 1.0}]}, "rule.steps"),  # duplicate
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "fraction": 1.0, "points": 10}]}, "rule.steps[1]"),
    ({"type": "steps", "direction": "higher_is_better",
      "steps": [{"at": 1, "points": 11}]}, "rule.steps[1].points"),
    ({"type": "linear", "baseline": 1.0, "leading": 1.0}, "rule.leading"),
    ({"type": "linear", "baseline": 1.0}, "rule.leading"),
    ({"type": "linear", "baseline": 0, "leading": 1, "at_baseline": 1.0}, "rule.at_baseline"),
    ({"type": "linear", "baseline": 0, "leading": 1, "slope": 2}, "rule.slope"),
    ({"type": "ratio", "target": 0, "direction": "higher_is_better"}, "rule.target"),
    ({"type": "ratio", "target": 1}, "rule.direction"),
])
def test_malformed_rule_is_reported(table, field):
    rule, problems = parse(table)
    assert rule is None
    assert field in [kw.get("field") for _, kw in problems], problems


def test_register_rule_refuses_a_duplicate_name():
    class Other(Rule):
        type = "linear"

    with pytest.raises(ValueError, match="already registered"):
        register_rule(Other)
    assert RULES["linear"] is LinearRule
