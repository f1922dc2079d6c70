"""Fixtures of the report tests: the example factory computed, scored and rendered once.

Tests that need system tools use ``report_tools.require``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

# tests/factories.py (small factories written to a temporary folder), also when this folder is
# collected alone
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hefei-appliance" / "inventory.toml"
@pytest.fixture(scope="session")
def example():
    """The example's Prepared (one compute, one score)."""
    from carbon_core.outputs.build import prepare

    return prepare(EXAMPLE)


@pytest.fixture(scope="session")
def self_doc(example):
    from carbon_core.outputs.self_report import build_self_report, hourly_matching

    return build_self_report(example.results, example.score, programme=example.programme.meta,
                             programme_name=example.programme.name, history=example.history,
                             targets=example.targets,
                             hourly=hourly_matching(example.results_obj),
                             generator=example.generator)


@pytest.fixture(scope="session")
def report_html(self_doc, tmp_path_factory):
    from carbon_core.outputs.html import write_html

    return write_html(self_doc, tmp_path_factory.mktemp("html") / "report.html")


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
