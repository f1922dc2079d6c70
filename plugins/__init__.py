"""The built-in sector plugins (installed as the package ``carbon_core_plugins``).

One module per sector, each a :class:`carbon_core.sector.SectorPlugin` registered in
``pyproject.toml`` under the entry-point group ``carbon_core.plugins`` exactly like a third-party
plugin: :mod:`.electronics`, :mod:`.appliances`, :mod:`.machinery`, :mod:`.cement` and
:mod:`.steel`, with their factor files in ``data/``. :mod:`._template` is the documented
template for a new plugin and is not registered. Nothing is imported here: the plugin manager
loads each module through its entry point, when a computation first needs it
(``docs/plugins.md``).
"""
