"""Pure array kernels: emission factors and heat conversions, on float64 arrays.

Nothing here knows about files, units or factories: inputs are plain numbers or numpy arrays in
the units named in each docstring; the engine converts units once, at the boundary, and calls
these with whole arrays.

References
----------
.. [1] GB/T 32150-2015 工业企业温室气体排放核算和报告通则, §6 (fuel combustion, purchased and
   exported electricity and heat).
.. [2] NDRC, 工业其他行业企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号,
   formulas (1)-(4) and (8)-(9): E = sum FC x NCV x CC x OF x 44/12; steam and hot water to heat.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CO2_PER_C",
    "combustion_co2_factor",
    "steam_to_gj",
    "hot_water_to_gj",
    "emissions",
    "month_starts",
    "monthly_totals",
]

#: Molar mass ratio CO2/C, 44/12 (GB/T 32150-2015 and the NDRC guidelines use 44/12 exactly).
CO2_PER_C = 44.0 / 12.0

#: Enthalpy of water at the reference state used to convert steam to heat, kJ/kg
#: (NDRC other-industry guideline, formula for steam heat: (En_st - 83.74) x 10^-3) [M].
STEAM_REFERENCE_ENTHALPY_KJ_PER_KG = 83.74

#: Specific heat of water, kJ/(kg K), and the reference temperature of hot water, °C
#: (NDRC other-industry guideline: AD = Ma_w x (T_w - 20) x 4.1868 x 10^-3) [M].
WATER_SPECIFIC_HEAT = 4.1868
HOT_WATER_REFERENCE_C = 20.0


def combustion_co2_factor(ncv, carbon_content, oxidation):
    """CO2 emission factor of a fuel, GB/T 32150-2015 formula.

    ``EF = NCV x CC x OF x 44/12``

    Parameters
    ----------
    ncv : numeric
        Net calorific value [GJ/unit of fuel], e.g. GJ/t or GJ/10^4 Nm3.
    carbon_content : numeric
        Carbon content per heat [tC/GJ] (the guidelines tabulate tC/TJ: divide by 1000).
    oxidation : numeric
        Oxidation rate [fraction, 0..1].

    Returns
    -------
    numeric
        tCO2 per unit of fuel.

    References
    ----------
    GB/T 32150-2015 工业企业温室气体排放核算和报告通则, §6.1 (fuel combustion); NDRC,
    工业其他行业企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号, eq. 2.

    Examples
    --------
    Natural gas at the NDRC defaults (389.31 GJ/10^4 Nm3, 15.3 tC/TJ, 0.99):

    >>> round(float(combustion_co2_factor(389.31, 0.0153, 0.99)), 4)
    21.6219
    """
    return np.multiply(np.multiply(ncv, carbon_content), oxidation) * CO2_PER_C


def steam_to_gj(mass_t, enthalpy_kj_per_kg):
    """Heat of steam [GJ] from its mass [t] and enthalpy [kJ/kg], relative to water at 83.74 kJ/kg.

    ``AD = Ma x (En - 83.74) x 10^-3``

    Parameters
    ----------
    mass_t : numeric
        Mass of the steam [t].
    enthalpy_kj_per_kg : numeric
        Specific enthalpy of the steam at its measured temperature and pressure [kJ/kg].

    Returns
    -------
    numeric
        Heat carried by the steam [GJ]; negative where the enthalpy is below 83.74 kJ/kg
        (nothing is clamped).

    References
    ----------
    NDRC, 工业其他行业企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号,
    formula for the heat of steam, ``AD_st = Ma_st x (En_st - 83.74) x 10^-3`` (reference
    enthalpy 83.74 kJ/kg; confidence [M]).

    Examples
    --------
    >>> round(float(steam_to_gj(100.0, 2780.0)), 3)
    269.626
    """
    return np.multiply(mass_t, np.subtract(enthalpy_kj_per_kg,
                                           STEAM_REFERENCE_ENTHALPY_KJ_PER_KG)) * 1e-3


def hot_water_to_gj(mass_t, temperature_c):
    """Heat of hot water [GJ] from its mass [t] and temperature [°C], relative to 20 °C.

    ``AD = Ma x (T - 20) x 4.1868 x 10^-3``

    Parameters
    ----------
    mass_t : numeric
        Mass of the hot water [t].
    temperature_c : numeric
        Temperature of the hot water [°C].

    Returns
    -------
    numeric
        Heat carried by the water above 20 °C [GJ], with the specific heat of water
        4.1868 kJ/(kg K); negative below 20 °C (nothing is clamped).

    References
    ----------
    NDRC, 工业其他行业企业温室气体排放核算方法与报告指南（试行）, 发改办气候〔2015〕1722号,
    formula for the heat of hot water, ``AD_w = Ma_w x (T_w - 20) x 4.1868 x 10^-3``
    (confidence [M]).

    Examples
    --------
    >>> round(float(hot_water_to_gj(1000.0, 80.0)), 3)
    251.208
    """
    return np.multiply(mass_t, np.subtract(temperature_c, HOT_WATER_REFERENCE_C)) * \
        WATER_SPECIFIC_HEAT * 1e-3


def emissions(activity, factor):
    """Emissions of many line items at once: ``activity[item, ...] x factor[item]``.

    Parameters
    ----------
    activity : ndarray, shape (items, periods)
        Activity data of each line item, in the unit its factor is per (e.g. [GJ], [MWh], [t]).
    factor : ndarray, shape (items,)
        Emission factor of each line item (e.g. [tCO2/GJ], [tCO2/MWh]).

    Returns
    -------
    ndarray, shape (items, periods)
        Emissions of each item and period, float64 (e.g. [tCO2]).
    """
    activity = np.asarray(activity, dtype=np.float64)
    factor = np.asarray(factor, dtype=np.float64)
    return activity * factor.reshape((-1,) + (1,) * (activity.ndim - 1))


def month_starts(time):
    """Index of the first interval of each month in sorted datetime64 interval starts.

    Parameters
    ----------
    time : array_like of datetime64
        Interval start times, sorted ascending (any datetime64 resolution).

    Returns
    -------
    ndarray of int
        Position of the first interval of each calendar month present in ``time``, in order;
        the ``starts`` argument of :func:`monthly_totals`.

    Examples
    --------
    >>> month_starts(np.array(["2024-01-31T23:00", "2024-02-01", "2024-02-02"],
    ...                       dtype="datetime64[ns]"))
    array([0, 1])
    """
    months = np.asarray(time).astype("datetime64[M]")
    return np.flatnonzero(np.r_[True, months[1:] != months[:-1]])


def monthly_totals(values, starts):
    """Sum a (meters, time) array into months in one pass (``np.add.reduceat`` on the last axis).

    Parameters
    ----------
    values : ndarray, shape (..., time)
        Interval quantities in any unit (the result keeps it), time on the last axis.
    starts : ndarray of int
        Index of each month's first interval, from :func:`month_starts`.

    Returns
    -------
    ndarray, shape (..., months)
        The sum over each month's intervals, one column per entry of ``starts``.
    """
    return np.add.reduceat(values, starts, axis=-1)
