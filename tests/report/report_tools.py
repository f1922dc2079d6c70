"""Helpers of the report tests.

Tests that need the system tools (headless Chromium, poppler's pdftoppm / pdftotext) use
:func:`require`: when CI is set (``CI=true``, as in ``.ci/run``) a missing tool is a failure,
never a skip; on a developer's machine without the tool the test is skipped with the package
to install.
"""

from __future__ import annotations

import os
import shutil

import pytest

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
