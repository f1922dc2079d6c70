"""Array kernels of Scope 3: plain float64 arrays in, arrays out (no units, no Python loops).

:func:`~carbon_core.scope3.lines.build_scope3` validates each line, then computes every line's
activity in one pass with these kernels; the engine multiplies activity by factor with all other
lines. ``benchmarks/bench_scope3.py`` measures them against plain numpy on the same arrays.

References
----------
WRI/WBCSD, *Technical Guidance for Calculating Scope 3 Emissions*, 2013: spend-based method
(spend x EEIO factor, after currency and inflation adjustment), distance-based method
(mass x distance x mode factor, eq. 4.2).
"""

from __future__ import annotations

import numpy as np

__all__ = ["spend_activity", "distance_activity", "line_emissions", "totals_by_code"]


def spend_activity(amount, currency_multiplier, price_ratio):
    """Spend in the factor's currency and price year.

    Parameters
    ----------
    amount : array_like
        Spend in its own currency unit [money].
    currency_multiplier : array_like
        Factor's currency per unit of the spend's currency, at the spend's price year [1].
    price_ratio : array_like
        index[factor year] / index[spend year] in the factor's currency [1].

    Returns
    -------
    numpy.ndarray
        Spend in the factor's currency unit and price year.

    Examples
    --------
    >>> float(spend_activity(7.0, 1 / 7.0, 0.5)[()])
    0.5
    """
    return np.multiply(np.multiply(amount, currency_multiplier, dtype=np.float64), price_ratio)


def distance_activity(mass_t, distance_km):
    """Freight activity [t·km] = mass [t] x distance [km] (Technical Guidance eq. 4.2).

    Parameters
    ----------
    mass_t : array_like
        Mass carried [t].
    distance_km : array_like
        Distance carried [km].

    Returns
    -------
    numpy.ndarray
        Freight activity [t·km], float64.

    References
    ----------
    WRI/WBCSD and Carbon Trust, *Technical Guidance for Calculating Scope 3 Emissions*, v1.0,
    2013, category 4, distance-based method, eq. 4.2.

    Examples
    --------
    >>> float(distance_activity(10.0, 240.0)[()])
    2400.0
    """
    return np.multiply(mass_t, distance_km, dtype=np.float64)


def line_emissions(activity, factor):
    """Emissions [tCO2e] = activity x factor [tCO2e per activity unit].

    Parameters
    ----------
    activity : array_like
        Activity of each line, in the unit its factor is per.
    factor : array_like
        Emission factor of each line [tCO2e per activity unit].

    Returns
    -------
    numpy.ndarray
        Emissions of each line [tCO2e], float64.
    """
    return np.multiply(activity, factor, dtype=np.float64)


def totals_by_code(values, codes, n: int):
    """Sums of ``values`` per integer code 0..n-1 (category totals; one pass, no sort).

    Parameters
    ----------
    values : array_like
        One value per line (emissions [tCO2e]).
    codes : array_like of int
        The line's code in 0..n-1 (its category index).
    n : int
        Number of codes; the result has this length even when a code has no line.

    Returns
    -------
    numpy.ndarray
        ``n`` sums, float64 (0.0 for a code without lines).
    """
    return np.bincount(np.asarray(codes, dtype=np.intp), weights=values, minlength=n)
