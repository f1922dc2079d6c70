collect_ignore = ["thirdparty_demo"]  # installed by test_thirdparty.py, not collected

import pytest

import carbon_core.plugin_manager as plugins_mod


@pytest.fixture(autouse=True)
def _clean_manager(monkeypatch):
    """Every test starts with a fresh plugin manager and no plugin-blocking variable."""
    monkeypatch.delenv(plugins_mod.ENV_DISABLE, raising=False)
    plugins_mod.reset_plugin_manager()
    yield
    plugins_mod.reset_plugin_manager()
