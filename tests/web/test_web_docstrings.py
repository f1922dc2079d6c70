"""Every public callable of ``carbon_core/web/`` has a numpydoc docstring.

The project's one docstring checker (``tests/test_docstrings.py``, read with :mod:`ast`) applied
to every module of the web package, so a new module is checked from the start.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from test_docstrings import ROOT, _module_problems  # noqa: E402

WEB = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "carbon_core" / "web").glob("*.py"))


def test_the_web_package_is_found():
    assert "carbon_core/web/jobs.py" in WEB and len(WEB) >= 9


@pytest.mark.parametrize("rel", WEB)
def test_web_public_callables_have_numpydoc_docstrings(rel):
    assert _module_problems(rel) == []
