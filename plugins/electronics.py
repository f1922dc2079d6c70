"""Electronics, semiconductors and display panels: fluorinated-gas emissions of etch and CVD cleaning.

Method (IPCC 2006 Vol. 3 ch. 6, Tier 2, Eq. 6.2 and 6.3; uptime term of the 2019 Refinement)::

    E_i      = (1 - h) x FC_i x (1 - U_i) x (1 - a_i x d_i x UT_i)              [kg gas i]
    BPE_k,i  = (1 - h) x FC_i x B_k,i   x (1 - a_i x d_k x UT_i)                [kg by-product k]

FC_i gas i used (kg), h heel left in the cylinder, (1 - U_i) emission rate, B_k,i by-product
factor, a_i fraction of the gas used in tools with abatement, d destruction efficiency, UT uptime of
the abatement (2019 Refinement; the factory's own data). The NDRC guideline 电子设备制造企业温室
气体排放核算方法与报告指南（试行）(发改办气候〔2015〕1722号) and GB/T 32151.24-2024 use the same
structure. Defaults come from ``plugins/data/electronics-ipcc2006.toml``; factory-measured
values in a row win over them. With the 2006 (no uptime) form, omit ``uptime`` and set
``abated_fraction`` to 0, or give ``uptime = 1``.
"""

from __future__ import annotations

import numpy as np

from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table

GASES_USED = ("CF4", "C2F6", "C3F8", "c-C4F8", "CHF3", "SF6", "NF3")
BYPRODUCTS = ("CF4", "C2F6", "C3F8")


class Electronics(SectorPlugin):
    """Fluorinated gases of etch and CVD (IPCC 2006 Vol. 3 ch. 6 Eq. 6.2-6.3, Tier 2a)."""

    name = "electronics"
    title = "Electronics, semiconductors and display panels 电子设备制造(半导体/显示面板) F-gases"
    method = ("IPCC 2006 Guidelines Vol. 3 ch. 6 Tier 2 (Eq. 6.2 gas used, Eq. 6.3 by-products; "
              "Table 6.3 emission rates and by-product factors, Table 6.6 destruction efficiency), "
              "with the abatement uptime of the 2019 Refinement Vol. 3 ch. 6; NDRC 电子设备制造企业"
              "温室气体排放核算方法与报告指南（试行）2015; GB/T 32151.24-2024")
    references = (
        "IPCC 2006, 2006 IPCC Guidelines for National GHG Inventories, Vol. 3 ch. 6, Eq. 6.2-6.3, "
        "Tables 6.3 and 6.6",
        "IPCC 2019, 2019 Refinement to the 2006 IPCC Guidelines, Vol. 3 ch. 6 (uptime of abatement)",
        "NDRC 2015, 电子设备制造企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号",
        "SAC 2024, GB/T 32151.24-2024 温室气体排放核算与报告要求 第24部分：电子设备制造企业",
    )
    factor_files = ("data/electronics-ipcc2006.toml",)
    tables = (
        Table("gas_use", (
            Field("process", kind="choice", choices=("etch", "cvd", "all"),
                  doc="etch | cvd (chamber cleaning) | all (Tier 2a, not split)"),
            Field("gas", kind="choice", choices=GASES_USED, doc="fluorinated gas used"),
            Field("consumed", unit="kg", unit_key="unit", doc="gas used in the year FC_i"),
            Field("remote_plasma", kind="bool", required=False, default=False,
                  doc="NF3 in remote-plasma cleaning"),
            Field("heel", unit="1", required=False, maximum=1.0,
                  doc="fraction left in cylinders h (default 0.10)"),
            Field("emission_rate", unit="1", required=False, maximum=1.0,
                  doc="measured (1 - U_i)"),
            Field("abated_fraction", unit="1", required=False, default=0.0, maximum=1.0,
                  doc="a_i, fraction of the gas used in tools with abatement"),
            Field("destruction_efficiency", unit="1", required=False, maximum=1.0,
                  doc="measured d_i of the abatement (default: Table 6.6)"),
            Field("uptime", unit="1", required=False, maximum=1.0,
                  doc="UT, fraction of tool operating time the abatement ran (required with a > 0)"),
        ), doc="one row per gas and process"),
        Table("production", (
            Field("output", unit=None, required=True, doc="production in the year"),
            Field("output_unit", kind="text", required=True, doc="e.g. 'm2 glass', 'wafer'"),
        ), rows=False),
    )
    metric_definitions = (
        MetricInfo("fgas_tco2e", "tCO2e", "F-gas process emissions 含氟气体排放量", False),
        MetricInfo("fgas_abatement_coverage", "1",
                   "share of F-gas use treated by running abatement (sum a x UT x FC / sum FC) "
                   "尾气处理覆盖率", True),
        MetricInfo("fgas_tco2e_per_output", "tCO2e per output unit",
                   "F-gas emissions per unit of production 单位产品含氟气体排放", False),
    )
    indicator_contributions = (
        {"id": "sector.electronics.fgas_abatement", "parent": "process_decarbonisation",
         "name_zh": "含氟气体尾气处理覆盖率", "name_en": "F-gas abatement coverage",
         "metric": "sector.electronics.fgas_abatement_coverage",
         "rule": {"type": "linear", "baseline": 0.5, "leading": 0.95}, "points": 4,
         "kind": "optional",
         "basis": "IPCC 2006 Vol. 3 ch. 6 Eq. 6.2; no national energy-consumption quota (能耗限额) "
                   "exists for semiconductor or display-panel plants: thresholds are programme "
                   "choices, not a standard"},
    )

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{
            "gas_use": [
                {"id": "etch-CF4", "process": "etch", "gas": "CF4", "consumed": 1000.0,
                 "unit": "kg", "abated_fraction": 0.8, "uptime": 0.95},
                {"id": "etch-C2F6", "process": "etch", "gas": "C2F6", "consumed": 0.5,
                 "unit": "t"},
                {"id": "cvd-NF3", "process": "cvd", "gas": "NF3", "consumed": 2000.0,
                 "unit": "kg", "remote_plasma": True, "abated_fraction": 1.0, "uptime": 0.9,
                 "destruction_efficiency": 0.98},
                {"id": "etch-SF6", "process": "etch", "gas": "SF6", "consumed": 300.0,
                 "unit": "kg", "heel": 0.05, "emission_rate": 0.25},
            ],
            "production": {"output": 120000.0, "output_unit": "m2 glass substrate"},
        }]

    def _compute(self, data, ctx):
        rows = data["gas_use"]
        n = len(rows)
        if n == 0:
            return
        gas = rows["gas"]
        proc = rows["process"]
        remote = rows["remote_plasma"]
        ident = np.where(remote & (gas == "NF3"), "NF3_remote", gas)
        for i in np.flatnonzero(remote & (gas != "NF3")):
            ctx.problem("remote_plasma applies to NF3 only", row=rows.labels[i],
                        field="remote_plasma", found=True, expected="false for gas " + gas[i])
        pre = "sector.electronics"
        cite = np.full(n, "", dtype=object)
        confirmed = np.ones(n, bool)

        def value(field, keys):
            nonlocal cite, confirmed
            given = rows.given[field]
            out = rows[field].copy()
            if (~given).any():
                idx = np.flatnonzero(~given)
                vals, c, ok = ctx.lookup(np.asarray(keys, dtype=object)[idx],
                                         rows, field, index=idx, region="GLOBAL")
                out[idx] = vals
                cite[idx] = cite[idx] + np.where(cite[idx] == "", "", "; ") + c
                confirmed[idx] &= ok
            return out

        heel = value("heel", np.full(n, f"{pre}.heel", dtype=object))
        rate = value("emission_rate", [f"{pre}.{p}.{g}.emission_rate"
                                       for p, g in zip(proc, ident)])
        a = rows["abated_fraction"]
        ut = rows["uptime"]
        need_ut = (a > 0) & np.isnan(ut)
        for i in np.flatnonzero(need_ut):
            ctx.problem("abatement uptime is needed when part of the gas is abated",
                        row=rows.labels[i], field="uptime",
                        expected="the measured fraction of operating time the abatement ran "
                                 "(2019 Refinement Vol. 3 ch. 6); 1 only if it never stopped")
        ut = np.where(np.isnan(ut), 1.0, ut)
        d_keys = [f"{pre}.{g}.destruction_efficiency" for g in ident]
        d = rows["destruction_efficiency"].copy()
        use_default_d = (~rows.given["destruction_efficiency"]) & (a > 0)
        if use_default_d.any():
            idx = np.flatnonzero(use_default_d)
            vals, c, ok = ctx.lookup(np.asarray(d_keys, dtype=object)[idx], rows,
                                     "destruction_efficiency", index=idx, region="GLOBAL")
            d[idx] = vals
            cite[idx] = cite[idx] + "; " + c
            confirmed[idx] &= ok
        d = np.where(np.isnan(d), 0.0, d)
        measured = [", ".join(f for f in ("heel", "emission_rate", "destruction_efficiency")
                              if rows.given[f][i]) for i in range(n)]
        cite = np.array([(f"measured by the factory: {m}" + ("; " + c if c else "")) if m else c
                         for m, c in zip(measured, cite)], dtype=object)
        fc = rows["consumed"]
        factor = (1.0 - heel) * rate * (1.0 - a * d * ut)          # kg emitted / kg consumed
        ctx.emit("process", gas=gas, source=rows.ids, carrier=gas, activity=fc,
                 activity_unit="kg", factor_value=factor, factor_unit="kg/kg",
                 emissions=fc * factor / 1000.0, factor_source=cite, confirmed=confirmed,
                 factor_keys=[(f"{pre}.heel", k, dk) for k, dk in
                              zip([f"{pre}.{p}.{g}.emission_rate" for p, g in zip(proc, ident)],
                                  d_keys)],
                 formula="E = (1-h) x FC x (1-U) x (1 - a x d x UT) (IPCC 2006 Vol.3 Eq. 6.2; "
                         "UT: 2019 Refinement)", tag="gas")
        # by-products: B_k,i where the table gives one; abatement with d of the by-product
        for bp in BYPRODUCTS:
            keys = np.array([f"{pre}.{p}.{g}.byproduct.{bp}" for p, g in zip(proc, ident)],
                            dtype=object)
            has = np.array([k in ctx.library for k in keys], dtype=bool)
            if not has.any():
                continue
            idx = np.flatnonzero(has)
            b, bc, bok = ctx.lookup(keys[idx], rows, "gas", region="GLOBAL", index=idx)
            dbp = np.zeros(len(idx))
            abated = a[idx] > 0
            if abated.any():
                dv, dc, dok = ctx.lookup(np.full(int(abated.sum()),
                                                 f"{pre}.{bp}.destruction_efficiency",
                                                 dtype=object),
                                         rows, "destruction_efficiency", index=idx[abated],
                                         region="GLOBAL")
                dbp[abated] = dv
                bc[abated] = bc[abated] + "; " + dc
                bok[abated] &= dok
            f_bp = (1.0 - heel[idx]) * b * (1.0 - a[idx] * dbp * ut[idx])
            hc = cite[idx]
            ctx.emit("process", gas=bp, source=rows.ids[idx], carrier=gas[idx],
                     activity=fc[idx], activity_unit="kg", factor_value=f_bp,
                     factor_unit="kg/kg", emissions=fc[idx] * f_bp / 1000.0,
                     factor_source=bc + np.where(hc == "", "", "; ") + hc,
                     confirmed=bok & confirmed[idx],
                     factor_keys=[(f"{pre}.heel", k) for k in keys[idx]],
                     formula=f"BPE_{bp} = (1-h) x FC x B_{bp} x (1 - a x d_{bp} x UT) "
                             "(IPCC 2006 Vol.3 Eq. 6.3)", tag=f"byproduct-{bp}")

    def _metrics(self, data, ctx):
        total = ctx.total_tco2e()
        rows = data["gas_use"]
        fc = float(rows["consumed"].sum())
        ut = np.where(np.isnan(rows["uptime"]), 1.0, rows["uptime"])
        abated = float((rows["abated_fraction"] * ut * rows["consumed"]).sum())
        prod = data["production"]
        out = prod.get("output")
        return {
            "fgas_tco2e": total,
            "fgas_abatement_coverage": (abated / fc) if fc > 0 else None,
            "fgas_tco2e_per_output": (total / out) if out else None,
        }
