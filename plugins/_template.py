"""TEMPLATE for a sector plugin: copy this file into your own package and fill in the blanks.

1. Rename the class and set ``name`` (what factories write in ``[factory] sectors``).
2. Cite the method: standard, edition, equation or table, in ``method`` and ``references``.
3. Declare inputs as ``Table``/``Field`` (units, bounds, choices): the base class validates them,
   converts units and reports every problem at once. Never validate by hand.
4. Put defaults in a factor file (format: ``factors/README.md``; keys ``sector.<name>.*``; every
   value with its source, table and confidence C/S/M/X) *beside your module* (for example
   ``my_package/data/my_sector.toml``, shipped as package data) and list it in ``factor_files``
   as ``"data/my_sector.toml"``: the files are looked up in the package of your module unless
   you set ``factor_package``.
5. Write ``_compute`` over whole numpy arrays: ``ctx.lookup`` for defaults (``index=`` for a
   subset of the rows; ``region=`` and ``rule=`` as in ``ctx.factor``), ``ctx.emit`` for
   emissions (category "process" or "fugitive", gas named as in ``carbon_core.units.GASES``).
   Read the factory, never ask the user again: ``ctx.factory.energy`` (by carrier, tce),
   ``ctx.factory.total_tce_calorific``, ``ctx.factory.output``, ``.reporting_year``,
   ``.region`` (read-only). A carrier whose carbon your method accounts (a feedstock, a
   reductant) goes in ``claimed_carriers``: the engine then refuses a core fuel line for it.
   Any exception your code raises reaches the user as a ``PluginError`` naming your plugin.
6. Declare metrics (``sector.<name>.<short>``) and, if the scoring layer should use them, propose
   indicators in ``indicator_contributions``.
7. Give ``example_inputs()`` (two rows or more per row table), ``example_factory()`` if you read
   ``ctx.factory``, and run the conformance suite: ``carbon_core.testing.check_plugin(MySector())``
   in your tests.
8. Register the entry point in your ``pyproject.toml``::

       [project.entry-points."carbon_core.plugins"]
       my_sector = "my_package.my_module:MySector"

This module is not registered: it is documentation (and is imported by the tests to check that the
template itself passes the suite).
"""

from __future__ import annotations

from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table


class TemplateSector(SectorPlugin):
    """One line: what the sector emits and by which standard (fill in)."""

    name = "template_sector"                      # ^[a-z][a-z0-9_]*$
    title = "Template sector 模板行业"
    method = "E = activity x EF (cite: standard, edition, equation/table)"
    references = ("Publisher year, document title, equation/table",)
    factor_files = ()                              # e.g. ("data/template_sector.toml",)
    claimed_carriers = ()                          # e.g. ("coke",) for a reductant you balance
    tables = (
        Table("activity", (                        # [[process.template_sector.activity]]
            Field("material", kind="choice", choices=("a", "b")),
            Field("amount", unit="t", unit_key="unit", doc="amount used in the year"),
            Field("emission_factor", unit="1", doc="measured tCO2 per t (or look up a default)"),
        )),
    )
    metric_definitions = (MetricInfo("process_tco2", "tCO2", "process CO2", False),)
    indicator_contributions = ()

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{"activity": [
            {"id": "row-1", "material": "a", "amount": 10.0, "unit": "t", "emission_factor": 0.5},
            {"id": "row-2", "material": "b", "amount": 2000.0, "unit": "kg",
             "emission_factor": 0.25},
        ]}]

    def _compute(self, data, ctx):
        rows = data["activity"]                    # Rows: float64 arrays in the declared units
        ctx.emit("process", gas="CO2", source=rows.ids, carrier=rows["material"],
                 activity=rows["amount"], activity_unit="t",
                 factor_value=rows["emission_factor"], factor_unit="t/t",
                 factor_source="measured by the factory", formula="E = amount x EF",
                 tag="activity")

    def _metrics(self, data, ctx):
        return {"process_tco2": ctx.total_t("CO2")}
        # e.g. energy per unit of output from the core's energy accounting (当量值, tce):
        # ctx.factory.total_tce_calorific / ctx.factory.output
