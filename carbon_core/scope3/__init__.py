"""Scope 3: the fifteen GHG Protocol categories, their methods, data quality, screening, the
ISO 14064-1:2018 view and biogenic CO2.

The engine calls :func:`build_scope3` while it collects activity lines (Scope 3 lines are
multiplied with every other line, so the totals stay exact sums of line items), routes biomass
fuels through :func:`biomass_lines`, and after the result is built adds the sections and metrics
of :func:`scope3_sections`. Inventory format: ``docs/scope3.md``.

References
----------
WRI/WBCSD, *Corporate Value Chain (Scope 3) Accounting and Reporting Standard*, 2011.
WRI/WBCSD and Carbon Trust, *Technical Guidance for Calculating Scope 3 Emissions*, v1.0, 2013.
ISO 14064-1:2018, clause 5.2.4 and Annex B. GB/T 32150-2015 (biomass CO2 reported separately).
"""

from .biogenic import BiogenicRecord, biomass_lines, parse_biogenic
from .categories import ISO14064_CATEGORIES, SCOPE3_CATEGORIES, Scope3Category, category_number
from .dq import INDICATORS, LEVELS, aggregate, score_line
from .iso14064 import iso14064_view, iso_category
from .kernels import distance_activity, line_emissions, spend_activity, totals_by_code
from .lines import METHODS, SCREENING_STATUSES, LineSpec, Scope3Build, build_scope3
from .report import SCOPE3_METRICS, scope3_sections

__all__ = [
    "SCOPE3_CATEGORIES", "Scope3Category", "category_number", "ISO14064_CATEGORIES",
    "METHODS", "SCREENING_STATUSES", "LineSpec", "Scope3Build", "build_scope3",
    "INDICATORS", "LEVELS", "aggregate", "score_line",
    "iso14064_view", "iso_category",
    "BiogenicRecord", "biomass_lines", "parse_biogenic",
    "SCOPE3_METRICS", "scope3_sections",
    "spend_activity", "distance_activity", "line_emissions", "totals_by_code",
]
