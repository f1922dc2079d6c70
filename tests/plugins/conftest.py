collect_ignore = ["thirdparty_demo"]  # installed by test_thirdparty.py, not collected

import pytest

import carbon_core.plugins as plugins_mod
import carbon_core.sector as sector_mod
from carbon_core import units

#: AR5 100-year GWPs, IPCC AR5 WG1 Table 8.A.1: used only while factors/ipcc-gwp.toml lacks a gas.
AR5 = {"CO2": 1.0, "CH4": 28.0, "N2O": 265.0, "CF4": 6630.0, "C2F6": 11100.0, "C3F8": 8900.0,
       "c-C4F8": 9540.0, "CHF3": 12400.0, "SF6": 23500.0, "NF3": 16100.0, "HFC-32": 677.0,
       "HFC-125": 3170.0, "HFC-134a": 1300.0, "HFC-143a": 4800.0, "HFC-152a": 138.0,
       "HFC-227ea": 3350.0, "HFC-245fa": 858.0, "HFC-365mfc": 804.0}


@pytest.fixture(autouse=True)
def _gwp_and_clean_manager(monkeypatch):
    """Fall back to AR5 values for gases the GWP file does not list yet; rebuild the manager."""
    monkeypatch.delenv(plugins_mod.ENV_DISABLE, raising=False)

    def gwp(gas, gwp_set):
        try:
            return units.gwp(gas, gwp_set)
        except Exception:
            if gwp_set == "AR5" and gas in AR5:
                return AR5[gas]
            raise

    monkeypatch.setattr(sector_mod, "_gwp", gwp)
    plugins_mod.reset_plugin_manager()
    yield
    plugins_mod.reset_plugin_manager()
