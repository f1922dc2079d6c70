"""The one unit registry of carbon_core.

Built once, on first use (``ureg``, ``Q_``, :func:`parse_unit`...), under a lock, completely
(pint's own lazy registry is not thread-safe: this one is never half-built when a thread or a dask
worker uses it), and installed as pint's application registry. pint's parsed definition files are
cached on disk (its ``cache_folder`` option, under the user's cache directory, or
``$CARBON_CORE_CACHE``; ``CARBON_CORE_CACHE=off`` disables it); a cache that cannot be written or
read is skipped and the registry built from the text. Importing this module imports no pint.

The registry's answers for unit texts (:func:`conversion_factor` of two texts, :func:`check_unit`,
:func:`same_dimension`, :func:`product_factor`) are remembered on disk beside that cache, in a
file named by a fingerprint of everything they depend on: pint's version, this module's
definitions, aliases and refused spellings, the GWP values of ``factors/ipcc-gwp.toml`` and any
plugin's unit definitions. A compute whose unit texts were all seen before therefore neither
imports pint nor builds the registry (0.2-0.4 s of every ``carbon compute``); a changed definition
changes the fingerprint, and a missing, unreadable or foreign file is ignored (the answer is asked
of pint again). A refusal is remembered as its message and raised again as the same
:class:`~carbon_core.errors.UnitError`. The numbers are the registry's own floats, stored as
their shortest round-trip text, so a remembered answer is the same float to the last bit
(tested against the registry).

It knows the units of Chinese energy and carbon reporting:

========================  =======================================================================
unit                      definition
========================  =======================================================================
``tce``, ``kgce``         tonne / kilogram of standard coal equivalent, 1 kgce = 29 307.6 kJ
                          (GB/T 2589-2020 §3.3: 1 kgce low calorific value = 29 307 kJ, i.e.
                          7 000 kcal; we use 7 000 × 4.1868 = 29 307.6 kJ exactly)
``wan_kWh`` (万kWh)       10^4 kWh
``Nm3`` (标准立方米)       normal cubic metre (0 °C, 101.325 kPa), an amount of gas; *not* m³
``wan_Nm3`` (万Nm³)        10^4 Nm3
``t``, ``kg``             tonne, kilogram (pint's own)
``CO2``, ``CO2e``         a mass of CO2 (equivalent); ``tCO2``, ``tCO2e``, ``kgCO2`` ...
``carbon``, ``tC``        a mass of carbon, = 44/12 of CO2 once oxidised
``CH4``, ``N2O``, ...     other gases, each its own dimension: converting them to CO2e needs a
                          GWP context, ``with ureg.context("AR5"): ...``
``CNY``, ``wan_CNY``      yuan and 万元 (value added)
``USD``, ``EUR``, ``GBP`` other currencies, each its own dimension: converting money between
                          currencies needs a declared exchange rate (carbon_core.scope3), never pint
``passenger``             for passenger·km (business travel, commuting: ``passenger*km``)
``scf``, ``Mscf``,        standard cubic foot of gas at 68 °F and 14.7 psia, the standard
``MMscf``                 conditions of 40 CFR 98.6 (US EPA Greenhouse Gas Reporting Program);
                          an amount of gas like Nm3: 1 scf = 0.0263922 Nm3 (ideal gas, 0.028316846592
                          m³ x 273.15/293.15 x 101 352.9 Pa/101 325 Pa)
``MMBtu``                 10^6 Btu (International Table, 1 Btu = 1055.056 J, NIST SP 811 B.8)
                          = 1.055056 GJ; 40 CFR 98 Table C-1 factors are per MMBtu
``therm``                 10^5 Btu = 105.5056 MJ (``MBtu`` is refused: 10^3 or 10^6 Btu)
========================  =======================================================================

Gases to CO2e outside a chosen GWP set raise :class:`pint.DimensionalityError`: the set is always
an explicit choice. The GWP values come from the factor library file ``factors/ipcc-gwp.toml``.

Use :func:`parse_unit` for any unit text a user wrote: it accepts the common Chinese spellings and
refuses the ambiguous ones (``ton``, ``tons``, ``mt``...) with the choices listed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import threading
import tomli
from functools import lru_cache
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import UnitError

if TYPE_CHECKING:
    import pint

__all__ = [
    "ureg",
    "Q_",
    "GASES",
    "GWP_SETS",
    "parse_unit",
    "check_unit",
    "same_dimension",
    "product_factor",
    "conversion_factor",
    "to_canonical",
    "gwp",
    "using_gwp_table",
    "gas_unit",
    "registry",
    "unit_listing",
]

#: Gases as they are written in line items -> unit identifier in the registry.
GASES: dict[str, str] = {
    "CO2": "CO2",
    "CH4": "CH4",
    "N2O": "N2O",
    "SF6": "SF6",
    "NF3": "NF3",
    "CF4": "CF4",
    "C2F6": "C2F6",
    "C3F8": "C3F8",
    "c-C4F8": "cC4F8",
    "C4F6": "C4F6",
    "C5F8": "C5F8",
    "CHF3": "HFC23",  # CHF3 is HFC-23
    "CH2F2": "HFC32",  # CH2F2 is HFC-32
    "CH3F": "HFC41",  # CH3F is HFC-41
    "HFC-23": "HFC23",
    "HFC-41": "HFC41",
    "HFC-32": "HFC32",
    "HFC-125": "HFC125",
    "HFC-134a": "HFC134a",
    "HFC-143a": "HFC143a",
    "HFC-152a": "HFC152a",
    "HFC-227ea": "HFC227ea",
    "HFC-245fa": "HFC245fa",
    "HFC-365mfc": "HFC365mfc",
}

_DEFINITIONS = """
tonne_of_coal_equivalent = 29.3076 GJ = tce
kilogram_of_coal_equivalent = 1e-3 tce = kgce
wan_kWh = 1e4 kWh
normal_cubic_metre = [normal_volume] = Nm3
wan_Nm3 = 1e4 Nm3
wan_m3 = 1e4 m**3
yuan = [currency] = CNY
wan_CNY = 1e4 CNY
yi_CNY = 1e8 CNY
US_dollar = [currency_usd] = USD
euro = [currency_eur] = EUR
pound_sterling = [currency_gbp] = GBP
passenger = [passenger]
carbon_dioxide = [carbon_dioxide] = CO2 = CO2e
carbon_mass = 44/12 CO2 = carbon
tCO2 = t * CO2
tCO2e = t * CO2
kgCO2 = kg * CO2
kgCO2e = kg * CO2
gCO2 = g * CO2
tC = t * carbon
million_Btu = 1e6 Btu = MMBtu
therm_100kBtu = 1e5 Btu
standard_cubic_foot = 0.026392218591689214 Nm3 = scf
thousand_scf = 1e3 scf = Mscf
million_scf = 1e6 scf = MMscf
"""

#: Chinese and other spellings users write, mapped to registry expressions. Longest first.
_ALIASES: dict[str, str] = {
    "吨二氧化碳当量": "tCO2e",
    "吨二氧化碳": "tCO2",
    "万标准立方米": "wan_Nm3",
    "万千瓦时": "wan_kWh",
    "万立方米": "wan_m3",
    "标准立方米": "Nm3",
    "千克标准煤": "kgce",
    "千克标煤": "kgce",
    "吨标准煤": "tce",
    "吨标煤": "tce",
    "兆瓦时": "MWh",
    "千瓦时": "kWh",
    "万Nm³": "wan_Nm3",
    "万Nm3": "wan_Nm3",
    "万kWh": "wan_kWh",
    "万m³": "wan_m3",
    "万m3": "wan_m3",
    "万元": "wan_CNY",
    "亿元": "yi_CNY",
    "立方米": "m**3",
    "吉焦": "GJ",
    "兆焦": "MJ",
    "标方": "Nm3",
    "公斤": "kg",
    "千克": "kg",
    "Nm³": "Nm3",
    "m³": "m**3",
    "度": "kWh",
    "therm": "therm_100kBtu",
    "吨": "t",
    "元": "CNY",
}

#: Spellings refused because readers disagree on what they mean.
_AMBIGUOUS: dict[str, str] = {
    "ton": "t (tonne, 1000 kg), short_ton (907.185 kg) or long_ton (1016.05 kg)",
    "tons": "t (tonne, 1000 kg), short_ton (907.185 kg) or long_ton (1016.05 kg)",
    "tonnes": "t",
    "mt": "t (tonne), Mt (megatonne) or kt (kilotonne); pint reads 'mt' as millitonne",
    "MT": "t (tonne), Mt (megatonne) or kt (kilotonne)",
    "mmt": "Mt (megatonne)",
    "m3": "Nm3 (normal cubic metre, 0 °C and 101.325 kPa) or m**3 (geometric volume)",
    "cbm": "Nm3 (normal cubic metre) or m**3",
    "MBtu": "kBtu (1,000 Btu: M as the Roman thousand, US gas-industry usage) or MMBtu "
            "(1,000,000 Btu: M as the SI mega)",
    "MMBTU": "MMBtu (1,000,000 Btu)",
    "cal": "kcal, or J (thermochemical vs international calorie differ)",
    "Btu": "MMBtu or GJ (which Btu?)",
}


def _cache_root() -> Path | None:
    """The cache directory of carbon_core (None: caching switched off)."""
    env = os.environ.get("CARBON_CORE_CACHE")
    if env and env.lower() in ("off", "0", "none", "no"):
        return None
    return Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or
                                      Path.home() / ".cache") / "carbon_core"


def _cache_folder() -> Path | None:
    """Where pint caches its parsed definition files (None: no cache)."""
    import pint

    root = _cache_root()
    if root is None:
        return None
    folder = root / f"pint-{pint.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def _build_registry() -> "pint.UnitRegistry":
    import pint

    folder = _cache_folder()
    try:
        reg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True,
                                                    cache_folder=folder)
    except Exception:  # noqa: BLE001 - a broken or concurrently written cache: build from text
        if folder is None:
            raise
        reg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=None)
    for line in _DEFINITIONS.strip().splitlines():
        reg.define(line)
    for ident in dict.fromkeys(GASES.values()):
        if ident != "CO2":
            reg.define(f"{ident} = [{ident.lower()}_gas]")
    _add_gwp_contexts(reg)
    for line in _EXTRA_DEFINITIONS:  # a plugin's, given before the registry was built
        reg.define(line)
    return reg


#: Unit definition lines added by plugins (:func:`define`), in order.
_EXTRA_DEFINITIONS: list[str] = []


def define(line: str) -> None:
    """Add a pint definition line (a plugin's unit) to the registry, and to the memo's fingerprint.

    Parameters
    ----------
    line : str
        A pint definition, e.g. ``"clinker_tonne = 1000 kg"``.
    """
    _MEMO.save()  # the answers so far belong to the definitions before this one
    with _LOCK:
        _EXTRA_DEFINITIONS.append(line)
        if _REGISTRY:
            _REGISTRY[0].define(line)
    _MEMO.reset()


def is_defined(name: str) -> bool:
    """Whether the registry already knows the unit ``name`` (builds the registry).

    Parameters
    ----------
    name : str
        A unit name, e.g. ``"tce"``.

    Returns
    -------
    bool
    """
    return name in registry()


_LOCK = threading.Lock()
_REGISTRY: list = []  # the one registry, once built


def registry() -> "pint.UnitRegistry":
    """The unit registry of carbon_core, built on first call (thread-safe), then shared.

    ``carbon_core.units.ureg`` is the same object.
    """
    if not _REGISTRY:
        with _LOCK:
            if not _REGISTRY:
                import pint

                reg = _build_registry()
                pint.set_application_registry(reg)
                _REGISTRY.append(reg)
    return _REGISTRY[0]


def __getattr__(name: str):
    # ``ureg`` and ``Q_`` are built on first use (PEP 562), not at import
    if name == "ureg":
        return registry()
    if name == "Q_":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Memo:
    """The registry's answers for unit texts, remembered on disk (see the module docstring).

    One JSON file per fingerprint, ``<cache>/units-<fingerprint>.json``, holding
    ``{"fingerprint": ..., "entries": [[key, answer], ...]}``, a key being the question as a
    list (``["factor", "万kWh", "MWh", null]``). Read on first use; new answers are
    written at the interpreter's exit, merged with what another process wrote meanwhile, to a
    temporary file renamed into place (a reader never sees half a file).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()
        self._exit_hook = False

    def reset(self) -> None:
        """Forget the fingerprint and the answers (after a definition was added)."""
        self._fingerprint: str | None = None
        self._entries: dict[tuple, object] | None = None
        self._new: dict[tuple, object] = {}

    def fingerprint(self) -> str:
        """sha256 of pint's version and every definition the answers depend on."""
        if self._fingerprint is None:
            from importlib.metadata import PackageNotFoundError, version

            try:
                pint_version = version("pint")
            except PackageNotFoundError:  # pragma: no cover - pint is a dependency
                pint_version = "?"
            h = hashlib.sha256()
            for part in (pint_version, _DEFINITIONS, json.dumps(_ALIASES, sort_keys=True),
                         json.dumps(_AMBIGUOUS, sort_keys=True),
                         json.dumps(GASES, sort_keys=True),
                         json.dumps(_gwp_table(), sort_keys=True), *_EXTRA_DEFINITIONS):
                h.update(part.encode())
                h.update(b"\0")
            self._fingerprint = h.hexdigest()[:32]
        return self._fingerprint

    def path(self) -> Path | None:
        """The memo file of the current fingerprint (None: caching switched off)."""
        root = _cache_root()
        return None if root is None else root / f"units-{self.fingerprint()}.json"

    def _read(self, path: Path | None) -> dict[tuple, object]:
        if path is None:
            return {}
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("fingerprint") != self.fingerprint() or \
                not isinstance(doc.get("entries"), list):
            return {}
        return {tuple(pair[0]): pair[1] for pair in doc["entries"]
                if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], list)
                and all(isinstance(x, str) or x is None for x in pair[0])}

    def get(self, key: tuple) -> object | None:
        """The remembered answer for ``key``, or None."""
        entries = self._entries
        if entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = self._read(self.path())
                entries = self._entries
        return entries.get(key)

    def put(self, key: tuple, value: object) -> None:
        """Remember ``value`` for ``key`` (written at exit)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._read(self.path())
            self._entries[key] = value
            self._new[key] = value
            if not self._exit_hook:
                atexit.register(self.save)
                self._exit_hook = True

    def save(self) -> None:
        """Write the new answers to the memo file (merged with it); errors are ignored."""
        with self._lock:
            path = self.path()
            if not self._new or path is None:
                return
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                entries = {**self._read(path), **self._new}
                tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(json.dumps({"fingerprint": self.fingerprint(),
                                           "entries": [[list(k), v] for k, v in entries.items()]},
                                          ensure_ascii=False),
                               encoding="utf-8")
                os.replace(tmp, path)
                self._new = {}
            except OSError:
                pass  # an unwritable cache only costs the next run the registry


_MEMO = _Memo()


def _memo_key(kind: str, *texts: str | None) -> tuple:
    return (kind, *texts)


def _remembered(key: tuple, answer: Callable[[], object], kind: type) -> Any:
    """The memo's answer for ``key``, else ``answer()`` remembered (a UnitError as its message)."""
    known = _MEMO.get(key)
    if isinstance(known, kind):
        return known
    if isinstance(known, dict) and isinstance(known.get("error"), str):
        raise UnitError(known["error"])
    try:
        value = answer()
    except UnitError as exc:
        _MEMO.put(key, {"error": str(exc)})
        raise
    _MEMO.put(key, value)
    return value


@lru_cache(maxsize=1)
def _gwp_table() -> dict:
    path = resources.files("carbon_core_factors") / "ipcc-gwp.toml"
    with path.open("rb") as fh:
        data = tomli.load(fh)
    table: dict[str, dict[str, float]] = {}
    for row in data["factor"]:
        _, gwp_set, gas = row["key"].split(".", 2)
        table.setdefault(gwp_set, {})[GASES.get(gas, gas)] = float(row["value"])
    return table


_GAS_AMOUNT_DIMS = ("", "[mass]", "[mass] / [time]", "[mass] / [mass] / [length] ** 2 * [time] ** 2",
                    "[mass] / [length] ** 2 / [mass] * [time] ** 2")


def _add_gwp_contexts(reg: "pint.UnitRegistry") -> tuple[str, ...]:
    import pint

    sets = []
    ureg_idents = set(GASES.values())
    for gwp_set, values in _gwp_table().items():
        ctx = pint.Context(gwp_set)
        for ident, value in values.items():
            if ident == "CO2" or ident not in ureg_idents:
                continue
            gas_dim = f"[{ident.lower()}_gas]"
            unit = reg(ident).units

            def forward(reg, x, _v=value, _u=unit):
                return x * _v * reg.CO2 / _u

            def backward(reg, x, _v=value, _u=unit):
                return x / _v * _u / reg.CO2

            # pint matches a transformation on the whole dimensionality: one pair for each
            # way a gas amount is written (t CH4, t CH4 / year, kg CH4 / TJ ...).
            for other in _GAS_AMOUNT_DIMS:
                src = f"{gas_dim} * {other}" if other else gas_dim
                dst = f"[carbon_dioxide] * {other}" if other else "[carbon_dioxide]"
                # pint calls a transformation as f(registry, value, **context parameters): our
                # closures take the two positional arguments its Transformation protocol names
                ctx.add_transformation(src, dst, forward)  # type: ignore[arg-type]
                ctx.add_transformation(dst, src, backward)  # type: ignore[arg-type]
        reg.add_context(ctx)
        sets.append(gwp_set)
    return tuple(sets)


#: The GWP sets available as pint contexts (from ``factors/ipcc-gwp.toml``; one context each).
GWP_SETS: tuple[str, ...] = tuple(_gwp_table())


#: A GWP table that replaces the shipped one inside :func:`using_gwp_table` (a verifier's bundle).
_GWP_OVERRIDE: ContextVar[dict | None] = ContextVar("carbon_core_gwp_override", default=None)


@contextmanager
def using_gwp_table(factor_rows):
    """Use these GWP rows instead of ``factors/ipcc-gwp.toml`` inside the block.

    Parameters
    ----------
    factor_rows : iterable of (key, value)
        ``("gwp.AR5.CH4", 28.0)`` pairs, e.g. the ``gwp.*`` factors of a bundled library.
    """
    table: dict[str, dict[str, float]] = {}
    for key, value in factor_rows:
        _, gwp_set, gas = key.split(".", 2)
        table.setdefault(gwp_set, {})[GASES.get(gas, gas)] = float(value)
    token = _GWP_OVERRIDE.set(table)
    try:
        yield
    finally:
        _GWP_OVERRIDE.reset(token)


def gwp(gas: str, gwp_set: str, origin: str = "fossil") -> float:
    """Global warming potential of ``gas`` in ``gwp_set`` (100-year), dimensionless.

    Parameters
    ----------
    gas : str
        Gas name as in :data:`GASES`, e.g. ``"CH4"``, ``"HFC-134a"``.
    gwp_set : str
        One of :data:`GWP_SETS`, e.g. ``"AR5"``.
    origin : {"fossil", "non_fossil"}
        Origin of the carbon. AR6 gives CH4 two values, fossil 29.8 and non-fossil 27.0
        (IPCC AR6 WG1 ch. 7 Table 7.15); sets with one CH4 value use it for both.

    References
    ----------
    IPCC (2021) AR6 WG1, ch. 7, Table 7.15 and Table 7.SM.7. Values and their confidence:
    ``factors/ipcc-gwp.toml`` (keys ``gwp.<SET>.<gas>``, ``gwp.AR6.CH4_non_fossil``).

    Examples
    --------
    >>> gwp("CO2", "AR5")
    1.0
    >>> gwp("CH4", "AR5")
    28.0
    >>> gwp("CH4", "AR6"), gwp("CH4", "AR6", origin="non_fossil")
    (29.8, 27.0)
    """
    ident = gas_unit(gas)
    if ident == "CO2":
        return 1.0
    if origin not in ("fossil", "non_fossil"):
        raise UnitError(f"unknown origin {origin!r}; expected 'fossil' or 'non_fossil'")
    table = _GWP_OVERRIDE.get() or _gwp_table()
    if origin == "non_fossil" and f"{ident}_non_fossil" in table.get(gwp_set, {}):
        return table[gwp_set][f"{ident}_non_fossil"]
    if gwp_set not in table:
        raise UnitError(f"unknown GWP set {gwp_set!r}; choose one of {sorted(table)}")
    if ident not in table[gwp_set]:
        have = sorted(g for g, i in GASES.items() if i in table[gwp_set])
        raise UnitError(f"no GWP for {gas!r} in set {gwp_set!r}; the set lists {have}")
    return table[gwp_set][ident]


def gas_unit(gas: str) -> str:
    """Registry identifier of a gas name (``"HFC-134a"`` -> ``"HFC134a"``).

    Parameters
    ----------
    gas : str
        A gas name as written in line items, a key of :data:`GASES`.

    Returns
    -------
    str
        The gas's unit identifier in the registry.

    Raises
    ------
    UnitError
        For an unknown gas; the message lists the known ones.
    """
    try:
        return GASES[gas]
    except KeyError:
        raise UnitError(f"unknown gas {gas!r}; known gases: {sorted(GASES)}") from None


def _pint():
    import pint

    return pint


_ALIAS_RE = re.compile("|".join(re.escape(k) for k in sorted(_ALIASES, key=len, reverse=True)))
_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    """Parse unit text as written in an inventory or data file.

    Accepts the registry's names, the Chinese spellings (千瓦时, 万千瓦时, 吨标准煤, 立方米,
    标准立方米, 万Nm³, 吉焦, 万元 ...) and superscripts (m³). Refuses ambiguous spellings.

    Parameters
    ----------
    text : str
        The unit, e.g. ``"万kWh"``, ``"GJ/t"``, ``"kgce/kWh"``.

    Returns
    -------
    pint.Unit

    Raises
    ------
    UnitError
        If the unit is unknown or ambiguous; the message lists the choices.

    Examples
    --------
    >>> parse_unit("万千瓦时")
    <Unit('wan_kWh')>
    >>> parse_unit("tons")
    Traceback (most recent call last):
    ...
    carbon_core.errors.UnitError: ambiguous unit 'tons' in 'tons': write t (tonne, 1000 kg), short_ton (907.185 kg) or long_ton (1016.05 kg)
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError(f"a unit is required, found {text!r}")
    ureg = registry()
    raw = text.strip()
    for token in _TOKEN_RE.findall(raw):
        if token in _AMBIGUOUS:
            raise UnitError(f"ambiguous unit {token!r} in {raw!r}: write {_AMBIGUOUS[token]}")
    expr = _ALIAS_RE.sub(lambda m: f" {_ALIASES[m.group(0)]} ", raw)
    expr = expr.replace("²", "**2").replace("³", "**3").replace("·", "*")
    try:
        unit = ureg.parse_units(expr.strip())
    except (_pint().errors.UndefinedUnitError, _pint().errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError, SyntaxError) as exc:
        raise UnitError(
            f"unknown unit {raw!r} ({exc}); examples of accepted units: kWh, MWh, 万kWh, GJ, "
            f"t, Nm3, 万Nm3, tce, kgce, tCO2e"
        ) from None
    return unit


def conversion_factor(from_unit: str | pint.Unit, to_unit: str | pint.Unit,
                      context: str | None = None) -> float:
    """Multiplier that converts a magnitude in ``from_unit`` to ``to_unit``.

    This is how units are handled at the boundary: one float per (unit, canonical unit) pair,
    applied to a whole float64 array.

    Parameters
    ----------
    from_unit : str or pint.Unit
        The unit the magnitude is written in; text is read with :func:`parse_unit`.
    to_unit : str or pint.Unit
        The unit wanted.
    context : str, optional
        A pint context to convert within, e.g. a GWP set of :data:`GWP_SETS` to turn a gas
        into CO2e; without one, gases do not convert to CO2e.

    Returns
    -------
    float
        The multiplier: a magnitude in ``from_unit`` times it is the magnitude in ``to_unit``
        (e.g. 29.3076 GJ per tce, GB/T 2589-2020 §3.3, see the module docstring).

    Raises
    ------
    UnitError
        If either unit text is unknown or ambiguous, or the units measure different things
        (different dimensions, or a gas to CO2e without a GWP set).

    Examples
    --------
    >>> conversion_factor("万kWh", "MWh")
    10.0
    >>> round(conversion_factor("tce", "GJ"), 4)
    29.3076
    """
    if isinstance(from_unit, str) and isinstance(to_unit, str):
        return _remembered(_memo_key("factor", from_unit, to_unit, context),
                           lambda: _conversion_factor(from_unit, to_unit, context), float)
    return _conversion_factor(from_unit, to_unit, context)


def _conversion_factor(from_unit: str | pint.Unit, to_unit: str | pint.Unit,
                       context: str | None) -> float:
    ureg = registry()
    src = parse_unit(from_unit) if isinstance(from_unit, str) else from_unit
    dst = parse_unit(to_unit) if isinstance(to_unit, str) else to_unit
    try:
        if context:
            with ureg.context(context):
                return float(ureg.Quantity(1.0, src).to(dst).magnitude)
        return float(ureg.Quantity(1.0, src).to(dst).magnitude)
    except _pint().DimensionalityError:
        raise UnitError(
            f"cannot convert {src:~} to {dst:~}: they measure different things "
            f"({ureg.get_dimensionality(src)} vs {ureg.get_dimensionality(dst)})"
            + ("" if context else "; gases need an explicit GWP set")
        ) from None


def check_unit(text: str) -> None:
    """Check that :func:`parse_unit` reads ``text``, without returning pint's object.

    The answer is remembered (module docstring), so checking a known unit needs no pint.

    Parameters
    ----------
    text : str
        Unit text as a user wrote it.

    Raises
    ------
    UnitError
        As :func:`parse_unit`: unknown or ambiguous, with the choices.

    Examples
    --------
    >>> check_unit("万kWh")
    >>> check_unit("m3")
    Traceback (most recent call last):
    ...
    carbon_core.errors.UnitError: ambiguous unit 'm3' in 'm3': write Nm3 (normal cubic metre, 0 °C and 101.325 kPa) or m**3 (geometric volume)
    """
    if not isinstance(text, str):
        parse_unit(text)  # raises: "a unit is required"
    _remembered(_memo_key("unit", text), lambda: parse_unit(text) is not None, bool)


def same_dimension(a: str, b: str) -> bool:
    """Whether unit texts ``a`` and ``b`` measure the same thing (the same pint dimensionality).

    Parameters
    ----------
    a, b : str
        Unit texts, as for :func:`parse_unit`.

    Returns
    -------
    bool

    Raises
    ------
    UnitError
        If either is not a unit :func:`parse_unit` reads.

    Examples
    --------
    >>> same_dimension("t", "kg"), same_dimension("t", "GJ")
    (True, False)
    """
    return _remembered(_memo_key("same_dimension", a, b),
                       lambda: bool(parse_unit(a).dimensionality == parse_unit(b).dimensionality),
                       bool)


def product_factor(a: str, b: str, to_unit: str) -> float:
    """Multiplier from the product of units ``a`` x ``b`` to ``to_unit``.

    ``conversion_factor(parse_unit(a) * parse_unit(b), to_unit)``, remembered: e.g. activity
    unit x factor unit to tonnes of gas.

    Parameters
    ----------
    a, b : str
        Unit texts multiplied, e.g. ``"万Nm3"`` and ``"tCO2/万Nm3"``.
    to_unit : str
        The unit wanted, e.g. ``"t"``.

    Returns
    -------
    float

    Raises
    ------
    UnitError
        As :func:`conversion_factor`.

    Examples
    --------
    >>> product_factor("万Nm3", "kg/Nm3", "t")
    10.0
    """
    return _remembered(_memo_key("product", a, b, to_unit),
                       lambda: _conversion_factor(parse_unit(a) * parse_unit(b), to_unit, None),
                       float)


def to_canonical(unit_text: str, canonical: str, *, what: str = "value") -> float:
    """Like :func:`conversion_factor` but the error says which quantity expected which unit.

    Parameters
    ----------
    unit_text : str
        The unit as the user wrote it.
    canonical : str
        The canonical unit of the quantity (``"kWh"``, ``"GJ"``, ``"t"``...).
    what : str, optional
        What the value is, for the message (e.g. ``"meters[0].unit"``).

    Returns
    -------
    float
        The multiplier from ``unit_text`` to ``canonical`` (no GWP context is used).

    Raises
    ------
    UnitError
        If the unit is unknown, ambiguous or not convertible to ``canonical``; the message
        starts with ``what`` and names the expected unit.
    """
    try:
        return conversion_factor(unit_text, canonical)
    except UnitError as exc:
        raise UnitError(f"{what}: unit {unit_text!r} does not fit, expected a unit convertible "
                        f"to {canonical!r} ({exc})") from None


def unit_listing() -> list[dict[str, str]]:
    """Every unit name an inventory may use beyond pint's own, with its definition; then the
    refused spellings with the choices (``carbon units``)."""
    rows = []
    for line in _DEFINITIONS.strip().splitlines():
        parts = [x.strip() for x in line.split("=")]
        names = [parts[0]] + parts[2:]
        rows.append({"unit": ", ".join(names), "definition": parts[1], "kind": "defined"})
    for alias, target in _ALIASES.items():
        rows.append({"unit": alias, "definition": target, "kind": "alias"})
    for token, choices in _AMBIGUOUS.items():
        rows.append({"unit": token, "definition": f"refused: write {choices}", "kind": "refused"})
    return rows
