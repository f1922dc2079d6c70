"""Every hook has a contract docstring and is documented in docs/plugins.md (as datasette does)."""

import inspect
import pathlib

import pytest

from carbon_core import hookspecs

DOCS = pathlib.Path(__file__).parents[2] / "docs" / "plugins.md"


@pytest.mark.parametrize("hook", hookspecs.HOOKS)
def test_hook_has_contract_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    for part in ("Receives", "Returns", "Results", "Since"):
        assert part in doc, f"{hook}: docstring lacks {part!r}"


@pytest.mark.parametrize("hook", hookspecs.HOOKS)
def test_hook_documented(hook):
    assert f"`{hook}`" in DOCS.read_text(encoding="utf-8"), f"{hook} not in docs/plugins.md"


def test_hooks_found():
    assert len(hookspecs.HOOKS) == 6
