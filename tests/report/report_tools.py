"""Helpers of the report tests.

Tests that need the system tools (headless Chromium, poppler's pdftoppm / pdftotext) use
:func:`require`: when CI is set (``CI=true``, as in ``.ci/run``) a missing tool is a failure,
never a skip; on a developer's machine without the tool the test is skipped with the package
to install.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hefei-appliance" / "inventory.toml"

_PACKAGES = {"chromium": "chromium", "pdftoppm": "poppler-utils", "pdftotext": "poppler-utils"}


def require(tool: str) -> str:
    """The path of ``tool``; fails in CI, skips elsewhere, when it is missing."""
    found = shutil.which(tool)
    if found:
        return found
    message = (f"{tool} is not installed (Debian package {_PACKAGES.get(tool, tool)}; "
               "`.ci/run` installs it)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class _Cells(HTMLParser):
    """Every element with a ``data-path``: (source, path, scale, printed text)."""

    def __init__(self):
        super().__init__()
        self.cells, self._open, self.attrs_seen = [], None, []
        self.headings, self._h = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs_seen.append((tag, a))
        if "data-path" in a:
            self._open = [a["data-src"], a["data-path"], float(a["data-scale"]), ""]
        if tag in ("h1", "h2"):
            self._h = ""

    def handle_data(self, data):
        if self._open is not None:
            self._open[3] += data
        if self._h is not None:
            self._h += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._open is not None:
            self.cells.append(tuple(self._open))
            self._open = None
        if tag in ("h1", "h2") and self._h is not None:
            self.headings.append(" ".join(self._h.split()))
            self._h = None


def parse(text):
    p = _Cells()
    p.feed(text)
    return p


def printed_equals(text: str, value: float, scale: float) -> bool:
    """The printed figure is the JSON value rounded to the printed digits (last digit too)."""
    t = text.replace(",", "").replace("%", "").strip().lstrip("+")
    decimals = len(t.split(".")[1]) if "." in t else 0
    expected = f"{value * scale:.{decimals}f}"
    if float(expected) == 0:
        expected = expected.lstrip("-")
    return t == expected


def key_figures(example) -> list[str]:
    """The example's key figures as the report prints them, formatted here from the JSON.

    (The example's values as of this writing: 1,757.70 / 14,873.33 / 7,433.46 / 16,631.03 tCO2e,
    4,544.96 / 9,146.33 tce, 15,047.16 gross and 7,691.16 net, 61.72 points, 64.77 % renewable,
    25.08 % hourly CFE.)
    """
    r, s = example.results, example.score
    two = [r["scope1"]["total_tco2e"], r["scope2"]["location_based_tco2e"],
           r["scope2"]["market_based_tco2e"], r["total_tco2e"], r["energy"]["total_tce_calorific"],
           r["energy"]["total_tce_equivalent"], r["balance"]["gross_tco2e"],
           r["balance"]["net_tco2e"], s["total_score"]]
    shares = [r["metrics"]["balance.renewable_electricity_share"],
              r["balance"]["matching"]["hourly"]["cfe_score"]]
    return [f"{v:,.2f}" for v in two] + [f"{100 * v:.2f} %" for v in shares]


def previous_results(results: dict, year: int, factor: float) -> dict:
    """A plausible earlier year made from ``results``: every metric times ``factor``."""
    prev = copy.deepcopy(results)
    prev["reporting_year"] = year
    prev["metrics"] = {k: (v * factor if isinstance(v, (int, float)) and not isinstance(v, bool)
                           else v) for k, v in results["metrics"].items()}
    return prev


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path
