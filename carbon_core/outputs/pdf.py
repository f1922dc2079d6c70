"""PDF writer: the HTML page printed by headless Chromium (``--print-to-pdf``).

Chromium lays out the same self-contained HTML the HTML writer produces (print stylesheet: A4,
one section per page), so the PDF and the HTML cannot differ. It needs the system packages
``chromium`` (Debian; the binary ``chromium`` or ``chromium-browser`` or ``google-chrome`` on
the PATH, or the path in ``CARBON_CHROMIUM``) and a CJK font such as ``fonts-noto-cjk``. The
browser runs with a throw-away profile, no network services, and a time limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import CarbonCoreError
from .document import Document
from .html import render_html

__all__ = ["find_chromium", "chromium_command", "html_to_pdf", "write_pdf", "TIMEOUT_S"]

#: Seconds Chromium is given to print one document.
TIMEOUT_S = 120

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The Chromium executable (``CARBON_CHROMIUM``, else the first of chromium, ... on PATH).

    Raises
    ------
    CarbonCoreError
        None found; names the package to install.
    """
    env = os.environ.get("CARBON_CHROMIUM")
    if env:
        path = shutil.which(env)
        if path:
            return path
        raise CarbonCoreError(f"CARBON_CHROMIUM={env!r} is not an executable")
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise CarbonCoreError(
        "PDF output needs headless Chromium, and none was found on the PATH (looked for "
        + ", ".join(_NAMES) + "). Install the Debian package: apt-get install chromium "
        "fonts-noto-cjk (or set CARBON_CHROMIUM to the browser's path); HTML output needs "
        "nothing beyond the Python dependencies.")


def chromium_command(browser: str, profile: str | Path, *extra: str) -> list[str]:
    """The headless Chromium command line used for printing, screenshots and DOM dumps.

    Parameters
    ----------
    browser : str
        The browser executable (:func:`find_chromium`).
    profile : str or Path
        A fresh, temporary user-data folder.
    *extra : str
        The task's own arguments (``--print-to-pdf=...`` and the page's URL ...).

    Returns
    -------
    list of str
        The command: headless, sandbox off (containers), no network services, no extensions.
    """
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--mute-audio",
            f"--user-data-dir={profile}", *extra]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = TIMEOUT_S
                ) -> Path:
    """Print an HTML file to PDF with headless Chromium.

    Parameters
    ----------
    html_path : str or Path
        The HTML file.
    pdf_path : str or Path
        The PDF written.
    timeout : float
        Longest the browser may take [s].

    Returns
    -------
    Path
        ``pdf_path``, resolved.

    Raises
    ------
    CarbonCoreError
        No browser, the browser failed or timed out, or it wrote no PDF.
    """
    browser = find_chromium()
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="carbon-chromium-") as profile:
        cmd = chromium_command(browser, profile, "--no-pdf-header-footer",
                               f"--print-to-pdf={pdf_path}", html_path.as_uri())
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise CarbonCoreError(f"Chromium did not finish printing {html_path.name} within "
                                  f"{timeout:g} s") from None
        except OSError as exc:
            raise CarbonCoreError(f"cannot run Chromium ({browser}): {exc}") from None
    if done.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = "\n".join((done.stderr or "").strip().splitlines()[-5:])
        raise CarbonCoreError(f"Chromium could not print {html_path.name} to PDF "
                              f"(exit status {done.returncode}): {tail}")
    return pdf_path


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as PDF (HTML rendered, then printed by Chromium); returns the path.

    Parameters
    ----------
    doc : Document
        The document.
    path : str or Path
        The PDF written.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="carbon-report-") as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(render_html(doc), encoding="utf-8")
        return html_to_pdf(html, path)
