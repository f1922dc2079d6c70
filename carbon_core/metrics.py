"""The metrics namespace: named numbers a result offers to the scoring layer.

The core registers its own metrics here; the balance registers the net-zero metrics; plugins add
``sector.<plugin>.<name>`` metrics through the ``carbon_metric_definitions`` hook. The scoring layer
validates an indicator system against :func:`available_metrics` so that an indicator reading a
metric nobody provides is refused when the system is loaded, not when a factory is scored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricInfo", "CORE_METRICS", "available_metrics"]


@dataclass(frozen=True)
class MetricInfo:
    """What a metric means.

    Attributes
    ----------
    name : str
        Dotted name, e.g. ``"intensity.tco2e_per_wan_cny"``.
    unit : str
        Unit text (``"tCO2e"``, ``"1"`` for fractions).
    description : str
        English and Chinese description.
    higher_is_better : bool or None
        Direction, for monotone scoring rules; None when it has no direction.
    provider : str
        ``"core"``, ``"balance"`` or the plugin name.
    """

    name: str
    unit: str
    description: str
    higher_is_better: bool | None = None
    provider: str = "core"


def _m(name, unit, description, higher_is_better=None, provider="core"):
    return name, MetricInfo(name, unit, description, higher_is_better, provider)


CORE_METRICS: dict[str, MetricInfo] = dict([
    _m("emissions.scope1_tco2e", "tCO2e", "Scope 1 emissions 范围一排放", False),
    _m("emissions.scope2_location_tco2e", "tCO2e", "Scope 2 location-based 范围二(基于位置)", False),
    _m("emissions.scope2_market_tco2e", "tCO2e", "Scope 2 market-based 范围二(基于市场)", False),
    _m("emissions.scope3_tco2e", "tCO2e", "Scope 3 emissions, chosen categories 范围三排放", False),
    _m("emissions.total_tco2e", "tCO2e",
       "Scope 1 + location-based Scope 2 (GB/T 32150 total) 排放总量", False),
    _m("energy.total_tce_calorific", "tce", "comprehensive energy consumption, electricity at "
       "当量值 (GB/T 2589-2020) 综合能耗(当量值)", False),
    _m("energy.total_tce_equivalent", "tce", "comprehensive energy consumption, electricity at "
       "等价值 (GB/T 2589-2020) 综合能耗(等价值)", False),
    _m("electricity.consumed_mwh", "MWh", "electricity consumed (grid purchase + self-consumed "
       "on-site generation) 用电量", None),
    _m("electricity.onsite_renewable_mwh", "MWh", "on-site renewable generation consumed on site "
       "自发自用可再生电量", True),
    _m("intensity.tco2e_per_output", "tCO2e per output unit",
       "carbon intensity per unit of product 单位产品碳排放", False),
    _m("intensity.tco2e_per_wan_cny", "tCO2e/万元",
       "carbon intensity per 万元 of industrial value added 单位工业增加值碳排放", False),
    _m("intensity.tce_per_output", "tce per output unit",
       "energy intensity per unit of product 单位产品综合能耗", False),
    _m("intensity.tce_per_wan_cny", "tce/万元",
       "energy intensity per 万元 of industrial value added 单位工业增加值能耗", False),
    _m("intensity.tco2e_per_tce", "tCO2e/tce",
       "carbon emissions per unit of energy 单位能耗碳排放 (location-based, 当量值)", False),
    _m("intensity.market_tco2e_per_tce", "tCO2e/tce",
       "Scope 1 + market-based Scope 2 per tce (当量值) 单位能耗碳排放(基于市场); the national "
       "zero-carbon park core indicator is <= 0.20 (发改环资〔2025〕910号)", False),
    # the net-zero balance (issue: balance)
    _m("balance.gross_tco2e", "tCO2e", "gross emissions for the declared boundary 排放总量", False,
       "balance"),
    _m("balance.net_tco2e", "tCO2e", "net emissions after reductions and offsets 净排放", False,
       "balance"),
    _m("balance.renewable_electricity_share", "1",
       "renewable electricity share of consumption 可再生能源电力消费占比", True, "balance"),
    _m("renewable_electricity_share", "1", "same as balance.renewable_electricity_share, under "
       "the plain name of the results JSON 可再生能源电力消费占比", True, "balance"),
    _m("balance.offset_share", "1", "offsets as a share of gross emissions 抵销量占比", None,
       "balance"),
])


def available_metrics(plugin_manager=None) -> dict[str, MetricInfo]:
    """Every metric the engine and the loaded plugins can provide.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        If given, metrics declared by its plugins (hook ``carbon_metric_definitions``) are added.
    """
    from .balance import BALANCE_METRICS
    from .scope3 import SCOPE3_METRICS

    metrics = dict(CORE_METRICS) | dict(BALANCE_METRICS) | dict(SCOPE3_METRICS)
    if plugin_manager is not None:
        for batch in plugin_manager.hook.carbon_metric_definitions():
            for info in batch or ():
                metrics[info.name] = info
    return metrics
