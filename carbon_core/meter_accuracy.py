"""Meter accuracy classes: the declared class of a meter and the error bound it stands for.

A meter's accuracy class (``accuracy_class`` on ``[[meters]]``) is the limit of its percentage
error at reference conditions: class 0.5S means the reading is within +-0.5 % of the true value
(IEC 62053-22 / GB/T 17215.322, static active-energy meters classes 0.2S and 0.5S; IEC 62053-21 /
GB/T 17215.321, classes 0.5, 1 and 2; gas meters OIML R 137-1, classes 0.5, 1 and 1.5; heat
meters EN 1434 / GB/T 32224, classes 1, 2, 3 as the flow sensor's bound). For propagation the bound
is taken as the half-width of the 95 % interval of a normal error (the IPCC 2006 Vol. 1 ch. 3
approach-1 convention for a stated +-range), one error per meter for the whole year (a meter's
error is systematic, not independent from one interval to the next).

Examples
--------
>>> accuracy_percent("0.5S")
0.5
>>> accuracy_percent("1.0")
1.0
"""

from __future__ import annotations

__all__ = ["ACCURACY_CLASSES", "accuracy_percent"]

#: Class designation -> (error bound [%], standards that define it).
ACCURACY_CLASSES: dict[str, tuple[float, str]] = {
    "0.2S": (0.2, "IEC 62053-22 / GB/T 17215.322"),
    "0.5S": (0.5, "IEC 62053-22 / GB/T 17215.322"),
    "0.2": (0.2, "IEC 62053-22 (without S) / DL/T 448 metering points"),
    "0.5": (0.5, "IEC 62053-21 / GB/T 17215.321; OIML R 137-1 gas meters"),
    "1": (1.0, "IEC 62053-21 / GB/T 17215.321; OIML R 137-1; EN 1434"),
    "1.0": (1.0, "IEC 62053-21 / GB/T 17215.321; OIML R 137-1; EN 1434"),
    "1.5": (1.5, "OIML R 137-1 gas meters"),
    "2": (2.0, "IEC 62053-21 / GB/T 17215.321; EN 1434"),
    "2.0": (2.0, "IEC 62053-21 / GB/T 17215.321; EN 1434"),
    "3": (3.0, "EN 1434 heat meters"),
}


def accuracy_percent(accuracy_class: str) -> float:
    """The error bound [%] of an accuracy class.

    Parameters
    ----------
    accuracy_class : str
        The class designation as declared on ``[[meters]]`` (``"0.5S"``, ``"1"``, ``"1.0"``...);
        a number is taken as its text (``1.0`` -> ``"1.0"``).

    Returns
    -------
    float
        The limit of the percentage error at reference conditions [%].

    Raises
    ------
    KeyError
        For a class not in :data:`ACCURACY_CLASSES` (the inventory reader refuses those first).

    References
    ----------
    IEC 62053-21 / GB/T 17215.321 and IEC 62053-22 / GB/T 17215.322 (static active-energy
    meters); OIML R 137-1 (gas meters); EN 1434 / GB/T 32224 (heat meters).
    """
    return ACCURACY_CLASSES[str(accuracy_class)][0]
