"""carbon_core: carbon accounting for factories, from meter data to a net-zero balance and score.

The public surface is small and flat::

    import carbon_core
    inv = carbon_core.load_inventory("examples/hefei-appliance/inventory.toml")
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
from .factors import Factor, FactorLibrary, SelectionRule  # noqa: E402
from .io.inventory import Inventory, load_inventory  # noqa: E402
from .lineitems import LineItem  # noqa: E402
from .units import Q_, ureg  # noqa: E402
from .engine import compute  # noqa: E402
from .results import Results  # noqa: E402

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


def __getattr__(name):
    # `hookimpl` comes from the plugin contract; imported lazily so that importing carbon_core
    # never builds a plugin manager or imports plugins.
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'carbon_core' has no attribute {name!r}")
