"""The ISO 14064-1:2018 view: every line item in exactly one of the six categories.

ISO 14064-1:2018 clause 5.2.4 groups an organisation's emissions into six categories; Annex B
lists what each indirect category holds. The view maps each line item once:

======  ==========================================================  =============================
ISO     clause 5.2.4                                                line items
======  ==========================================================  =============================
1       a) direct GHG emissions and removals                        Scope 1 (all its categories)
2       b) indirect GHG emissions from imported energy              Scope 2 (location-based line
                                                                    items, exports deducted)
3       c) indirect GHG emissions from transportation               Scope 3 cat. 4, 6, 7, 9
4       d) indirect GHG emissions from products used by the org.    Scope 3 cat. 1, 2, 3, 5, 8
5       e) indirect GHG emissions associated with the use of        Scope 3 cat. 10, 11, 12, 13, 15
        products from the organization
6       f) indirect GHG emissions from other sources                Scope 3 cat. 14
======  ==========================================================  =============================

The Scope 3 column follows the subcategories Annex B lists (transportation: transport of goods
upstream and downstream, employee commuting, client and visitor transport, business travel;
products used: purchased goods, capital goods, disposal of waste, use of assets and services,
and the upstream emissions of purchased energy; use of products: use stage, downstream leased
assets, end of life, investments); the subclause numbers of Annex B were not checked. Franchises have no
subcategory of their own in Annex B and go to "other" (6): a declared choice, documented in
``docs/scope3.md``. Because the mapping is a function of the line item, the six totals add up
to Scope 1 + Scope 2 (location-based) + Scope 3 exactly.

Biogenic CO2 is outside both views (:mod:`carbon_core.scope3.biogenic`).

References
----------
ISO 14064-1:2018 *Greenhouse gases — Part 1*, clause 5.2.4 and Annex B.
"""

from __future__ import annotations

import math
from typing import Iterable

from .categories import ISO14064_CATEGORIES, SCOPE3_CATEGORIES

__all__ = ["iso_category", "iso14064_view"]


def iso_category(item) -> int:
    """The ISO 14064-1:2018 category (1-6) of a line item.

    Parameters
    ----------
    item : LineItem
        A line item of the results (``scope`` and ``details``).

    Returns
    -------
    int
        1 for Scope 1, 2 for Scope 2, and for Scope 3 the ISO category of its GHG Protocol
        category (:data:`ISO14064_CATEGORIES`).

    Raises
    ------
    ValueError
        For a Scope 3 item without a valid ``details["scope3_category"]`` (never guessed).

    References
    ----------
    ISO 14064-1:2018 *Greenhouse gases — Part 1*, clause 5.2.4 (categories 1 to 6) and Annex B.
    """
    if item.scope == 1:
        return 1
    if item.scope == 2:
        return 2
    n = item.details.get("scope3_category")
    if n not in SCOPE3_CATEGORIES:
        raise ValueError(f"Scope 3 line item {item.id!r} has no Scope 3 category (found {n!r})")
    return SCOPE3_CATEGORIES[n].iso14064


def iso14064_view(items: Iterable) -> dict:
    """The ``iso14064`` section of the results JSON: six category totals [tCO2e] and the ids.

    A Scope 3 item without a GHG Protocol category (a plugin's) goes to 6, "other", and is
    listed in ``unmapped_scope3``, so it is counted once and visibly.

    The total equals Scope 1 + location-based Scope 2 + Scope 3 of the same line items (both are
    exact sums, :func:`math.fsum`, of the same values).

    Parameters
    ----------
    items : iterable of LineItem
        Every line item of the run.

    Returns
    -------
    dict
        Per ISO 14064-1:2018 category: the total [tCO2e] and the line ids; the overall total
        [tCO2e]; and ``unmapped_scope3``.

    References
    ----------
    ISO 14064-1:2018 *Greenhouse gases — Part 1*, clause 5.2.4 (categories 1 to 6) and Annex B.
    """
    by: dict[int, list] = {k: [] for k in ISO14064_CATEGORIES}
    unmapped = []
    for li in items:
        try:
            by[iso_category(li)].append(li)
        except ValueError:  # e.g. a plugin's Scope 3 item without a GHG Protocol category
            by[6].append(li)
            unmapped.append(li.id)
    cats = []
    for k, (zh, en) in ISO14064_CATEGORIES.items():
        lis = by[k]
        cats.append({"category": k, "name": f"{zh} {en}",
                     "total_tco2e": math.fsum(li.emissions_tco2e for li in lis),
                     "line_items": [li.id for li in lis],
                     "scope3_categories": sorted({li.details.get("scope3_category")
                                                  for li in lis if li.scope == 3})})
    return {
        "standard": "ISO 14064-1:2018 clause 5.2.4, Annex B",
        "categories": cats,
        "total_tco2e": math.fsum(li.emissions_tco2e for k in by for li in by[k]),
        "unmapped_scope3": unmapped,
        "basis": "each line item in exactly one category; Scope 3 items without a GHG Protocol "
                 "category (listed in unmapped_scope3) are reported under 6; category 2 holds "
                 "location-based "
                 "Scope 2 with exports deducted; removals and biogenic CO2 are reported "
                 "separately (section biogenic)",
    }
