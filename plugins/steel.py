"""Iron and steel: carbon mass balance of the process inputs and outputs.

Method: GB/T 32151.5-2015 温室气体排放核算与报告要求 第5部分：钢铁生产企业 and the NDRC guideline
中国钢铁生产企业温室气体排放核算方法与报告指南（试行）(发改办气候〔2013〕2526号)::

    E_CO2 = sum_in (M_i x EF_i) - sum_out (M_j x EF_j)                         [tCO2]
    EF    = carbon content x 44/12 when measured, else the guideline's default (tCO2/t)

Inputs: carbonate fluxes (limestone, dolomite), electrodes, carbon-bearing raw materials (purchased
pig iron, DRI), reductants (coke) where the factory accounts them in the balance; outputs: carbon
fixed in products (crude steel, pig iron sold). Carbon leaving as exported gases is an output row
with its measured carbon content. Coke listed here is *claimed*: the engine refuses a core fuel
line for coke in the same inventory (its carbon would be counted twice).

Energy quota: GB 21256-2013 粗钢生产主要工序单位产品能源消耗限额 sets, for the blast-furnace and the
converter process, an advanced value 先进值, an entry value 准入值 and a limit 限定值 (mapped to
grades 1/2/3); a revised edition may supersede it. The factory states its process energy
consumption (工序能耗, kgce/t). The standard's foreword judges the entry and limit values with
electricity at 当量值 and the advanced value at 等价值 (as quoted by a standards catalogue; [S]), so
grade 1 is awarded only on the 等价值 figure (``blast_furnace_equivalent``,
``converter_equivalent``); without it the best grade is 2.
"""

from __future__ import annotations

import numpy as np

from carbon_core.metrics import MetricInfo
from carbon_core.sector import Field, SectorPlugin, Table, quota_grade

MATERIALS = ("limestone", "dolomite", "electrode", "pig_iron", "dri", "crude_steel", "coke",
             "other")
CO2_PER_C = 44.0 / 12.0


def _flows(name, doc):
    return Table(name, (
        Field("material", kind="choice", choices=MATERIALS, doc="material (other: give carbon)"),
        Field("amount", unit="t", unit_key="unit"),
        Field("carbon_content", unit="1", maximum=1.0, required=False,
              doc="measured carbon mass fraction (wins over the default)"),
    ), doc=doc)


class Steel(SectorPlugin):
    """Carbon mass balance of iron and steel (GB/T 32151.5-2015 §6)."""

    name = "steel"
    title = "Iron and steel 钢铁生产 (carbon mass balance)"
    method = ("Carbon mass balance of GB/T 32151.5-2015 §6 and the NDRC 中国钢铁生产企业温室气体排放"
              "核算方法与报告指南（试行）2013 (熔剂, 电极, 含碳原料 in; 固碳产品 out; 附录二 表2.2 "
              "defaults); energy grade by GB 21256-2013 工序能耗 先进值/准入值/限定值")
    references = (
        "SAC 2015, GB/T 32151.5-2015 温室气体排放核算与报告要求 第5部分：钢铁生产企业",
        "NDRC 2013, 中国钢铁生产企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2013〕2526号",
        "SAC 2013, GB 21256-2013 粗钢生产主要工序单位产品能源消耗限额",
    )
    factor_files = ("data/steel.toml",)
    claimed_carriers = ("coke",)  # when coke is in the balance (see claims)
    tables = (
        _flows("inputs", "carbon entering the process"),
        _flows("outputs", "carbon leaving in products"),
        Table("energy", (
            Field("blast_furnace", unit="kgce/t", unit_key="unit", required=False,
                  doc="高炉工序能耗"),
            Field("converter", unit="kgce/t", unit_key="unit", required=False, minimum=None,
                  doc="转炉工序能耗 (may be negative)"),
            Field("blast_furnace_equivalent", unit="kgce/t", unit_key="unit", required=False,
                  doc="高炉工序能耗 with electricity at 等价值, for the 先进值 (GB 21256-2013 foreword)"),
            Field("converter_equivalent", unit="kgce/t", unit_key="unit", required=False,
                  minimum=None, doc="转炉工序能耗 with electricity at 等价值, for the 先进值"),
        ), rows=False),
    )
    metric_definitions = (
        MetricInfo("process_tco2", "tCO2", "net process CO2 of the carbon balance 过程排放", False),
        MetricInfo("tco2_per_t_crude_steel", "tCO2/t", "process CO2 per t crude steel", False),
        MetricInfo("blast_furnace_kgce_per_t", "kgce/t", "blast-furnace process energy 高炉工序能耗",
                   False),
        MetricInfo("blast_furnace_energy_grade", "1",
                   "grade vs GB 21256-2013 (1 advanced, 2 entry, 3 limit, 4 above the limit)",
                   False),
        MetricInfo("converter_energy_grade", "1",
                   "grade vs GB 21256-2013 (1 advanced, 2 entry, 3 limit, 4 above the limit)",
                   False),
    )
    indicator_contributions = (
        {"id": "sector.steel.blast_furnace_energy_grade", "parent": "energy_efficiency",
         "name_zh": "高炉工序能耗等级", "name_en": "Blast-furnace energy grade",
         "metric": "sector.steel.blast_furnace_energy_grade",
         "rule": {"type": "steps", "direction": "lower_is_better",
                  "steps": [{"at": 1, "fraction": 1.0}, {"at": 2, "fraction": 0.6},
                            {"at": 3, "fraction": 0.2}]},
         "points": 6, "kind": "optional",
         "basis": "GB 21256-2013 先进值/准入值/限定值 (values unconfirmed [M])"},
    )

    @classmethod
    def example_inputs(cls):
        """Inputs of the conformance suite and the docs (two rows per row table)."""
        return [{
            "inputs": [
                {"id": "limestone", "material": "limestone", "amount": 200000.0, "unit": "t"},
                {"id": "dolomite", "material": "dolomite", "amount": 80000.0, "unit": "t"},
                {"id": "electrodes", "material": "electrode", "amount": 1500.0, "unit": "t"},
                {"id": "coke", "material": "coke", "amount": 1000000.0, "unit": "t",
                 "carbon_content": 0.85},
            ],
            "outputs": [
                {"id": "crude-steel", "material": "crude_steel", "amount": 3000000.0,
                 "unit": "t"},
                {"id": "pig-iron-sold", "material": "pig_iron", "amount": 100000.0, "unit": "t"},
            ],
            "energy": {"blast_furnace": 365.0, "converter": -28.0, "unit": "kgce/t"},
        }]

    def claims(self, data):
        """Coke in the carbon balance is accounted here, never also as a core fuel.

        Parameters
        ----------
        data : mapping
            The plugin's validated inputs (:meth:`validate`): the ``inputs`` and ``outputs``
            tables, each with its ``material`` column.

        Returns
        -------
        tuple of str
            ``("coke",)`` when a row of either table is coke, else empty: the engine then
            refuses a core fuel line for coke in the same inventory (its carbon would be
            counted twice).

        References
        ----------
        GB/T 32151.5-2015 温室气体排放核算与报告要求 第5部分：钢铁生产企业, §6 (the carbon mass
        balance of the process inputs and outputs, in which this plugin accounts coke).
        """
        used = {str(m) for t in ("inputs", "outputs") for m in data[t]["material"]}
        return ("coke",) if "coke" in used else ()

    def _factors(self, rows, ctx):
        n = len(rows)
        ef = rows["carbon_content"] * CO2_PER_C
        cite = np.full(n, "measured carbon content x 44/12", dtype=object)
        ok = np.ones(n, bool)
        keys = np.array([f"sector.steel.{m}.co2_factor" for m in rows["material"]], dtype=object)
        need = ~rows.given["carbon_content"]
        for i in np.flatnonzero(need & (rows["material"] == "other")):
            ctx.problem("material 'other' needs its measured carbon content", row=rows.labels[i],
                        field="carbon_content", expected="a mass fraction, e.g. 0.012")
            need[i] = False
        idx = np.flatnonzero(need)
        if len(idx):
            v, c, g = ctx.lookup(keys[idx], rows, "material", index=idx)
            ef[idx], cite[idx], ok[idx] = v, c, g
        fk = [(k,) if nd else () for k, nd in zip(keys, need)]
        return np.nan_to_num(ef), cite, ok, fk

    def _compute(self, data, ctx):
        formula = ("E = sum_in M x EF - sum_out M x EF, EF = C x 44/12 "
                   "(GB/T 32151.5-2015 carbon balance)")
        for table, sign in (("inputs", 1.0), ("outputs", -1.0)):
            rows = data[table]
            if not len(rows):
                continue
            ef, cite, ok, fk = self._factors(rows, ctx)
            ctx.emit("process", gas="CO2", source=rows.ids, carrier=rows["material"],
                     activity=rows["amount"], activity_unit="t", factor_value=sign * ef,
                     factor_unit="t/t", factor_source=cite, confirmed=ok, factor_keys=fk,
                     formula=formula, details={"deduction": sign < 0}, tag=table)
        if ctx.total_t("CO2") < -1e-9:
            ctx.problem("the carbon balance is negative: more carbon leaves in products than "
                        "enters", row=f"process.{self.name}", field="outputs",
                        expected="inputs covering every carbon source of the process")

    def _metrics(self, data, ctx):
        co2 = ctx.total_t("CO2")
        out = data["outputs"]
        steel = float(out["amount"][out["material"] == "crude_steel"].sum()) if len(out) else 0.0
        e = data["energy"]
        grade = {}
        for proc in ("blast_furnace", "converter"):
            advanced, entry, limit = (ctx.factor(f"sector.steel.quota.{proc}.grade{g}").value
                                      for g in (1, 2, 3))
            # GB 21256-2013 judges the entry and limit values with electricity at 当量值 but the
            # advanced value with electricity at 等价值: grade 1 needs the 等价值 figure, and is
            # never awarded on the 当量值 figure alone
            g = quota_grade(e.get(proc), [entry, limit])
            grade[proc] = None if g is None else g + 1
            eq = e.get(f"{proc}_equivalent")
            if grade[proc] == 2 and eq is not None and quota_grade(eq, [advanced]) == 1:
                grade[proc] = 1
        return {
            "process_tco2": co2,
            "tco2_per_t_crude_steel": co2 / steel if steel > 0 else None,
            "blast_furnace_kgce_per_t": e.get("blast_furnace"),
            "blast_furnace_energy_grade": grade["blast_furnace"],
            "converter_energy_grade": grade["converter"],
        }
