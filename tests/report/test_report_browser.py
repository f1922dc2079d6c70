"""The report in a real headless browser (Chromium) and as PDF (pdftoppm, pdftotext).

Never skipped in CI (``CI=true``): see :func:`conftest.require`.
"""

from __future__ import annotations

import re
import struct
import subprocess

import pytest

from carbon_core.outputs.pdf import chromium_command, html_to_pdf

from report_tools import key_figures, require

HEADINGS = ("合肥市零碳示范工厂评价报告", "基本信息", "核算依据", "能源消费", "温室气体排放",
            "碳平衡", "指标评价", "数据质量", "附录")


def _run(args, tmp_path, timeout=120):
    browser = require("chromium")
    cmd = chromium_command(browser, tmp_path / "profile", *args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_screenshot_in_headless_chromium(report_html, tmp_path):
    shot = tmp_path / "report.png"
    done = _run(["--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={shot}",
                 report_html.as_uri()], tmp_path)
    assert shot.is_file(), done.stderr[-2000:]
    w, h = png_size(shot)
    assert (w, h) == (1280, 1600)
    # a page of text and tables: a blank 1280x1600 frame compresses to about 12 kB, the
    # report's first screen (cover, banner, contents, tables) to about 500 kB
    assert shot.stat().st_size > 100_000, shot.stat().st_size


def test_dom_holds_key_figures_and_chinese_headings(report_html, example, tmp_path):
    done = _run(["--dump-dom", report_html.as_uri()], tmp_path)
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    heads = " ".join(re.findall(r"<h[12][^>]*>(.*?)</h[12]>", dom, re.S))
    for h in HEADINGS:
        assert h in heads, h
    for fig in key_figures(example):
        assert fig in dom, fig
    assert dom.count("<svg") >= 6


@pytest.fixture(scope="module")
def report_pdf(report_html, tmp_path_factory):
    require("chromium")
    return html_to_pdf(report_html, tmp_path_factory.mktemp("pdf") / "report.pdf")


def test_pdf_pages_and_text(report_pdf, example, tmp_path):
    pdftoppm, pdftotext = require("pdftoppm"), require("pdftotext")
    assert report_pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run([pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "3", str(report_pdf),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    for page in pages:
        w, h = png_size(page)
        assert h > w  # A4 portrait
        assert page.stat().st_size > 5_000
    text = subprocess.run([pdftotext, "-layout", str(report_pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    for h in HEADINGS:
        assert h in text, h
    for fig in key_figures(example):
        assert fig in text, fig
