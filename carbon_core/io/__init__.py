"""Inputs: the files a factory writes, read and validated at the boundary.

- :mod:`carbon_core.io.inventory`: the factory inventory (one TOML file per factory and
  reporting year), every key declared and every problem reported at once;
- :mod:`carbon_core.io.meters`: meter time series (CSV, Parquet) into float64
  (meters x intervals) arrays in canonical units, with :mod:`carbon_core.io.meter_checks` for
  integrity, registers, coarser blocks and magnitudes;
- :mod:`carbon_core.io.targets`: the ``[targets]`` and ``[dynamic]`` tables of the report;
- :mod:`carbon_core.io.paths`: the files an inventory names stay inside its folder;
- :mod:`carbon_core.io.toml_text`: a TOML file a person wrote: UTF-8 (a byte-order mark
  accepted), NaN, infinities and overflowing magnitudes refused;
- :mod:`carbon_core.io.reference`: the field reference of ``docs/inventory.md``, generated from
  the declarations.

Importing this package imports none of them.
"""
