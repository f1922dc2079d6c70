"""Every built-in plugin passes the shipped conformance suite (carbon_core.testing)."""

import pytest

from carbon_core.plugin_manager import build_plugin_manager, sectors
from carbon_core.testing import check_plugin, plugin_checks

BUILTINS = ("electronics", "appliances", "machinery", "cement", "steel")
_INDEX = sectors(build_plugin_manager())
CASES = [(name, check.__name__) for name in BUILTINS for check in plugin_checks(_INDEX[name])]


@pytest.mark.parametrize(("sector", "check"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_builtin_conformance(sector, check):
    plugin = sectors(build_plugin_manager())[sector]
    fn = {c.__name__: c for c in plugin_checks(plugin)}[check]
    fn()


def test_every_builtin_is_installed():
    assert set(BUILTINS) <= set(_INDEX)


def test_check_plugin_reports_failures():
    from carbon_core_plugins.cement import Cement

    class Broken(Cement):
        name = "broken_cement"
        references = ()

    res = check_plugin(Broken(), raise_errors=False)
    assert res["check_metadata"].startswith("FAILED")
    with pytest.raises(AssertionError, match="check_metadata"):
        check_plugin(Broken())


def test_template_passes_the_suite():
    from carbon_core_plugins._template import TemplateSector

    assert set(check_plugin(TemplateSector()).values()) == {"PASSED"}
