"""Household appliances and refrigeration: HFC refrigerant charging and leakage, foam blowing agents.

Method: factory-level mass balance (IPCC 2006 Vol. 3 ch. 7 §7.5, the mass-balance form of
refrigerant emissions at product manufacture, and §7.4 for foams)::

    E_refrigerant = (stock_start - stock_end) + purchased - charged_into_products - recovered  [kg]
    E_gas         = E_refrigerant x w_gas          (blends split by ASHRAE 34 mass fractions)
    E_foam agent  = used - retained_in_products    (mass balance), or
                    used x first-year loss         (IPCC 2006 Vol. 3 Table 7.5, unconfirmed default)

Blends: R-410A = 50 % HFC-32 + 50 % HFC-125; R-407C = 23/25/52 % HFC-32/HFC-125/HFC-134a;
R-404A = 44/52/4 % HFC-125/HFC-143a/HFC-134a; R-507A = 50/50 % HFC-125/HFC-143a (ANSI/ASHRAE
Standard 34). Hydrocarbons (R-600a, R-290) are not greenhouse gases under GB/T 32150 and are left
out of the inventory.

Energy quota: there is no national plant-level energy-consumption quota (能耗限额) for appliance
manufacture; GB 12021.2-2015 (household refrigerators) is a *product* energy-efficiency standard
and does not grade plants. The plugin offers a refrigerant loss rate instead.
"""

from __future__ import annotations

import numpy as np

from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table, mass_balance

PURE = {"HFC-32": "HFC-32", "R-32": "HFC-32", "HFC-134a": "HFC-134a", "R-134a": "HFC-134a",
        "HFC-125": "HFC-125", "R-125": "HFC-125", "HFC-143a": "HFC-143a", "R-143a": "HFC-143a",
        "HFC-152a": "HFC-152a", "R-152a": "HFC-152a", "HFC-245fa": "HFC-245fa",
        "R-245fa": "HFC-245fa", "HFC-227ea": "HFC-227ea"}
BLENDS = {"R-410A": ("HFC-32", "HFC-125"), "R-407C": ("HFC-32", "HFC-125", "HFC-134a"),
          "R-404A": ("HFC-125", "HFC-143a", "HFC-134a"), "R-507A": ("HFC-125", "HFC-143a")}
FOAM_AGENTS = ("HFC-245fa", "HFC-365mfc", "HFC-134a", "HFC-152a")


class Appliances(SectorPlugin):
    """Refrigerant charging and foam blowing of appliance makers, by mass balance (IPCC 2006
    Vol. 3 ch. 7 §7.4-7.5)."""

    name = "appliances"
    title = "Household appliances and refrigeration 家用电器/制冷设备 (refrigerants, foams)"
    method = ("Mass balance of refrigerants and foam blowing agents at the factory, IPCC 2006 "
              "Guidelines Vol. 3 ch. 7 §7.4 (foams) and §7.5 (refrigeration, product "
              "manufacture); blend compositions ANSI/ASHRAE Standard 34; GB/T 32150-2015 §6 "
              "(HFC emissions reported as process/fugitive emissions)")
    references = (
        "IPCC 2006, 2006 IPCC Guidelines Vol. 3 ch. 7 Emissions of fluorinated substitutes for "
        "ozone depleting substances, §7.4-7.5, Table 7.5",
        "ANSI/ASHRAE Standard 34, Designation and Safety Classification of Refrigerants",
        "SAC 2015, GB/T 32150-2015 工业企业温室气体排放核算和报告通则",
    )
    factor_files = ("data/appliances.toml",)
    tables = (
        Table("refrigerant", (
            Field("refrigerant", kind="choice", choices=tuple(PURE) + tuple(BLENDS),
                  doc="refrigerant or blend (R-410A ...)"),
            Field("purchased", unit="kg", unit_key="unit", doc="bought in the year"),
            Field("stock_start", unit="kg", unit_key="unit", required=False, default=0.0,
                  doc="in storage at the start of the year"),
            Field("stock_end", unit="kg", unit_key="unit", required=False, default=0.0,
                  doc="in storage at the end of the year"),
            Field("charged_into_products", unit="kg", unit_key="unit",
                  doc="charged into products that left the factory"),
            Field("recovered", unit="kg", unit_key="unit", required=False, default=0.0,
                  doc="returned to the supplier, recycled or destroyed off site"),
        ), doc="one row per refrigerant"),
        Table("foam", (
            Field("agent", kind="choice", choices=FOAM_AGENTS, doc="blowing agent"),
            Field("used", unit="kg", unit_key="unit", doc="blowing agent used"),
            Field("retained_in_products", unit="kg", unit_key="unit", required=False,
                  doc="agent contained in the foam of shipped products (mass balance)"),
            Field("application", kind="choice", choices=("appliance",), required=False,
                  default="appliance", doc="foam application, for the default loss"),
        )),
        Table("production", (
            Field("output", doc="products made in the year"),
            Field("output_unit", kind="text", doc="e.g. '台'"),
        ), rows=False),
    )
    metric_definitions = (
        MetricInfo("hfc_tco2e", "tCO2e", "HFC emissions from refrigerants and foams HFC排放量",
                   False),
        MetricInfo("refrigerant_loss_rate", "1",
                   "refrigerant emitted / refrigerant charged into products 制冷剂损耗率", False),
        MetricInfo("hfc_tco2e_per_output", "tCO2e per output unit",
                   "HFC emissions per product 单位产品HFC排放", False),
    )
    indicator_contributions = (
        {"id": "sector.appliances.refrigerant_loss", "parent": "process_decarbonisation",
         "name_zh": "制冷剂充注损耗率", "name_en": "Refrigerant charging loss rate",
         "metric": "sector.appliances.refrigerant_loss_rate",
         "rule": {"type": "linear", "baseline": 0.03, "leading": 0.005}, "points": 4,
         "kind": "optional",
         "basis": "mass balance per IPCC 2006 Vol. 3 ch. 7; no national quota exists: the "
                   "thresholds are programme choices"},
    )

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{
            "refrigerant": [
                {"id": "R410A", "refrigerant": "R-410A", "unit": "kg", "stock_start": 2000.0,
                 "stock_end": 1500.0, "purchased": 30000.0, "charged_into_products": 30200.0,
                 "recovered": 100.0},
                {"id": "R134a", "refrigerant": "R-134a", "unit": "t", "purchased": 12.0,
                 "charged_into_products": 11.9},
            ],
            "foam": [
                {"id": "cabinet-foam", "agent": "HFC-245fa", "used": 8000.0, "unit": "kg",
                 "retained_in_products": 7600.0},
                {"id": "door-foam", "agent": "HFC-245fa", "used": 1000.0, "unit": "kg"},
            ],
            "production": {"output": 1200000.0, "output_unit": "台"},
        }]

    def _compute(self, data, ctx):
        ref = data["refrigerant"]
        if len(ref):
            emitted = mass_balance(ref["stock_start"], ref["stock_end"], ref["purchased"],
                                   ref["charged_into_products"], ref["recovered"])
            for i in np.flatnonzero(emitted < -1e-9):
                ctx.problem("the mass balance is negative: more refrigerant left than came in",
                            row=ref.labels[i], field="charged_into_products",
                            found=float(ref["charged_into_products"][i]),
                            expected=f"at most stock_start - stock_end + purchased - recovered "
                                     f"= {float(ref['charged_into_products'][i] + emitted[i]):g}"
                                     " kg; check the stocks")
            emitted = np.maximum(emitted, 0.0)
            names = ref["refrigerant"]
            for name in dict.fromkeys(names.tolist()):
                mask = names == name
                idx = np.flatnonzero(mask)
                if name in PURE:
                    comps = [(PURE[name], None)]
                else:
                    comps = [(g, f"sector.appliances.blend.{name}.{g}") for g in BLENDS[name]]
                for gas, key in comps:
                    if key is None:
                        w = np.ones(len(idx))
                        cite = np.full(len(idx), "pure refrigerant; factory mass balance",
                                       dtype=object)
                        ok = np.ones(len(idx), bool)
                    else:
                        w, c, ok = ctx.lookup(np.full(len(idx), key, dtype=object),
                                              ref, "refrigerant", index=idx, region="GLOBAL")
                        cite = "factory mass balance; " + c
                    ctx.emit("fugitive", gas=gas, source=ref.ids[idx], carrier=name,
                             activity=emitted[idx], activity_unit="kg", factor_value=w,
                             factor_unit="kg/kg", factor_source=cite, confirmed=ok,
                             factor_keys=(key,) if key else (),
                             formula="E = (stock_start - stock_end + purchased - charged - "
                                     "recovered) x w_gas (IPCC 2006 Vol.3 §7.5 mass balance)",
                             tag="refrigerant")
        foam = data["foam"]
        if len(foam):
            used = foam["used"]
            retained = foam["retained_in_products"]
            balance = ~np.isnan(retained)
            for i in np.flatnonzero(balance & (retained > used + 1e-9)):
                ctx.problem("more blowing agent retained than used", row=foam.labels[i],
                            field="retained_in_products", found=float(retained[i]),
                            expected=f"<= used ({float(used[i]):g} kg)")
            factor = np.ones(len(foam))
            cite = np.full(len(foam), "factory mass balance (used - retained in products)",
                           dtype=object)
            ok = np.ones(len(foam), bool)
            keys = np.array([f"sector.appliances.foam.{a}.first_year_loss"
                             for a in foam["application"]], dtype=object)
            idx = np.flatnonzero(~balance)
            if len(idx):
                v, c, k = ctx.lookup(keys[idx], foam, "retained_in_products", index=idx,
                                     region="GLOBAL")
                factor[idx], cite[idx], ok[idx] = v, c, k
            emitted_kg = np.where(balance, np.maximum(used - np.nan_to_num(retained), 0.0),
                                  used * factor)
            ctx.emit("fugitive", gas=foam["agent"], source=foam.ids, carrier=foam["agent"],
                     activity=used, activity_unit="kg",
                     factor_value=np.divide(emitted_kg, used, out=np.zeros(len(used)),
                                            where=used > 0),
                     factor_unit="kg/kg", emissions=emitted_kg / 1000.0, factor_source=cite,
                     confirmed=ok, factor_keys=[(k,) if not b else () for k, b in
                                                zip(keys, balance)],
                     formula="E = used - retained (mass balance) or used x first-year loss "
                             "(IPCC 2006 Vol.3 §7.4)", tag="foam")

    def _metrics(self, data, ctx):
        ref = data["refrigerant"]
        charged = float(ref["charged_into_products"].sum()) if len(ref) else 0.0
        lost_kg = 1000.0 * ctx.total_t(tag="refrigerant")
        total = ctx.total_tco2e()
        out = data["production"].get("output")
        return {
            "hfc_tco2e": total,
            "refrigerant_loss_rate": lost_kg / charged if charged > 0 else None,
            "hfc_tco2e_per_output": total / out if out else None,
        }
