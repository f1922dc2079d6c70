"""The plugin contract of carbon_core: every hook a plugin may implement.

Plugins are found through the entry-point group ``carbon_core.plugins`` (see ``docs/plugins.md``)::

    [project.entry-points."carbon_core.plugins"]
    glass = "carbon_core_glass:Glass"          # a SectorPlugin subclass, or a module of hookimpls

and implement hooks with the marker exported from the top package::

    from carbon_core import hookimpl          # same object as carbon_core.hookspecs.hookimpl

    @hookimpl
    def carbon_unit_definitions():
        return ["batch_of_glass = 1000 kg"]

An exception raised inside an implementation becomes a :class:`~carbon_core.errors.PluginError`
naming the plugin. Every hook is *collecting*: pluggy calls every implementation and returns the list of their results
(``None`` results are dropped); none of them is ``firstresult``. The order of the results is pluggy's
(last registered first) and carries no meaning: the core never lets a later plugin override an earlier
one, a name given twice is a :class:`~carbon_core.errors.PluginError` naming both plugins.

All hooks take no arguments: they *declare* what a plugin contributes. The work of a sector is done by
the :class:`~carbon_core.sector.SectorPlugin` objects returned by :func:`carbon_sector_plugins`, whose
template method validates inputs and calls the plugin's kernel.
"""

from __future__ import annotations

import pluggy

__all__ = ["hookspec", "hookimpl", "PROJECT_NAME", "ENTRY_POINT_GROUP", "HOOKS"]

#: The pluggy project name (marker attribute prefix ``carbon_core_spec``/``carbon_core_impl``).
PROJECT_NAME = "carbon_core"
#: The entry-point group plugins are discovered through.
ENTRY_POINT_GROUP = "carbon_core.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def carbon_sector_plugins():
    """Process-emission calculators: the sectors this plugin provides.

    Receives
        nothing.
    Returns
        ``list[carbon_core.sector.SectorPlugin]``: instances, one per sector name
        (``SectorPlugin.name``, the name a factory lists in ``[factory] sectors``). A subclass of
        :class:`~carbon_core.sector.SectorPlugin` implements this hook itself (returning ``[self]``).
    Results
        All implementations are called and their lists concatenated (not first-result). Two
        sectors with the same name, from any two plugins, are a
        :class:`~carbon_core.errors.PluginError` that names both plugins and their distributions.
    Since
        carbon_core 0.1.
    """


@hookspec
def carbon_factor_tables():
    """Factor tables: default values the plugin's sectors look up, with their sources.

    Receives
        nothing.
    Returns
        ``list`` of factor files in the format of ``factors/README.md`` (schema
        ``carbon_core.factors/1``), each given as a path-like or ``importlib.resources`` Traversable
        to a TOML file, or as a ``(data: dict, name: str)`` pair of an already-parsed table. Keys
        should start with ``sector.<plugin>.``. A :class:`~carbon_core.sector.SectorPlugin` gives
        the files of its ``factor_files``, looked up in the package of its own module. Files
        already present in the base library (same source id and same content) are skipped.
    Results
        All implementations are called; the tables are merged into the factor library by
        :func:`carbon_core.plugin_manager.factor_library`. A source id defined twice with different content,
        or the same key/region/year twice in one edition, is an error (no silent override).
    Since
        carbon_core 0.1.
    """


@hookspec
def carbon_unit_definitions():
    """Units: pint definition lines added to :data:`carbon_core.units.ureg`.

    Receives
        nothing.
    Returns
        ``list[str]`` of pint definition lines, e.g. ``"wafer_layer = [wafer_layer]"`` or
        ``"kiln_batch = 50 t"``.
    Results
        All implementations are called once, when the plugin manager is built. A line that would
        redefine a unit that already exists (in the core registry or from another plugin) is a
        :class:`~carbon_core.errors.PluginError` naming the unit and the plugin; the same line given
        again by the same plugin (a manager rebuilt in one process) is accepted.
    Since
        carbon_core 0.1.
    """


@hookspec
def carbon_metric_definitions():
    """Sector metrics offered to the scoring layer.

    Receives
        nothing.
    Returns
        ``list[carbon_core.metrics.MetricInfo]`` with names ``sector.<plugin>.<name>`` and
        ``provider`` set to the plugin name. Values are produced by the sector's computation and
        appear in ``Results.metrics`` (``None`` when the inputs needed are not given).
    Results
        All implementations are called and the lists merged by
        :func:`carbon_core.engine.available_metrics`; a name declared twice (by two plugins, or
        already declared by the core or the balance) is a :class:`~carbon_core.errors.PluginError`
        naming both; a name outside ``sector.<plugin>.`` fails the conformance suite.
    Since
        carbon_core 0.1.
    """


@hookspec
def carbon_indicator_contributions():
    """Second-level indicators a plugin proposes to the scoring layer.

    Receives
        nothing.
    Returns
        ``list[dict]``, each a second-level indicator in the format of the scoring layer's
        indicator-system TOML (``docs/indicator-system.md``) plus ``parent``, the id of the
        first-level indicator it suggests. Keys: ``id``, ``parent``, ``name_zh``, ``name_en``,
        ``kind``, ``points``, ``metric`` (a metric this plugin defines), ``rule`` (a scoring rule:
        ``type`` and its parameters), ``basis`` (the standard and grade the rule comes from).
        Each must parse with :func:`carbon_core.scoring.parse_indicator`.
    Results
        All implementations are called and the lists concatenated; the scoring layer decides which
        contributions an indicator system adopts. Two contributions with the same ``id`` are an
        error.
    Since
        carbon_core 0.1.
    """


@hookspec
def carbon_core_programmes():
    """Programme bundles a plugin ships (a city's or a national programme).

    Receives
        nothing.
    Returns
        ``list[str | pathlib.Path]``: folders, each holding a ``programme.toml`` in the format of
        ``programmes/README.md`` and the files it names.
    Results
        All implementations are called; :func:`carbon_core.programmes.programme_registry` adds
        every bundle under its ``[programme] name``. A name already taken (shipped or by another
        plugin) is an :class:`~carbon_core.errors.InputError` naming both origins.
    Since
        carbon_core 0.2.
    """


#: Names of every hook in this module (the docs test checks each is documented).
HOOKS: tuple[str, ...] = tuple(
    name for name, obj in list(globals().items())
    if name.startswith("carbon_") and callable(obj)
)
