"""The fifteen Scope 3 categories of the GHG Protocol and their ISO 14064-1:2018 category.

Each category names the calculation methods the Technical Guidance describes for it; a line of
another method is refused. The ISO 14064-1:2018 mapping (clause 5.2.4, Annex B) is one category
per Scope 3 category, so every line is counted exactly once in the ISO view
(:mod:`carbon_core.scope3.iso14064`).

References
----------
WRI/WBCSD, *Corporate Value Chain (Scope 3) Accounting and Reporting Standard*, 2011, Table 5.3
(the fifteen categories). WRI/WBCSD and Carbon Trust, *Technical Guidance for Calculating Scope 3
Emissions*, version 1.0, 2013, chapters 1-15 (methods per category). ISO 14064-1:2018, clause 5.2.4
and Annex B (categories of indirect emissions).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scope3Category", "SCOPE3_CATEGORIES", "category_number", "ISO14064_CATEGORIES"]

#: ISO 14064-1:2018 clause 5.2.4 a)-f): the six categories of the organisation's inventory.
ISO14064_CATEGORIES: dict[int, tuple[str, str]] = {
    1: ("直接温室气体排放和清除", "direct GHG emissions and removals"),
    2: ("输入能源的间接温室气体排放", "indirect GHG emissions from imported energy"),
    3: ("运输产生的间接温室气体排放", "indirect GHG emissions from transportation"),
    4: ("组织使用的产品产生的间接温室气体排放",
        "indirect GHG emissions from products used by the organization"),
    5: ("与使用组织产品有关的间接温室气体排放",
        "indirect GHG emissions associated with the use of products from the organization"),
    6: ("其他来源的间接温室气体排放", "indirect GHG emissions from other sources"),
}


@dataclass(frozen=True)
class Scope3Category:
    """One GHG Protocol Scope 3 category.

    Attributes
    ----------
    number : int
        1 to 15 (Scope 3 Standard Table 5.3).
    slug : str
        Identifier used in inventories and results (``"purchased_goods_and_services"``).
    name_zh, name_en : str
        The category's name in Chinese and English.
    stream : str
        ``"upstream"`` or ``"downstream"``.
    methods : tuple of str
        Methods (keys of :data:`carbon_core.scope3.lines.METHODS`) the Technical Guidance
        describes for it.
    iso14064 : int
        ISO 14064-1:2018 category (5.2.4 c to f) the category is reported under.
    """

    number: int
    slug: str
    name_zh: str
    name_en: str
    stream: str
    methods: tuple[str, ...]
    iso14064: int

    @property
    def label(self) -> str:
        """Chinese first, English beside it: ``"1 外购商品和服务 purchased goods and services"``."""
        return f"{self.number} {self.name_zh} {self.name_en}"


_PURCHASE = ("supplier_specific", "hybrid", "average_data", "spend_based")
_TRANSPORT = ("supplier_specific", "distance_based", "spend_based", "average_data")

SCOPE3_CATEGORIES: dict[int, Scope3Category] = {c.number: c for c in (
    Scope3Category(1, "purchased_goods_and_services", "外购商品和服务",
                   "purchased goods and services", "upstream", _PURCHASE, 4),
    Scope3Category(2, "capital_goods", "资本货物", "capital goods", "upstream", _PURCHASE, 4),
    Scope3Category(3, "fuel_and_energy_related_activities", "燃料和能源相关活动（未包括在范围一、二）",
                   "fuel- and energy-related activities (not in Scope 1 or 2)", "upstream",
                   ("supplier_specific", "average_data"), 4),
    Scope3Category(4, "upstream_transportation_and_distribution", "上游运输和配送",
                   "upstream transportation and distribution", "upstream", _TRANSPORT, 3),
    Scope3Category(5, "waste_generated_in_operations", "运营中产生的废弃物",
                   "waste generated in operations", "upstream",
                   ("supplier_specific", "waste_type", "average_data", "spend_based"), 4),
    Scope3Category(6, "business_travel", "商务差旅", "business travel", "upstream",
                   ("supplier_specific", "distance_based", "spend_based", "average_data"), 3),
    Scope3Category(7, "employee_commuting", "员工通勤", "employee commuting", "upstream",
                   ("distance_based", "average_data"), 3),
    Scope3Category(8, "upstream_leased_assets", "上游租赁资产", "upstream leased assets",
                   "upstream", ("supplier_specific", "average_data", "spend_based"), 4),
    Scope3Category(9, "downstream_transportation_and_distribution", "下游运输和配送",
                   "downstream transportation and distribution", "downstream", _TRANSPORT, 3),
    Scope3Category(10, "processing_of_sold_products", "售出产品的加工",
                   "processing of sold products", "downstream",
                   ("supplier_specific", "average_data"), 5),
    Scope3Category(11, "use_of_sold_products", "售出产品的使用", "use of sold products",
                   "downstream", ("use_phase", "average_data"), 5),
    Scope3Category(12, "end_of_life_treatment_of_sold_products", "售出产品的寿命终止处理",
                   "end-of-life treatment of sold products", "downstream",
                   ("waste_type", "average_data"), 5),
    Scope3Category(13, "downstream_leased_assets", "下游租赁资产", "downstream leased assets",
                   "downstream", ("supplier_specific", "average_data"), 5),
    Scope3Category(14, "franchises", "特许经营", "franchises", "downstream",
                   ("supplier_specific", "average_data"), 6),
    Scope3Category(15, "investments", "投资", "investments", "downstream",
                   ("supplier_specific", "average_data", "spend_based"), 5),
)}

_BY_SLUG = {c.slug: c.number for c in SCOPE3_CATEGORIES.values()}


def category_number(value) -> int | None:
    """The category number of ``value`` (``4``, ``"4"``, ``"cat4"`` or a slug); None if unknown.

    Parameters
    ----------
    value : int or str
        A category number, its text (``"4"``, ``"cat4"``, ``"category 4"``) or its slug.

    Returns
    -------
    int or None
        The number 1 to 15, or None for anything else (booleans included).

    Examples
    --------
    >>> category_number("business_travel"), category_number("6"), category_number(99)
    (6, 6, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in SCOPE3_CATEGORIES else None
    if isinstance(value, str):
        text = value.strip().lower().removeprefix("cat").removeprefix("category").strip(" _")
        if text.isdigit():
            return category_number(int(text))
        return _BY_SLUG.get(text)
    return None
