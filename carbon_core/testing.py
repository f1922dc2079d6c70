"""Conformance suite for sector plugins, built-in or third-party (like sktime's ``check_estimator``).

Run it against a plugin in your own tests::

    from carbon_core.testing import check_plugin
    from my_plugin import Glass

    def test_conformance():
        check_plugin(Glass())                     # raises AssertionError naming the failed check

or one pytest test per check::

    import pytest
    from carbon_core.testing import plugin_checks

    @pytest.mark.parametrize("check", plugin_checks(Glass()), ids=lambda c: c.__name__)
    def test_check(check):
        check()

The checks use the plugin's own :meth:`~carbon_core.sector.SectorPlugin.example_inputs` (run in
the factory of :meth:`~carbon_core.sector.SectorPlugin.example_factory`), with its factor files
loaded by the same loader as production:

- ``check_metadata``: name, title, method and references present; claimed carriers known;
  metrics named
  ``sector.<name>.*`` with provider set; indicator contributions carry the required keys;
- ``check_declared_units``: every declared field unit, metric unit and factor unit parses;
- ``check_citations``: every factor file loads, every default in it has a source, a table reference
  and a confidence mark, keys start with ``sector.<name>.``; every line item cites its factor;
- ``check_alignment``: exact alignment of inputs and outputs -- every input row of every row table
  produces line items and every line item comes from an input row (no inner join dropping rows); for
  every line item ``activity x factor`` in ``activity_unit x factor_unit`` equals its tonnes of gas;
- ``check_non_negative``: line items are >= 0 except declared deductions; totals per gas >= 0;
  metrics finite or None;
- ``check_additivity``: emissions of the inputs equal the sum over a split of the rows in two;
- ``check_validation``: a negative amount and an unknown key are refused with an
  :class:`~carbon_core.errors.InputError` naming row and field.

Examples
--------
>>> from carbon_core.sector import Field, SectorPlugin, Table
>>> class Lime(SectorPlugin):
...     name = "lime_demo"
...     title = "Lime kiln (demo)"
...     method = "CaCO3 -> CaO + CO2: 44/56 tCO2 per t CaO (stoichiometry)"
...     references = ("molar masses: C 12, O 16, Ca 40",)
...     tables = (Table("kiln", (Field("cao", unit="t", unit_key="unit"),)),)
...     @classmethod
...     def example_inputs(cls):
...         return [{"kiln": [{"id": "k1", "cao": 56.0, "unit": "t"},
...                           {"id": "k2", "cao": 5.6, "unit": "t"}]}]
...     def _compute(self, data, ctx):
...         k = data["kiln"]
...         ctx.emit("process", gas="CO2", source=k.ids, carrier="CaO", activity=k["cao"],
...                  activity_unit="t", factor_value=44.0 / 56.0, factor_unit="t/t",
...                  factor_source="stoichiometry", formula="E = CaO x 44/56")
>>> sorted(check_plugin(Lime(), library=FactorLibrary()).values())[0]
'PASSED'
>>> sorted(check_plugin(Lime(), library=FactorLibrary()))[:3]
['check_additivity', 'check_alignment', 'check_citations']
"""

from __future__ import annotations

import copy
import math
import re
from typing import Callable

from .carriers import CARRIERS
from .errors import InputError
from .factors import FactorLibrary
from .plugin_manager import build_plugin_manager, factor_library
from .scoring import parse_indicator
from .sector import EMISSION_CATEGORIES, SectorPlugin
from .units import conversion_factor, parse_unit

__all__ = ["check_plugin", "plugin_checks", "plugin_library", "INDICATOR_KEYS"]

#: Keys every indicator contribution must carry.
#: Keys of an indicator contribution: the indicator-system format of carbon_core.scoring
#: (docs/indicator-system.md) plus ``parent``, the first-level indicator the plugin suggests.
INDICATOR_KEYS = ("id", "parent", "name_zh", "name_en", "kind", "points", "metric", "rule",
                  "basis")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def plugin_library(plugin: SectorPlugin, base: FactorLibrary | None = None) -> FactorLibrary:
    """The factor library the checks run with: ``base`` (default: the shipped library) merged
    with the plugin's own factor tables, loaded exactly as production loads them
    (:func:`carbon_core.plugin_manager.factor_library` over a manager holding only ``plugin``).

    Parameters
    ----------
    plugin : SectorPlugin
        The plugin whose factor tables are added.
    base : FactorLibrary, optional
        The library to start from (default: :meth:`FactorLibrary.default`, the shipped one).

    Returns
    -------
    FactorLibrary
        ``base`` with the plugin's defaults merged in.
    """
    base = FactorLibrary.default() if base is None else base
    pm = build_plugin_manager(autoload=False, plugins=[(plugin.name or "plugin", plugin)])
    return factor_library(base, pm)


def _split(inputs: dict, plugin: SectorPlugin) -> tuple[dict, dict]:
    a, b = {}, {}
    for table in plugin.tables:
        raw = inputs.get(table.name)
        if raw is None:
            continue
        if table.rows:
            rows = [raw] if isinstance(raw, dict) else list(raw)
            half = (len(rows) + 1) // 2
            a[table.name], b[table.name] = rows[:half], rows[half:]
        else:
            a[table.name] = copy.deepcopy(raw)
            b[table.name] = copy.deepcopy(raw)
    return a, b


def plugin_checks(plugin: SectorPlugin, *, library: FactorLibrary | None = None,
                  gwp_set: str = "AR5") -> list[Callable[[], None]]:
    """The conformance checks for ``plugin``, as zero-argument callables named ``check_*``.

    Parameters
    ----------
    plugin : SectorPlugin or type
        The plugin to check; a class is instantiated without arguments.
    library : FactorLibrary, optional
        The factor library the checks compute with, merged with the plugin's own factor
        tables (:func:`plugin_library`; default: the shipped library). It is loaded the first
        time a check needs it, not here.
    gwp_set : str, optional
        The GWP set the example inputs are computed with (default ``"AR5"``).

    Returns
    -------
    list of callable
        The checks in the order of the module docstring; each returns None when it passes and
        raises (usually ``AssertionError``) naming what failed. Their ``__qualname__`` is
        ``<plugin name>.check_*``.
    """
    if isinstance(plugin, type):
        plugin = plugin()
    lib_cache: list[FactorLibrary] = []

    def lib() -> FactorLibrary:
        if not lib_cache:
            lib_cache.append(plugin_library(plugin, library))
        return lib_cache[0]

    factory = plugin.example_factory()

    def run(inputs):
        return plugin.compute(inputs, library=lib(), gwp_set=gwp_set, file="conformance",
                              factory=factory)

    examples = plugin.example_inputs()

    def check_metadata():
        """Name, title, method, references, claimed carriers, metric names, indicators."""
        assert isinstance(plugin, SectorPlugin), f"{plugin!r} is not a SectorPlugin"
        assert _NAME_RE.match(plugin.name or ""), f"bad sector name {plugin.name!r}"
        for attr in ("title", "method"):
            assert getattr(plugin, attr), f"{plugin.name}: {attr} is empty"
        assert plugin.references, f"{plugin.name}: no references cited"
        for carrier in plugin.claimed_carriers:
            assert carrier in CARRIERS, f"{plugin.name}: claims unknown carrier {carrier!r}"
        assert examples, f"{plugin.name}: example_inputs() returns no example"
        for m in plugin.metric_infos():
            assert m.name.startswith(f"sector.{plugin.name}."), m.name
            assert m.provider == plugin.name, m
        metric_names = {m.name for m in plugin.metric_infos()}
        for c in plugin.indicator_contributions:
            missing = [k for k in INDICATOR_KEYS if k not in c]
            assert not missing, f"{plugin.name}: indicator {c.get('id')} lacks {missing}"
            assert c["metric"] in metric_names, \
                f"{plugin.name}: indicator {c['id']} reads undeclared metric {c['metric']}"
            # valid as it stands in an indicator-system file (raises InputError otherwise)
            parse_indicator(c, metrics=metric_names, file=f"{plugin.name} indicator {c['id']}")

    def check_declared_units():
        """Every declared field, metric and factor unit parses."""
        for table in plugin.tables:
            for f in table.fields:
                if f.unit:
                    parse_unit("dimensionless" if f.unit == "1" else f.unit)
        for m in plugin.metric_infos():
            if m.unit not in ("1",) and " per " not in m.unit:
                parse_unit(m.unit)
        for line in plugin.unit_definitions:
            assert "=" in line, f"unit definition {line!r} is not 'name = ...'"

    def check_citations():
        """Every default is cited (source, table, confidence); every line item cites."""
        own = plugin_library(plugin, FactorLibrary())
        for f in own:
            assert f.key.startswith(f"sector.{plugin.name}."), \
                f"default {f.key} is outside sector.{plugin.name}."
            assert f.source.title and f.source.publisher, f"{f.key}: source not cited"
            assert f.table, f"{f.key}: no table/clause given for the default"
            assert f.confidence in ("C", "S", "M", "X"), f"{f.key}: confidence {f.confidence}"
        for inputs in examples:
            for item in run(inputs).line_items:
                assert item.factor_source, f"{item.id}: line item without a citation"
                assert item.formula, f"{item.id}: line item without its formula"
                for key in item.factor_keys:
                    if key:
                        assert key in lib(), f"{item.id}: factor key {key} not in the library"

    def check_alignment():
        """Rows in = line items out; activity x factor = emissions [t gas]."""
        for inputs in examples:
            res = run(inputs)
            data = plugin.validate(inputs)
            ids = set()
            for table in plugin.tables:
                if table.rows:
                    ids |= {str(i) for i in data[table.name].ids}
            sources = {i.source for i in res.line_items}
            assert ids == sources, (f"{plugin.name}: input rows without line items "
                                    f"{sorted(ids - sources)}; line items without input rows "
                                    f"{sorted(sources - ids)}")
            for item in res.line_items:
                assert item.plugin == plugin.name and item.scope == 1
                assert item.category in EMISSION_CATEGORIES, item.category
                scale = conversion_factor(parse_unit(item.activity_unit)
                                          * parse_unit(item.factor_unit), "t")
                expected = item.activity * item.factor_value * scale
                assert math.isclose(expected, item.emissions_t_gas, rel_tol=1e-9,
                                    abs_tol=1e-12), (
                    f"{item.id}: activity x factor = {expected} t but emissions_t_gas = "
                    f"{item.emissions_t_gas}")
                assert math.isclose(item.emissions_tco2e, item.emissions_t_gas * item.gwp,
                                    rel_tol=1e-12, abs_tol=1e-12), item.id

    def check_non_negative():
        """No negative emissions except declared deductions; finite metrics."""
        for inputs in examples:
            res = run(inputs)
            for item in res.line_items:
                if not item.details.get("deduction"):
                    assert item.emissions_t_gas >= 0, f"{item.id}: negative emissions"
            for gas, total in res.totals_t_gas().items():
                assert total >= -1e-9, f"{plugin.name}: negative total of {gas}"
            for name, value in res.metrics.items():
                assert value is None or math.isfinite(value), f"{name} = {value}"

    def check_additivity():
        """Emissions of all rows = sum over a split of the rows (per gas)."""
        for inputs in examples:
            whole = run(inputs).totals_t_gas()
            a, b = _split(inputs, plugin)
            ta, tb = run(a).totals_t_gas(), run(b).totals_t_gas()
            for gas in set(whole) | set(ta) | set(tb):
                w, s = whole.get(gas, 0.0), ta.get(gas, 0.0) + tb.get(gas, 0.0)
                assert math.isclose(w, s, rel_tol=1e-9, abs_tol=1e-9), (
                    f"{plugin.name}: {gas} of all rows {w} != sum over a split {s}")

    def check_validation():
        """A negative amount and an unknown key are refused, naming row and field."""
        inputs = copy.deepcopy(examples[0])
        table = next((t for t in plugin.tables if t.rows and inputs.get(t.name)), None)
        assert table is not None, f"{plugin.name}: the example has no row table"
        row = inputs[table.name][0]
        num = next((f for f in table.fields if f.kind == "number" and f.minimum is not None
                    and f.name in row), None)
        if num is not None:
            row[num.name] = -1.0
        row["no_such_key"] = 1
        try:
            plugin.validate(inputs, file="conformance.toml")
        except InputError as exc:
            fields = {p.field for p in exc.problems}
            rows = {p.row for p in exc.problems}
            assert "no_such_key" in fields, exc
            if num is not None:
                assert num.name in fields, exc
            assert f"process.{plugin.name}.{table.name}[0]" in rows, exc
        else:
            raise AssertionError(f"{plugin.name}: bad inputs were accepted")

    checks = [check_metadata, check_declared_units, check_citations, check_alignment,
              check_non_negative, check_additivity, check_validation]
    for c in checks:
        c.__qualname__ = f"{plugin.name}.{c.__name__}"
    return checks


def check_plugin(plugin: SectorPlugin, *, library: FactorLibrary | None = None,
                 gwp_set: str = "AR5", raise_errors: bool = True) -> dict[str, str]:
    """Run every conformance check; return ``{check: "PASSED" | "FAILED: ..."}``.

    Parameters
    ----------
    plugin : SectorPlugin or type
        The plugin to check (a class is instantiated without arguments).
    library : FactorLibrary, optional
        Base factor library, merged with the plugin's own tables (default: the shipped one).
    gwp_set : str, optional
        The GWP set the example inputs are computed with (default ``"AR5"``).
    raise_errors : bool, optional
        When true (default), the first failing check raises; when false, every check runs and
        each failure is recorded in the result.

    Returns
    -------
    dict of str to str
        Check name -> ``"PASSED"`` or ``"FAILED: <exception type>: <message>"``.

    Raises
    ------
    AssertionError
        With ``raise_errors``, at the first check that fails (whatever it raised), naming it.
    """
    results: dict[str, str] = {}
    for check in plugin_checks(plugin, library=library, gwp_set=gwp_set):
        try:
            check()
        except Exception as exc:
            if raise_errors:
                raise AssertionError(f"{check.__qualname__} failed: {exc}") from exc
            results[check.__name__] = f"FAILED: {type(exc).__name__}: {exc}"
        else:
            results[check.__name__] = "PASSED"
    return results
