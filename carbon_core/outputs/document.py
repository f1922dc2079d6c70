"""The document model every report writer renders: sections of tables, charts and notes.

A report (the self-evaluation report, the dynamic management table, the district summary) is
built once as a :class:`Document`; :mod:`~carbon_core.outputs.html`,
:mod:`~carbon_core.outputs.xlsx` and :mod:`~carbon_core.outputs.pdf` render the same object, so
the three formats cannot disagree.

A number is a :class:`Num`: its value, how many decimals are printed and, when it is read
straight from the results or score JSON, the JSON pointer it came from (``source`` ``"results"``
or ``"score"``, ``path`` ``"/scope1/total_tco2e"``). The HTML writer puts the pointer on the cell
(``data-src``, ``data-path``, ``data-scale``), so anyone (and the tests) can check every printed
figure against the JSON to the last printed digit.

Examples
--------
>>> n = Num(1757.6988032344893, 2, source="results", path="/scope1/total_tco2e")
>>> n.text
'1,757.70'
>>> Num(0.6476747239209385, 2, scale=100, unit="%").text
'64.77 %'
>>> Num(None).text
'—'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["Num", "Text", "Table", "KeyValues", "Figure", "Series", "Note", "Section", "Document",
           "cell_text", "resolve_pointer", "pct", "change"]


@dataclass(frozen=True)
class Num:
    """A printed number.

    Parameters
    ----------
    value : float or None
        The number (None prints as a dash).
    decimals : int
        Digits printed after the decimal point.
    scale : float
        Printed value = ``value * scale`` (100 for a share printed in %).
    unit : str
        Appended after a space when printing (``"%"``).
    source, path : str
        Where the value comes from: ``"results"`` or ``"score"`` and a JSON pointer
        (RFC 6901) into that document; empty for derived figures.
    signed : bool
        Print a leading ``+`` on positive values (changes).
    """

    value: float | None
    decimals: int = 2
    scale: float = 1.0
    unit: str = ""
    source: str = ""
    path: str = ""
    signed: bool = False

    @property
    def scaled(self) -> float | None:
        """``value * scale``, or None."""
        if self.value is None or (isinstance(self.value, float) and not math.isfinite(self.value)):
            return None
        return float(self.value) * self.scale

    @property
    def text(self) -> str:
        """The printed form: thousands separators, ``decimals`` digits, the unit."""
        v = self.value
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "—"
        key = (self.signed, self.decimals)
        spec = _SPECS.get(key)
        if spec is None:
            spec = _SPECS.setdefault(key, f"{'+' if self.signed else ''},.{self.decimals}f")
        s = format(float(v) * self.scale, spec)
        if s[0] in "+-" and s[1:].strip("0.,") == "":  # -0.00 prints as 0.00
            s = s[1:]
        return f"{s} {self.unit}" if self.unit else s


#: format specifications of :attr:`Num.text` by (signed, decimals), built once each
_SPECS: dict[tuple[bool, int], str] = {}


@dataclass(frozen=True)
class Text:
    """A text cell with an optional CSS class (``ok``, ``bad``, ``muted``, ``mono``).

    Attributes
    ----------
    text : str
        The printed text.
    css : str
        Its CSS class in the HTML document (ignored by the other writers).
    """

    text: str
    css: str = ""


def cell_text(cell: Any) -> str:
    """The printed form of any cell (Num, Text, bool, None, str).

    Parameters
    ----------
    cell : any
        A table cell.

    Returns
    -------
    str
        The number as printed (:class:`Num`), the text, ``—`` for None, ``是 yes`` / ``否 no``
        for booleans, else ``str(cell)``.
    """
    if isinstance(cell, Num):
        return cell.text
    if isinstance(cell, Text):
        return cell.text
    if cell is None:
        return "—"
    if isinstance(cell, bool):
        return "是 yes" if cell else "否 no"
    return str(cell)


@dataclass
class Table:
    """A table: a caption, column headers and rows of cells.

    Attributes
    ----------
    caption : str
        The table's caption, Chinese first.
    columns : sequence of str
        The column headers.
    rows : list of list
        The rows, one cell per column (:class:`Num`, :class:`Text`, str, bool or None).
    id : str
        An anchor id, or empty.
    note : str
        A note printed under the table.
    """

    caption: str
    columns: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)
    id: str = ""
    note: str = ""


@dataclass
class KeyValues:
    """Label / value pairs (a two-column table without a header).

    Attributes
    ----------
    caption : str
        The caption.
    rows : list of (str, any)
        Label -> cell.
    id : str
        An anchor id, or empty.
    """

    caption: str
    rows: list[tuple[str, Any]] = field(default_factory=list)
    id: str = ""


@dataclass
class Figure:
    """A chart (inline SVG text) with the table of its numbers beside it.

    Attributes
    ----------
    caption : str
        The caption.
    svg : str
        The chart as inline SVG text (:mod:`carbon_core.outputs.charts`).
    table : Table
        The numbers the chart shows, printed beside it.
    id : str
        An anchor id, or empty.
    wide : bool
        Give the chart the full page width.
    """

    caption: str
    svg: str
    table: Table
    id: str = ""
    wide: bool = False


@dataclass
class Series:
    """A long numeric table kept as arrays (written by the XLSX writer only).

    Attributes
    ----------
    caption, id : str
    columns : sequence of str
        Header of the index column, then one per array.
    index : sequence of str or numpy.ndarray of datetime64
        Row labels (time stamps are written to the minute).
    arrays : sequence of numpy.ndarray
        One float64 array per column, each ``len(index)`` long.
    """

    caption: str
    columns: Sequence[str]
    index: Sequence[str]
    arrays: Sequence[Any]
    id: str = ""


@dataclass
class Note:
    """A paragraph; ``level`` is ``info``, ``warning`` or ``template``.

    Attributes
    ----------
    text : str
        The paragraph.
    level : str
        ``info``, ``warning`` or ``template`` (a template notice, shown prominently).
    """

    text: str
    level: str = "info"


@dataclass
class Section:
    """A numbered section: Chinese title first, English beside it.

    Attributes
    ----------
    id : str
        The section's number or anchor.
    title_zh, title_en : str
        Its title.
    blocks : list
        Its content: tables, key-values, figures, notes, series.
    """

    id: str
    title_zh: str
    title_en: str
    blocks: list[Any] = field(default_factory=list)

    def add(self, *blocks: Any) -> "Section":
        """Append ``blocks`` (None is skipped) and return the section.

        Parameters
        ----------
        *blocks : any
            Blocks to append.
        """
        self.blocks.extend(b for b in blocks if b is not None)
        return self


@dataclass
class Document:
    """A whole report.

    Attributes
    ----------
    kind : str
        ``self``, ``dynamic`` or ``district``.
    title_zh, title_en : str
    subtitle : str
        Factory (or district) and year.
    meta : list of (label, value)
        The cover's facts.
    banner : str
        Shown prominently on the cover (the template notice), or empty.
    sections : list of Section
    data : dict
        A machine-readable record of the document (the dynamic table's JSON), if any.
    generator : str
        The program and version that built the document, printed in its footer.
    series : list of Series
        Long tables only the XLSX writer includes (the hourly series of a year).
    """

    kind: str
    title_zh: str
    title_en: str
    subtitle: str = ""
    meta: list[tuple[str, Any]] = field(default_factory=list)
    banner: str = ""
    sections: list[Section] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    generator: str = ""
    series: list = field(default_factory=list)

    def section(self, id: str, title_zh: str, title_en: str) -> Section:
        """Add a new, empty section and return it.

        Parameters
        ----------
        id : str
            The section's number or anchor.
        title_zh, title_en : str
            Its title.
        """
        s = Section(id, title_zh, title_en)
        self.sections.append(s)
        return s


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901: ``/a/b~1c/0``) in ``doc``.

    Parameters
    ----------
    doc : any
        A JSON document.
    pointer : str
        The pointer; ``""`` or ``"/"`` is the whole document.

    Raises
    ------
    KeyError, IndexError
        The pointer names nothing in ``doc``.

    References
    ----------
    RFC 6901, *JavaScript Object Notation (JSON) Pointer*, IETF, 2013.

    Examples
    --------
    >>> resolve_pointer({"metrics": {"balance.net_tco2e": 5.0}}, "/metrics/balance.net_tco2e")
    5.0
    """
    cur = doc
    if pointer in ("", "/"):
        return cur
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def pct(part: float | None, whole: float | None) -> float | None:
    """``part / whole`` or None when either is missing or ``whole`` is 0.

    Parameters
    ----------
    part, whole : float or None
        The part and the whole, in one unit.

    Returns
    -------
    float or None
        The share [1] (not times 100).
    """
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def change(current: float | None, previous: float | None) -> tuple[float | None, float | None]:
    """(absolute change, relative change) from ``previous`` to ``current``.

    Parameters
    ----------
    current : float or None
        This year's value.
    previous : float or None
        The earlier value.

    Returns
    -------
    absolute : float or None
        ``current - previous`` (None when either is missing).
    relative : float or None
        ``(current - previous) / previous`` [1] (None when ``previous`` is 0 or missing).

    Examples
    --------
    >>> change(90.0, 100.0)
    (-10.0, -0.1)
    """
    if current is None or previous is None:
        return None, None
    return current - previous, (current - previous) / previous if previous else None
