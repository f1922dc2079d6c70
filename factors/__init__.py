"""Factor data files of carbon_core, one TOML file per source edition.

Installed as the data-only package ``carbon_core_factors``; read them through
:class:`carbon_core.factors.FactorLibrary`, never by path. The file format is described in
``factors/README.md``.
"""
