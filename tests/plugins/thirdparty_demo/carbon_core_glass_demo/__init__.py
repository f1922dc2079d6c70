"""A third-party sector plugin: glass melting, CO2 of carbonate raw materials (IPCC 2006 Vol. 3
ch. 2 Eq. 2.10: CO2 = sum M_i x EF_i x F_i, EF from stoichiometry)."""

from carbon_core.hookspecs import hookimpl  # noqa: F401  (what a module-level plugin would use)
from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table


class Glass(SectorPlugin):
    name = "glass"
    title = "Glass melting (demo third-party plugin)"
    method = "IPCC 2006 Vol. 3 ch. 2 Eq. 2.10 (carbonates in glass batch); Table 2.1 factors"
    references = ("IPCC 2006, 2006 IPCC Guidelines Vol. 3 ch. 2, Eq. 2.10, Table 2.1",)
    factor_files = ("glass.toml",)            # beside this module: the default factor_package
    unit_definitions = ("glass_batch_demo = 1000 kg",)
    tables = (Table("carbonates", (
        Field("carbonate", kind="choice", choices=("soda_ash", "limestone")),
        Field("amount", unit="t", unit_key="unit"),
        Field("calcination", unit="1", required=False, default=1.0, maximum=1.0),
    )),)
    metric_definitions = (MetricInfo("process_tco2", "tCO2", "glass process CO2", False),)

    @classmethod
    def example_inputs(cls):
        return [{"carbonates": [
            {"id": "soda", "carbonate": "soda_ash", "amount": 1000.0, "unit": "t"},
            {"id": "lime", "carbonate": "limestone", "amount": 2.0, "unit": "glass_batch_demo"},
        ]}]

    def _compute(self, data, ctx):
        rows = data["carbonates"]
        keys = [f"sector.glass.{c}.co2_factor" for c in rows["carbonate"]]
        ef, cite, ok = ctx.lookup(keys, rows, "carbonate", region="GLOBAL")
        ctx.emit("process", gas="CO2", source=rows.ids, carrier=rows["carbonate"],
                 activity=rows["amount"], activity_unit="t",
                 factor_value=ef * rows["calcination"], factor_unit="t/t", factor_source=cite,
                 confirmed=ok, factor_keys=[(k,) for k in keys],
                 formula="E = M x EF x F (IPCC 2006 Vol.3 Eq. 2.10)", tag="carbonate")

    def _metrics(self, data, ctx):
        return {"process_tco2": ctx.total_t("CO2")}
