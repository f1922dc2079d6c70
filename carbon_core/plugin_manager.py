"""The plugin manager: discovery, loading and the sector entry points the engine calls.

Nothing here runs at import. :func:`get_plugin_manager` builds the manager on its first call and
caches it (:func:`reset_plugin_manager` drops the cache, for tests):

1. register the hook specifications (:mod:`carbon_core.hookspecs`);
2. unless autoloading is off, load every entry point of the group ``carbon_core.plugins`` -- the
   built-in plugins under ``plugins/`` are registered there exactly like third-party ones. A plugin
   that fails to import is recorded (name, distribution, reason) in :class:`LoadReport` and the
   others still load;
3. apply the plugins' unit definitions to :data:`carbon_core.units.ureg`;
4. ``check_pending()`` (a hookimpl that matches no hook is an error) and index the sectors: two
   plugins providing one sector name is a :class:`~carbon_core.errors.PluginError` naming both.

The environment variable ``CARBON_CORE_DISABLE_PLUGINS`` blocks plugins: ``1``, ``all``, ``true`` or
``*`` turn autoloading off; otherwise a comma-separated list of entry-point names is skipped.

Examples
--------
>>> pm = get_plugin_manager(autoload=False)
>>> sorted(sectors(pm))
[]
>>> report(pm).autoload
False
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

import pluggy

from . import hookspecs
from .errors import InputError, PluginError, Problem
from .factors import FactorLibrary
from .hookspecs import ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl
from .lineitems import LineItem
from .sector import FactoryView, SectorPlugin

__all__ = [
    "hookimpl",
    "ENV_DISABLE",
    "PluginInfo",
    "PluginFailure",
    "LoadReport",
    "SectorOutput",
    "get_plugin_manager",
    "build_plugin_manager",
    "reset_plugin_manager",
    "report",
    "sectors",
    "factor_library",
    "run_sectors",
    "indicator_contributions",
    "metric_definitions",
    "read_factor_tables",
]

#: Environment variable that blocks plugins ("1"/"all": no autoload; or "name1,name2").
ENV_DISABLE = "CARBON_CORE_DISABLE_PLUGINS"
_ALL = {"1", "all", "true", "yes", "*"}


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin.

    Attributes
    ----------
    name : str
        The entry-point name.
    version : str
        The distribution's version.
    distribution : str
        The distribution (package) that provides it.
    value : str
        The entry point's target (``module:object``).
    sectors : tuple of str
        The sectors it provides.
    """

    name: str
    version: str
    distribution: str
    value: str
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded: its name, where it comes from, and why.

    Attributes
    ----------
    name : str
        The entry-point name.
    distribution : str
        The distribution that provides it.
    value : str
        The entry point's target.
    reason : str
        Why it could not be loaded (the exception, in words).
    """

    name: str
    distribution: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"plugin {self.name!r} ({self.value}, from {self.distribution}) failed: {self.reason}"


@dataclass
class LoadReport:
    """What happened when the manager was built (no warnings are emitted: read this instead).

    Attributes
    ----------
    autoload : bool
        Whether entry points were loaded.
    blocked : list of str
        Entry-point names skipped because ``$CARBON_CORE_DISABLE_PLUGINS`` names them.
    loaded : list of PluginInfo
        The plugins loaded.
    failed : list of PluginFailure
        The plugins that failed to load (the others still load).
    """

    autoload: bool
    blocked: list[str] = field(default_factory=list)
    loaded: list[PluginInfo] = field(default_factory=list)
    failed: list[PluginFailure] = field(default_factory=list)


@dataclass
class SectorOutput:
    """What :func:`run_sectors` returns to the engine.

    Attributes
    ----------
    line_items : list of LineItem
        Scope 1, category ``process`` or ``fugitive``, ``plugin`` set, gas by gas.
    metrics : dict
        ``sector.<plugin>.<name>`` -> value (None when the inputs needed were not given).
    plugins : dict
        Sector name -> version of the plugin used.
    claims : dict
        Carrier -> the sector that accounts it (no core fuel line may exist for it).
    """

    line_items: list[LineItem] = field(default_factory=list)
    metrics: dict[str, float | None] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)

    def total_tco2e(self) -> float:
        """Exact sum of the sectors' line items [tCO2e]."""
        return math.fsum(i.emissions_tco2e for i in self.line_items)


class CarbonPluginManager(pluggy.PluginManager):
    """A pluggy manager that also keeps the load report and the sector index."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.load_report = LoadReport(autoload=False)
        self.sector_index: dict[str, SectorPlugin] = {}
        self.sector_owner: dict[str, str] = {}
        self._libraries: dict[int, tuple[FactorLibrary, FactorLibrary]] = {}
        self._plugin_library: FactorLibrary | None = None


_MANAGER: CarbonPluginManager | None = None
_MANAGER_AUTOLOAD: bool | None = None
#: unit name -> (definition line, plugin) applied to the shared registry in this process
_UNITS_DEFINED: dict[str, tuple[str, str]] = {}


def _blocked_names() -> tuple[bool, set[str]]:
    text = os.environ.get(ENV_DISABLE, "").strip()
    if not text:
        return False, set()
    if text.lower() in _ALL:
        return True, set()
    return False, {n.strip() for n in text.split(",") if n.strip()}


def _entry_points() -> list[metadata.EntryPoint]:
    seen: dict[tuple[str, str], metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault((ep.name, ep.value), ep)
    return sorted(seen.values(), key=lambda ep: ep.name)


def _dist(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", ""
    return dist.metadata["Name"] or "?", dist.version or ""


def build_plugin_manager(*, autoload: bool = True,
                         plugins: Iterable[tuple[str, Any]] = ()) -> CarbonPluginManager:
    """Build a new manager (not cached): entry points if ``autoload``, then ``plugins``.

    Parameters
    ----------
    autoload : bool
        Load the entry points of ``carbon_core.plugins`` (subject to ``CARBON_CORE_DISABLE_PLUGINS``).
    plugins : iterable of (name, object)
        Extra plugins registered after the entry points (tests, applications): a
        :class:`~carbon_core.sector.SectorPlugin` subclass or instance, or a module of hookimpls.
    """
    pm = CarbonPluginManager()
    env_off, blocked = _blocked_names()
    autoload = autoload and not env_off
    rep = pm.load_report
    rep.autoload = autoload
    owners: dict[str, str] = {}
    if autoload:
        for ep in _entry_points():
            dist_name, dist_version = _dist(ep)
            where = f"{ep.value} from distribution {dist_name}"
            if ep.name in blocked:
                rep.blocked.append(ep.name)
                continue
            if pm.get_plugin(ep.name) is not None or ep.name in owners:
                raise PluginError(f"two plugins are named {ep.name!r}: {owners.get(ep.name)} and "
                                  f"{where}; uninstall one or block it with {ENV_DISABLE}")
            try:
                obj = ep.load()
                obj = _instantiate(obj)
            except Exception as exc:  # a broken plugin must not stop the others
                rep.failed.append(PluginFailure(ep.name, dist_name, ep.value,
                                                f"{type(exc).__name__}: {exc}"))
                continue
            _register(pm, ep.name, obj, where, dist_version, owners, dist_name, ep.value)
    for name, obj in plugins:
        _register(pm, name, _instantiate(obj), f"{getattr(obj, '__module__', obj)!s} "
                  "(registered directly)", "", owners, "(registered directly)",
                  str(getattr(obj, "__module__", obj)))
    _apply_units(pm)
    pm.check_pending()
    _index_sectors(pm, owners)
    return pm


def _instantiate(obj):
    if isinstance(obj, type) and issubclass(obj, SectorPlugin):
        return obj()
    return obj


def _register(pm: CarbonPluginManager, name: str, obj, where: str, dist_version: str,
              owners: dict[str, str], dist_name: str = "", value: str = "") -> None:
    if pm.get_plugin(name) is not None:
        raise PluginError(f"two plugins are named {name!r}: {owners.get(name)} and {where}")
    if pm.is_registered(obj):
        raise PluginError(f"plugin {name!r} ({where}) is the same object as plugin "
                          f"{pm.get_name(obj)!r}")
    try:
        pm.register(obj, name=name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise PluginError(f"plugin {name!r} ({where}) breaks the hook contract: {exc}") from None
    owners[name] = where
    version = getattr(obj, "version", "") or dist_version or "?"
    if isinstance(obj, SectorPlugin) and not obj.version:
        obj.version = version  # instance attribute: the distribution's version
    pm.load_report.loaded.append(PluginInfo(name=name, version=str(version),
                                            distribution=dist_name or "?", value=value or where))


_UNIT_NAME_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")


def _apply_units(pm: CarbonPluginManager) -> None:
    from . import units  # the registry is built only when a plugin defines a unit

    impls = pm.hook.carbon_unit_definitions.get_hookimpls()
    for impl in impls:
        lines = _call_hook(impl) or []
        for line in lines:
            m = _UNIT_NAME_RE.match(line)
            if not m:
                raise PluginError(f"plugin {impl.plugin_name!r}: unit definition {line!r} is not "
                                  "a pint definition line 'name = ...'")
            unit = m.group(1)
            previous = _UNITS_DEFINED.get(unit)
            if previous is not None:
                if previous == (line, impl.plugin_name):
                    continue
                raise PluginError(f"plugin {impl.plugin_name!r} redefines unit {unit!r}, already "
                                  f"defined by plugin {previous[1]!r} as {previous[0]!r}")
            if units.is_defined(unit):
                raise PluginError(f"plugin {impl.plugin_name!r} redefines unit {unit!r}, which "
                                  "the core registry already defines")
            units.define(line)
            _UNITS_DEFINED[unit] = (line, impl.plugin_name)


def _index_sectors(pm: CarbonPluginManager, owners: dict[str, str]) -> None:
    index: dict[str, SectorPlugin] = {}
    owner: dict[str, str] = {}
    for impl in pm.hook.carbon_sector_plugins.get_hookimpls():
        for sector in _call_hook(impl) or []:
            if not isinstance(sector, SectorPlugin):
                raise PluginError(f"plugin {impl.plugin_name!r} returned {sector!r} from "
                                  "carbon_sector_plugins; expected SectorPlugin instances")
            if not sector.name:
                raise PluginError(f"plugin {impl.plugin_name!r} provides a sector without a name")
            if sector.name in index:
                a, b = owner[sector.name], impl.plugin_name
                raise PluginError(
                    f"sector {sector.name!r} is provided by two plugins: {a!r} "
                    f"({owners.get(a, '?')}) and {b!r} ({owners.get(b, '?')}); uninstall one or "
                    f"block one with {ENV_DISABLE}={b}")
            index[sector.name] = sector
            owner[sector.name] = impl.plugin_name
    pm.sector_index = index
    pm.sector_owner = owner
    loaded = []
    for info in pm.load_report.loaded:
        names = tuple(sorted(s for s, o in owner.items() if o == info.name))
        loaded.append(PluginInfo(info.name, info.version, info.distribution, info.value, names))
    pm.load_report.loaded = loaded


def get_plugin_manager(*, autoload: bool = True) -> CarbonPluginManager:
    """The process-wide manager, built on first call and cached (per ``autoload`` value).

    Parameters
    ----------
    autoload : bool
        Load the installed plugins' entry points.

    Returns
    -------
    CarbonPluginManager
    """
    global _MANAGER, _MANAGER_AUTOLOAD
    if _MANAGER is None or _MANAGER_AUTOLOAD != autoload:
        _MANAGER = build_plugin_manager(autoload=autoload)
        _MANAGER_AUTOLOAD = autoload
    return _MANAGER


def reset_plugin_manager() -> None:
    """Forget the cached manager (the next :func:`get_plugin_manager` rebuilds it)."""
    global _MANAGER, _MANAGER_AUTOLOAD
    _MANAGER = None
    _MANAGER_AUTOLOAD = None


def report(plugin_manager: pluggy.PluginManager | None = None) -> LoadReport:
    """The load report: loaded plugins with versions and sectors, failures, blocked names.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        Default: :func:`get_plugin_manager`.
    """
    pm = plugin_manager or get_plugin_manager()
    return getattr(pm, "load_report", LoadReport(autoload=False))


def sectors(plugin_manager: pluggy.PluginManager | None = None) -> dict[str, SectorPlugin]:
    """Sector name -> plugin object, for every loaded plugin.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        Default: :func:`get_plugin_manager`.
    """
    pm = plugin_manager or get_plugin_manager()
    index = getattr(pm, "sector_index", None)
    if index is None:  # a plain pluggy manager given by a caller
        index = {}
        for batch in pm.hook.carbon_sector_plugins():
            for s in batch or ():
                if s.name in index:
                    raise PluginError(f"sector {s.name!r} is provided twice")
                index[s.name] = s
    return index


def metric_definitions(plugin_manager: pluggy.PluginManager | None = None, *,
                       taken: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every metric the plugins declare (hook ``carbon_metric_definitions``), by name.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        Default: :func:`get_plugin_manager`.
    taken : mapping of str to MetricInfo, optional
        Metrics already declared (the engine's, :data:`carbon_core.engine.ENGINE_METRICS`).

    Returns
    -------
    dict of str to MetricInfo

    Raises
    ------
    PluginError
        A name declared twice, by two plugins or by a plugin and the core: the error names both
        providers (a plugin never replaces a metric silently).
    """
    pm = plugin_manager or get_plugin_manager()
    taken = dict(taken or {})
    out: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for impl in pm.hook.carbon_metric_definitions.get_hookimpls():
        for info in _call_hook(impl) or ():
            name = str(getattr(info, "name", ""))
            if name in taken:
                raise PluginError(f"plugin {impl.plugin_name!r} declares metric {name!r}, which "
                                  f"{taken[name].provider!r} already declares; a plugin's metrics "
                                  "are named sector.<plugin>.<name>")
            if name in out:
                raise PluginError(f"metric {name!r} is declared by plugins {owner[name]!r} and "
                                  f"{impl.plugin_name!r}")
            out[name] = info
            owner[name] = impl.plugin_name
    return out


def _call_hook(impl):
    """Call one hook implementation; an exception inside it becomes a PluginError naming it."""
    try:
        return impl.function()
    except (PluginError, InputError):
        raise
    except Exception as exc:
        raise PluginError(f"plugin {impl.plugin_name!r} raised {type(exc).__name__} in "
                          f"{impl.function.__name__}: {exc}") from exc


def indicator_contributions(plugin_manager: pluggy.PluginManager | None = None) -> list[dict]:
    """Every indicator the plugins propose, each with ``provider`` set; duplicate ids are errors.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        Default: :func:`get_plugin_manager`.
    """
    pm = plugin_manager or get_plugin_manager()
    out: dict[str, dict] = {}
    for impl in pm.hook.carbon_indicator_contributions.get_hookimpls():
        for item in _call_hook(impl) or []:
            item = {**item, "provider": impl.plugin_name}
            iid = str(item.get("id"))
            if iid in out:
                raise PluginError(f"indicator {iid!r} is proposed by plugins "
                                  f"{out[iid]['provider']!r} and {impl.plugin_name!r}")
            out[iid] = item
    return list(out.values())


# --------------------------------------------------------------------------------------------------
# Factor library
# --------------------------------------------------------------------------------------------------


def read_factor_tables(items: Iterable[Any], owner: str = "a plugin"
                       ) -> list[tuple[dict, str, str]]:
    """Read factor tables as a plugin gives them; the one loader of production and the
    conformance suite (:func:`carbon_core.testing.plugin_library`).

    Parameters
    ----------
    items : iterable
        Paths or ``importlib.resources`` Traversables of TOML files (format of
        ``factors/README.md``), or ``(data, name)`` pairs of already-parsed tables.
    owner : str
        Who gives them, for errors.

    Returns
    -------
    list of (dict, str, str)
        ``(data, file name, sha256)`` triples for :meth:`FactorLibrary.from_tables`.

    Raises
    ------
    InputError
        A file that is not valid TOML (naming the file).
    PluginError
        A file that cannot be read, or an item of another kind (naming ``owner``).
    """
    import hashlib
    import tomli

    tables = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], dict):
            data, name = item
            tables.append((data, str(name), hashlib.sha256(repr(data).encode()).hexdigest()))
            continue
        path = Path(item) if isinstance(item, str) else item
        if not hasattr(path, "read_bytes"):
            raise PluginError(f"{owner} gave factor table {item!r}; expected a path to a TOML "
                              "file or a (data, name) pair")
        name = getattr(path, "name", str(path))
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PluginError(f"{owner}: factor file {name} cannot be read: {exc}") from None
        try:
            data = tomli.loads(raw.decode("utf-8"))
        except (tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError([Problem(file=name, message=f"not valid TOML: {exc}")]) from None
        tables.append((data, name, hashlib.sha256(raw).hexdigest()))
    return tables


def _plugin_library(pm: pluggy.PluginManager) -> FactorLibrary:
    cached = getattr(pm, "_plugin_library", None)
    if cached is not None:
        return cached
    tables = []
    for impl in pm.hook.carbon_factor_tables.get_hookimpls():
        tables.extend(read_factor_tables(_call_hook(impl) or (),
                                         owner=f"plugin {impl.plugin_name!r}"))
    # one source id contributed twice with the same content (two plugins sharing a file) is fine
    unique: dict[str, tuple] = {}
    for data, name, digest in tables:
        sid = str((data.get("source") or {}).get("id", name))
        if sid in unique and unique[sid][2] != digest:
            raise PluginError(f"factor source {sid!r} is contributed twice with different "
                              f"content ({unique[sid][1]} and {name})")
        unique.setdefault(sid, (data, name, digest))
    lib = FactorLibrary.from_tables(unique.values())
    if isinstance(pm, CarbonPluginManager):
        pm._plugin_library = lib
    return lib


def factor_library(base: FactorLibrary,
                   plugin_manager: pluggy.PluginManager | None = None) -> FactorLibrary:
    """``base`` merged with every plugin's factor tables.

    A plugin source already in ``base`` with the same content (same sha256) is skipped; with
    different content it is a :class:`~carbon_core.errors.PluginError`. The result is cached per
    manager and base library.

    Parameters
    ----------
    base : FactorLibrary
        Usually :meth:`FactorLibrary.default` (the core's editions under ``factors/``).
    plugin_manager : optional
        Default: :func:`get_plugin_manager`.

    Returns
    -------
    FactorLibrary
    """
    pm = plugin_manager or get_plugin_manager()
    cache = getattr(pm, "_libraries", None)
    if cache is not None and id(base) in cache and cache[id(base)][0] is base:
        return cache[id(base)][1]
    plugin_lib = _plugin_library(pm)
    have = base.sources
    new_sources = []
    for sid, src in plugin_lib.sources.items():
        if sid in have:
            if have[sid].sha256 and src.sha256 and have[sid].sha256 != src.sha256:
                raise PluginError(f"factor source {sid!r} from a plugin ({src.file}) differs from "
                                  f"the one in the base library ({have[sid].file})")
            continue
        new_sources.append(src)
    new_ids = {s.id for s in new_sources}
    extra = FactorLibrary(factors=[f for f in plugin_lib if f.source.id in new_ids],
                          sources=new_sources)
    merged = base.merged(extra) if new_sources else base
    if cache is not None:
        if len(cache) > 8:
            cache.clear()
        cache[id(base)] = (base, merged)
    return merged


# --------------------------------------------------------------------------------------------------
# What the engine calls
# --------------------------------------------------------------------------------------------------


def run_sectors(inventory, library: FactorLibrary, *,
                plugin_manager: pluggy.PluginManager | None = None,
                factory: FactoryView | None = None) -> SectorOutput:
    """Run every sector the factory declares; return its line items, metrics and plugin versions.

    Parameters
    ----------
    inventory : carbon_core.io.inventory.Inventory
        Uses ``factory.sectors``, ``raw["process"]``, ``path``, ``reporting_year``, ``gwp_set``.
    library : FactorLibrary
        Already merged with the plugins' tables (:func:`factor_library`).
    plugin_manager : optional
        Default: :func:`get_plugin_manager`.
    factory : FactoryView, optional
        What the plugins see of the factory (energy by carrier, production, year, region).

    Returns
    -------
    SectorOutput
        Line items, metrics, versions, and the carriers each sector claims
        (``claims``: carrier -> sector).

    Raises
    ------
    InputError
        A declared sector no plugin provides (naming the installed ones), a ``[process.X]`` table for
        a sector the factory does not declare, and every input problem of every sector, at once.
    """
    declared = tuple(getattr(inventory.factory, "sectors", ()) or ())
    out = SectorOutput()
    raw_process = (inventory.raw or {}).get("process") or {}
    file = str(getattr(inventory, "path", "inventory"))
    if not declared and not raw_process:
        return out
    pm = plugin_manager or get_plugin_manager()
    index = sectors(pm)
    problems: list[Problem] = []
    for sector in declared:
        if sector not in index:
            installed = sorted(index) or ["(none)"]
            failed = [str(f) for f in report(pm).failed]
            hint = f"; plugins that failed to load: {failed}" if failed else ""
            problems.append(Problem(
                file, f"no installed plugin provides sector {sector!r}{hint}", row="factory",
                field="sectors", found=sector, expected=f"one of the installed sectors {installed}"))
    for sector in raw_process:
        if sector not in declared:
            problems.append(Problem(file, "inputs for a sector the factory does not declare",
                                    row=f"process.{sector}", found=sector,
                                    expected=f"{sector!r} listed in [factory] sectors, or no "
                                    f"[process.{sector}] table"))
    gwp_set = getattr(inventory, "gwp_set", "AR5")
    year = getattr(inventory, "reporting_year", None)
    for sector in declared:
        plugin = index.get(sector)
        if plugin is None:
            continue
        try:
            res = plugin.compute(raw_process.get(sector), library=library, gwp_set=gwp_set,
                                 file=file, reporting_year=year, factory=factory)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for carrier in res.claims:
            if carrier in out.claims and out.claims[carrier] != sector:
                raise PluginError(f"carrier {carrier!r} is claimed by sectors "
                                  f"{out.claims[carrier]!r} and {sector!r}")
            out.claims[carrier] = sector
        out.line_items.extend(res.line_items)
        out.metrics.update(res.metrics)
        out.plugins[sector] = res.version
    if problems:
        raise InputError(problems)
    return out
