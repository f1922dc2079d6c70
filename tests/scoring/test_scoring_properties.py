"""Property tests: totals stay in 0..100; a monotone rule never lowers the score as its metric
improves, alone and inside a whole evaluation."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_fakes import AS_OF, MINI_SYSTEM, good_evidence

from carbon_core.scoring import evaluate, load_system, loads_system, parse_evidence
from carbon_core.scoring.rules import LinearRule, RatioRule, StepsRule, ThresholdRule

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
share = st.floats(min_value=0.0, max_value=1.0)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731

TEMPLATE = load_system()
MINI = loads_system(MINI_SYSTEM)
EVIDENCE = parse_evidence(good_evidence(), file="x", as_of=AS_OF)


@st.composite
def linear_rules(draw):
    a, b = draw(finite), draw(finite)
    if abs(a - b) < 1e-6:
        b = a + 1.0
    return LinearRule(baseline=a, leading=b, at_baseline=draw(st.floats(0.0, 0.99)))


@st.composite
def steps_rules(draw):
    ats = draw(st.lists(finite, min_size=1, max_size=5, unique=True))
    fracs = sorted(draw(st.lists(st.floats(0.01, 1.0), min_size=len(ats), max_size=len(ats))))
    fracs[-1] = 1.0
    hib = draw(st.booleans())
    order = sorted(ats, reverse=not hib)  # worst threshold first
    return StepsRule(steps=tuple(zip(order, fracs)), higher_is_better=hib)


rules = st.one_of(
    linear_rules(),
    steps_rules(),
    st.builds(RatioRule, target=st.floats(1e-3, 1e3), higher_is_better=st.booleans()),
    st.builds(ThresholdRule, op=st.sampled_from([">=", ">", "<=", "<"]), threshold=finite),
)


@settings(database=None)
@given(rules, finite, finite)
def test_a_monotone_rule_never_lowers_the_score_when_the_metric_improves(rule, x, y):
    worse, better = sorted([x, y]) if rule.higher_is_better else sorted([x, y], reverse=True)
    assert 0.0 <= rule.fraction(worse) <= rule.fraction(better) <= 1.0
    assert rule.met(worse) <= rule.met(better)


@settings(database=None)
@given(rules, finite)
def test_fraction_in_unit_interval(rule, x):
    assert 0.0 <= rule.fraction(x) <= 1.0


template_metrics = st.fixed_dictionaries({
    "balance.net_tco2e": maybe(finite),
    "balance.renewable_electricity_share": maybe(share),
    "balance.offset_share": maybe(share),
    "intensity.tce_per_wan_cny": maybe(st.floats(0, 10)),
    "intensity.tco2e_per_wan_cny": maybe(st.floats(0, 10)),
    "electricity.onsite_renewable_mwh": maybe(st.floats(0, 1e5)),
    "electricity.consumed_mwh": maybe(st.floats(0, 1e5)),
    "emissions.scope1_tco2e": maybe(st.floats(0, 1e5)),
    "emissions.scope2_market_tco2e": maybe(st.floats(0, 1e5)),
    "energy.total_tce_equivalent": maybe(st.floats(0, 1e5)),
    "sector.x.energy_quota_grade": maybe(st.integers(1, 4)),
})
previous = st.one_of(st.none(), st.fixed_dictionaries({"metrics": st.fixed_dictionaries({
    "intensity.tce_per_wan_cny": maybe(st.floats(0, 10)),
    "intensity.tco2e_per_wan_cny": maybe(st.floats(0, 10))})}))


@settings(max_examples=200, deadline=None, database=None)
@given(template_metrics, previous)
def test_template_total_stays_within_0_and_100(metrics, prev):
    e = evaluate(metrics, system=TEMPLATE, evidence=EVIDENCE, previous=prev,
                 factory={"credit_code": "91340100MA2N0K1X3B"})
    assert 0.0 <= e.total_score <= 100.0
    assert sum(r.max_points for r in e.results) <= 100.0 + 1e-9
    assert all(0.0 <= r.points <= r.max_points + 1e-12 for r in e.results)
    assert abs(sum(lv["score"] for lv in e.levels) - e.total_score) < 1e-6


# For every numeric indicator of the template, improving its metric never lowers the total.
NUMERIC = [i for i in TEMPLATE.indicators if i.source_kind == "metric"
           and i.source in {"balance.net_tco2e", "balance.renewable_electricity_share",
                            "balance.offset_share", "intensity.tce_per_wan_cny",
                            "intensity.tco2e_per_wan_cny"}]


@settings(max_examples=200, deadline=None, database=None)
@given(template_metrics, st.sampled_from(NUMERIC), st.floats(0, 1), st.floats(0, 1))
def test_improving_one_metric_never_lowers_the_total(metrics, ind, a, b):
    lo, hi = sorted([a, b])
    worse, better = (lo, hi) if ind.rule.higher_is_better else (hi, lo)
    if ind.source == "balance.net_tco2e":
        worse, better = worse * 10 - 5, better * 10 - 5
    e1 = evaluate({**metrics, ind.source: worse}, system=TEMPLATE, evidence=EVIDENCE)
    e2 = evaluate({**metrics, ind.source: better}, system=TEMPLATE, evidence=EVIDENCE)
    assert e2.total_score >= e1.total_score - 1e-9
    assert len(e2.mandatory_unmet) <= len(e1.mandatory_unmet)


@settings(database=None)
@given(st.dictionaries(st.sampled_from(["balance.net_tco2e", "balance.renewable_electricity_share",
                                        "intensity.tce_per_wan_cny",
                                        "sector.a.energy_quota_grade",
                                        "sector.b.energy_quota_grade"]),
                       maybe(finite)),
       st.booleans())
def test_mini_total_within_bounds(metrics, platform):
    ev = good_evidence()
    ev["qualitative"]["platform"]["in_place"] = platform
    e = evaluate(metrics, system=MINI, evidence=ev, as_of=datetime.date(2024, 12, 31))
    assert 0.0 <= e.total_score <= 100.0
    # threshold comparisons carry a 1e-15 absolute tolerance (a nanogram of CO2e)
    if metrics.get("balance.net_tco2e") is None or metrics["balance.net_tco2e"] > 1e-12:
        assert "M1" in e.mandatory_unmet


def test_a_derived_value_on_a_tier_reaches_it():
    # 1 - 0.45/0.5 is 0.09999999999999998 in floating point
    rule = StepsRule(steps=((0.05, 0.5), (0.10, 1.0)), higher_is_better=True)
    assert rule.fraction(1 - 0.45 / 0.5) == 1.0
    assert rule.fraction(0.0999) == 0.5
