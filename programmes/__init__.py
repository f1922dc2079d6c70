"""Programme bundles of carbon_core: one folder per programme, data only.

Installed as the data-only package ``carbon_core_programmes``; read them through
:func:`carbon_core.programmes.get_programme`, never by path. The bundle format is described in
``programmes/README.md``.
"""
