"""carbon_core: carbon accounting for factories, from meter data to a net-zero balance and score.

The public surface is small and flat::

    import carbon_core
    inv = carbon_core.load_inventory("path/to/inventory.toml")   # see README.md
    res = carbon_core.compute(inv)
    res.to_dict()["scope1"]["total_tco2e"]

Plugin authors import :data:`hookimpl` from here and register their module under the entry-point
group ``carbon_core.plugins`` (see ``docs/plugins.md``)::

    [project.entry-points."carbon_core.plugins"]
    my_sector = "my_package.my_module"
"""

from ._version import __version__  # noqa: E402
from .errors import (  # noqa: E402
    CarbonCoreError,
    FactorNotFoundError,
    InputError,
    PluginError,
    Problem,
    UnitError,
)

__all__ = [
    "__version__",
    "compute",
    "load_inventory",
    "Inventory",
    "Results",
    "LineItem",
    "Factor",
    "FactorLibrary",
    "SelectionRule",
    "ureg",
    "Q_",
    "CarbonCoreError",
    "InputError",
    "Problem",
    "UnitError",
    "FactorNotFoundError",
    "PluginError",
    "hookimpl",
]

#: Public names loaded on first use (PEP 562), so that ``import carbon_core`` (and ``carbon
#: --help``) imports no pint registry, xarray, pandas or rich: name -> defining module.
_LAZY: dict[str, str] = {
    "compute": ".engine",
    "load_inventory": ".io.inventory",
    "Inventory": ".io.inventory",
    "Results": ".results",
    "LineItem": ".lineitems",
    "Factor": ".factors",
    "FactorLibrary": ".factors",
    "SelectionRule": ".factors",
    "ureg": ".units",
    "Q_": ".units",
    # the plugin contract: importing carbon_core never builds a plugin manager or imports plugins
    "hookimpl": ".hookspecs",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'carbon_core' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
