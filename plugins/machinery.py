"""Machinery and vehicle manufacturing: shielding and process gases, SF6 and HFCs, paint lines.

Method: GB/T 32151.29-2024 温室气体排放核算与报告要求 第29部分：机械设备制造企业 (effective
2025-04-01), process and fugitive emissions::

    E_CO2,gas     = sum (amount x w_CO2)                  CO2 used as shielding or process gas [t]
                    (Nm3 x volume fraction x rho_CO2 when metered by volume)
    E_F-gas       = stock_start - stock_end + purchased - charged_into_products - recovered
                    (SF6 in switchgear and electrical equipment, HFC-134a in vehicle air conditioning)
    E_CO2,paint   = sum (solvent used x carbon content x fraction oxidised x 44/12)
                    (carbon of paint solvents destroyed in thermal oxidisers, RTO/TO)

All quantities are the factory's own measurements; only the CO2 density (1.977 kg/Nm3 at 0 °C,
101.325 kPa) is a default. The standard's appendix C default values were not available to us: no
value from it is shipped. There is no national plant-level energy-consumption quota for machinery.
"""

from __future__ import annotations

import numpy as np

from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table, mass_balance

FGASES = ("SF6", "HFC-134a", "HFC-32", "HFC-125", "HFC-143a", "HFC-227ea", "CF4")


class Machinery(SectorPlugin):
    """CO2 shielding gas, SF6/F-gas mass balance and solvent carbon of machinery makers."""

    name = "machinery"
    title = "Machinery and vehicle manufacturing 机械设备制造/汽车制造 (process gases, SF6, paint lines)"
    method = ("GB/T 32151.29-2024 温室气体排放核算与报告要求 第29部分：机械设备制造企业: CO2 used as "
              "shielding/process gas counted as emitted; SF6 and HFC by mass balance; CO2 from "
              "carbon of paint solvents destroyed in oxidisers; GB/T 32150-2015 §6")
    references = (
        "SAC 2024, GB/T 32151.29-2024 温室气体排放核算与报告要求 第29部分：机械设备制造企业 "
        "(effective 2025-04-01)",
        "NDRC 2015, 机械设备制造企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号",
        "SAC 2015, GB/T 32150-2015 工业企业温室气体排放核算和报告通则",
    )
    factor_files = ("data/machinery.toml",)
    tables = (
        Table("co2_gas", (
            Field("amount", unit=None, doc="CO2 or CO2-containing gas used"),
            Field("unit", kind="choice", choices=("kg", "t", "Nm3"), doc="kg | t | Nm3"),
            Field("co2_fraction", unit="1", required=False, default=1.0, maximum=1.0,
                  doc="CO2 share: by mass for kg/t, by volume for Nm3 (e.g. 0.2 for Ar+20%CO2)"),
        ), doc="welding shielding gas and other CO2 process gas"),
        Table("fgas", (
            Field("gas", kind="choice", choices=FGASES, doc="SF6, HFC-134a ..."),
            Field("purchased", unit="kg", unit_key="unit"),
            Field("stock_start", unit="kg", unit_key="unit", required=False, default=0.0),
            Field("stock_end", unit="kg", unit_key="unit", required=False, default=0.0),
            Field("charged_into_products", unit="kg", unit_key="unit", required=False,
                  default=0.0, doc="charged into equipment or vehicles that left the site"),
            Field("recovered", unit="kg", unit_key="unit", required=False, default=0.0),
        ), doc="SF6 in switchgear, refrigerants charged into vehicles"),
        Table("solvent", (
            Field("used", unit="t", unit_key="unit", doc="solvent (VOC) entering the oxidiser"),
            Field("carbon_content", unit="1", maximum=1.0, doc="measured carbon mass fraction"),
            Field("oxidised_fraction", unit="1", maximum=1.0,
                  doc="fraction of the carbon oxidised (capture x destruction efficiency)"),
        ), doc="paint lines with RTO/TO"),
    )
    metric_definitions = (
        MetricInfo("process_tco2e", "tCO2e", "process and fugitive emissions 工业过程排放", False),
        MetricInfo("fgas_loss_rate", "1",
                   "F-gas emitted / F-gas purchased 含氟气体损耗率", False),
    )
    indicator_contributions = (
        {"id": "sector.machinery.fgas_loss", "parent": "process_decarbonisation",
         "name_zh": "SF6/HFC 损耗率", "name_en": "SF6 and HFC loss rate",
         "metric": "sector.machinery.fgas_loss_rate",
         "rule": {"type": "linear", "baseline": 0.05, "leading": 0.01}, "points": 3,
         "kind": "optional",
         "basis": "GB/T 32151.29-2024 mass balance; thresholds are programme choices (no "
                   "national quota)"},
    )

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{
            "co2_gas": [
                {"id": "weld-co2", "amount": 40.0, "unit": "t"},
                {"id": "weld-mix", "amount": 50000.0, "unit": "Nm3", "co2_fraction": 0.2},
            ],
            "fgas": [
                {"id": "switchgear-sf6", "gas": "SF6", "purchased": 500.0, "unit": "kg",
                 "stock_start": 100.0, "stock_end": 80.0, "charged_into_products": 505.0,
                 "recovered": 5.0},
                {"id": "vehicle-ac", "gas": "HFC-134a", "purchased": 20000.0, "unit": "kg",
                 "charged_into_products": 19850.0},
            ],
            "solvent": [
                {"id": "paint-rto-1", "used": 120.0, "unit": "t", "carbon_content": 0.6,
                 "oxidised_fraction": 0.95},
                {"id": "paint-rto-2", "used": 30.0, "unit": "t", "carbon_content": 0.55,
                 "oxidised_fraction": 0.9},
            ],
        }]

    def _compute(self, data, ctx):
        gas = data["co2_gas"]
        for unit in dict.fromkeys(gas["unit"].tolist()) if len(gas) else ():
            idx = np.flatnonzero(gas["unit"] == unit)
            w = gas["co2_fraction"][idx]
            if unit == "Nm3":
                rho, cite, ok = ctx.lookup(np.full(len(idx), "sector.machinery.co2.density",
                                                   dtype=object), gas, "unit", index=idx,
                                                   region="GLOBAL")
                factor, factor_unit, keys = w * rho, "kg/Nm3", ("sector.machinery.co2.density",)
                cite = "factory metering, CO2 share by volume; " + cite
            else:
                factor, factor_unit, keys = w, "t/t", ()
                cite, ok = "factory metering, CO2 share by mass", True
            ctx.emit("process", gas="CO2", source=gas.ids[idx], carrier="CO2",
                     activity=gas["amount"][idx], activity_unit=unit, factor_value=factor,
                     factor_unit=factor_unit, factor_source=cite, confirmed=ok,
                     factor_keys=keys,
                     formula="E = amount x w_CO2 (x rho_CO2 for Nm3) (GB/T 32151.29-2024)",
                     tag="co2_gas")
        fg = data["fgas"]
        if len(fg):
            emitted = mass_balance(fg["stock_start"], fg["stock_end"], fg["purchased"],
                                   fg["charged_into_products"], fg["recovered"])
            for i in np.flatnonzero(emitted < -1e-9):
                ctx.problem("the mass balance is negative: more gas left than came in",
                            row=fg.labels[i], field="charged_into_products",
                            found=float(fg["charged_into_products"][i]),
                            expected="at most stock_start - stock_end + purchased - recovered")
            emitted = np.maximum(emitted, 0.0)
            ctx.emit("fugitive", gas=fg["gas"], source=fg.ids, carrier=fg["gas"],
                     activity=emitted, activity_unit="kg", factor_value=1.0, factor_unit="kg/kg",
                     factor_source="factory mass balance (GB/T 32151.29-2024)",
                     formula="E = stock_start - stock_end + purchased - charged - recovered",
                     tag="fgas")
        sol = data["solvent"]
        if len(sol):
            f = sol["carbon_content"] * sol["oxidised_fraction"] * 44.0 / 12.0
            ctx.emit("process", gas="CO2", source=sol.ids, carrier="paint solvent",
                     activity=sol["used"], activity_unit="t", factor_value=f, factor_unit="t/t",
                     factor_source="measured carbon content and oxidised fraction; 44/12 "
                                   "stoichiometry",
                     formula="E = used x carbon content x oxidised x 44/12", tag="solvent")

    def _metrics(self, data, ctx):
        fg = data["fgas"]
        bought = float(fg["purchased"].sum()) if len(fg) else 0.0
        lost = 1000.0 * ctx.total_t(tag="fgas")
        return {"process_tco2e": ctx.total_tco2e(),
                "fgas_loss_rate": lost / bought if bought > 0 else None}
