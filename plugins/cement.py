"""Cement: CO2 of clinker calcination, kiln dust and raw-meal organic carbon.

Method: GB/T 32151.8-2015 温室气体排放核算与报告要求 第8部分：水泥生产企业 and the NDRC guideline
中国水泥生产企业温室气体排放核算方法与报告指南（试行）(发改办气候〔2013〕2526号), process emissions::

    EF_cli   = (CaO - CaO_nc) x 44/56 + (MgO - MgO_nc) x 44/40          [tCO2 / t clinker]
    E_cli    = Q_clinker x EF_cli
    E_dust   = (Q_kiln_dust + Q_bypass_dust) x EF_cli                   (dust leaving the kiln system)
    E_org    = Q_raw_meal x FR_organic_carbon x 44/12

CaO, MgO: measured mass fractions in clinker (inputs, not defaults); CaO_nc, MgO_nc: the parts
not from carbonates (from e.g. steel slag or fly ash), default 0. FR_organic_carbon: measured, or
the guideline's 0.1 %-0.3 % range (low end shipped, unconfirmed). Fuel combustion (including
alternative fuels) is the core's fuel-combustion category, not this plugin's.

Energy quota: GB 16780-2021 水泥单位产品能源消耗限额 grades the comparable clinker comprehensive
energy consumption 可比熟料综合能耗 (kgce/t) in grades 1/2/3 (grade 3 = the limit). The plugin reads
the factory's comprehensive energy consumption from the core (``ctx.factory``, electricity at
当量值 as the standard counts it; nobody types energy twice) and divides it by the clinker produced:
the whole plant's energy is attributed to clinker (a clinker line without cement grinding), and the
standard's altitude and strength corrections to the *comparable* value are not applied.
"""

from __future__ import annotations

import numpy as np

from carbon_core.metrics import MetricInfo
from carbon_core.sector import FactoryView, Field, SectorPlugin, Table, quota_grade

CO2_PER_CAO = 44.0 / 56.0  # as written in GB/T 32151.8-2015
CO2_PER_MGO = 44.0 / 40.0
CO2_PER_C = 44.0 / 12.0


class Cement(SectorPlugin):
    """Clinker calcination, kiln dust and raw-meal organic carbon (GB/T 32151.8-2015 §6)."""

    name = "cement"
    title = "Cement clinker 水泥熟料生产 (calcination, kiln dust, raw-meal organic carbon)"
    method = ("GB/T 32151.8-2015 §6 process emissions (clinker from CaO/MgO content, kiln and "
              "bypass dust, raw-meal non-fuel carbon); NDRC 中国水泥生产企业温室气体排放核算方法与"
              "报告指南（试行）2013; energy grade by GB 16780-2021 可比熟料综合能耗 grades 1/2/3")
    references = (
        "SAC 2015, GB/T 32151.8-2015 温室气体排放核算与报告要求 第8部分：水泥生产企业",
        "NDRC 2013, 中国水泥生产企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2013〕2526号",
        "SAC 2021, GB 16780-2021 水泥单位产品能源消耗限额",
    )
    factor_files = ("data/cement.toml",)
    tables = (
        Table("kiln", (
            Field("clinker", unit="t", unit_key="unit", doc="clinker produced Q_cli"),
            Field("cao", unit="1", maximum=1.0, doc="measured CaO mass fraction of clinker"),
            Field("mgo", unit="1", maximum=1.0, doc="measured MgO mass fraction of clinker"),
            Field("cao_non_carbonate", unit="1", maximum=1.0, required=False, default=0.0),
            Field("mgo_non_carbonate", unit="1", maximum=1.0, required=False, default=0.0),
            Field("kiln_dust", unit="t", unit_key="unit", required=False, default=0.0,
                  doc="kiln-exhaust dust leaving the system"),
            Field("bypass_dust", unit="t", unit_key="unit", required=False, default=0.0),
            Field("raw_meal", unit="t", unit_key="unit", doc="raw meal consumed"),
            Field("raw_meal_organic_carbon", unit="1", maximum=1.0, required=False,
                  doc="measured non-fuel carbon mass fraction of raw meal"),
        ), doc="one row per clinker line"),
    )
    metric_definitions = (
        MetricInfo("process_tco2", "tCO2", "cement process CO2 水泥过程排放", False),
        MetricInfo("process_tco2_per_t_clinker", "tCO2/t",
                   "process CO2 per t clinker 吨熟料过程排放", False),
        MetricInfo("clinker_energy_kgce_per_t", "kgce/t",
                   "clinker comprehensive energy consumption: the factory's energy (当量值) per t "
                   "clinker, without the comparable corrections 熟料综合能耗", False),
        MetricInfo("clinker_energy_grade", "1",
                   "grade per GB 16780-2021 (1 best; 4 = above the grade-3 limit) 能耗等级", False),
    )
    indicator_contributions = (
        {"id": "sector.cement.clinker_energy_grade", "parent": "energy_efficiency",
         "name_zh": "可比熟料综合能耗等级", "name_en": "Clinker energy-consumption grade",
         "metric": "sector.cement.clinker_energy_grade",
         "rule": {"type": "steps", "direction": "lower_is_better",
                  "steps": [{"at": 1, "fraction": 1.0}, {"at": 2, "fraction": 0.6},
                            {"at": 3, "fraction": 0.2}]},
         "points": 6, "kind": "optional",
         "basis": "GB 16780-2021 水泥单位产品能源消耗限额, grades 1/2/3 (grade 3 is the limit "
                   "value); threshold values unconfirmed [M]"},
    )

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{
            "kiln": [
                {"id": "line-1", "clinker": 1500000.0, "unit": "t", "cao": 0.65, "mgo": 0.02,
                 "kiln_dust": 3000.0, "raw_meal": 2325000.0},
                {"id": "line-2", "clinker": 800000.0, "unit": "t", "cao": 0.655, "mgo": 0.018,
                 "cao_non_carbonate": 0.01, "bypass_dust": 1500.0, "raw_meal": 1240000.0,
                 "raw_meal_organic_carbon": 0.002},
            ],
        }]

    @classmethod
    def example_factory(cls):
        """The factory energy the example assumes (from the core in a real inventory)."""
        # 103.5 kgce/t x 2 300 000 t clinker = 238 050 tce (当量值), e.g. of coal
        return FactoryView.from_tce({"raw_coal": 238050.0})

    def _compute(self, data, ctx):
        k = data["kiln"]
        if not len(k):
            return
        cao = k["cao"] - k["cao_non_carbonate"]
        mgo = k["mgo"] - k["mgo_non_carbonate"]
        for i in np.flatnonzero((cao < 0) | (mgo < 0)):
            ctx.problem("non-carbonate CaO/MgO exceeds the total", row=k.labels[i],
                        field="cao_non_carbonate",
                        expected="cao_non_carbonate <= cao and mgo_non_carbonate <= mgo")
        ef = np.maximum(cao, 0) * CO2_PER_CAO + np.maximum(mgo, 0) * CO2_PER_MGO
        src = "measured clinker CaO/MgO; stoichiometry CO2/CaO = 44/56, CO2/MgO = 44/40"
        formula = "EF = (CaO - CaO_nc) x 44/56 + (MgO - MgO_nc) x 44/40 (GB/T 32151.8-2015)"
        ctx.emit("process", gas="CO2", source=k.ids, carrier="clinker", activity=k["clinker"],
                 activity_unit="t", factor_value=ef, factor_unit="t/t", factor_source=src,
                 formula="E = Q_cli x " + formula, tag="clinker")
        ctx.emit("process", gas="CO2", source=k.ids, carrier="kiln dust",
                 activity=k["kiln_dust"] + k["bypass_dust"], activity_unit="t", factor_value=ef,
                 factor_unit="t/t", factor_source=src, formula="E = (Q_ckd + Q_bypass) x " + formula,
                 tag="dust")
        oc = k["raw_meal_organic_carbon"].copy()
        cite = np.full(len(k), "measured raw-meal organic carbon; 44/12", dtype=object)
        ok = np.ones(len(k), bool)
        idx = np.flatnonzero(~k.given["raw_meal_organic_carbon"])
        if len(idx):
            v, c, g = ctx.lookup(np.full(len(idx), "sector.cement.raw_meal.organic_carbon",
                                         dtype=object), k, "raw_meal_organic_carbon", index=idx)
            oc[idx], cite[idx], ok[idx] = v, c + "; 44/12", g
        ctx.emit("process", gas="CO2", source=k.ids, carrier="raw meal", activity=k["raw_meal"],
                 activity_unit="t", factor_value=oc * CO2_PER_C, factor_unit="t/t",
                 factor_source=cite, confirmed=ok,
                 factor_keys=[("sector.cement.raw_meal.organic_carbon",) if not g else ()
                              for g in k.given["raw_meal_organic_carbon"]],
                 formula="E = Q_rm x FR_oc x 44/12 (GB/T 32151.8-2015)", tag="organic_carbon")

    def _metrics(self, data, ctx):
        k = data["kiln"]
        clinker = float(k["clinker"].sum()) if len(k) else 0.0
        co2 = ctx.total_t("CO2")
        tce = ctx.factory.total_tce_calorific
        energy = 1000.0 * tce / clinker if clinker > 0 and tce > 0 else None
        grades = [ctx.factor(f"sector.cement.quota.clinker.grade{g}").value for g in (1, 2, 3)]
        return {
            "process_tco2": co2,
            "process_tco2_per_t_clinker": co2 / clinker if clinker > 0 else None,
            "clinker_energy_kgce_per_t": energy,
            "clinker_energy_grade": quota_grade(energy, grades),
        }
