"""Fixtures of the report tests: the example factory computed, scored and rendered once.

Tests that need system tools use ``report_tools.require``; helpers that tests import are in
``report_tools`` too (a test importing ``conftest`` by name gets whichever conftest is first on
``sys.path`` when other test folders are collected in the same run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/factories.py (small factories written to a temporary folder), also when this folder is
# collected alone
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report_tools import EXAMPLE  # noqa: E402  (the helpers are in report_tools)


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
