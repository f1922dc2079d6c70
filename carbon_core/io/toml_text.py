"""Reading a TOML document a person wrote: encoding, byte-order mark, non-finite numbers.

TOML is UTF-8 by definition (https://toml.io/en/v1.0.0: "A TOML file must be a valid UTF-8
encoded Unicode document"). Files saved by Windows tools are often GBK/GB18030 (the ANSI code
page of Simplified Chinese Windows) or carry a UTF-8 byte-order mark; the first is refused with a
message naming the encoding found and the one expected, the second is accepted (the mark is not
part of the text). TOML also allows ``nan`` and ``inf``: no quantity in an inventory can be
either, so they are refused at parse time with the table path of each, as are magnitudes that
would overflow float64 arithmetic (beyond 1e100, far outside any physical quantity).
"""

from __future__ import annotations

import codecs
import math
import tomli
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem

__all__ = ["read_toml", "decode_utf8", "nonfinite_problems", "shape_problems", "MAX_MAGNITUDE"]

#: Largest magnitude accepted for a number in an inventory; beyond it products with factors
#: can overflow float64 (max 1.8e308). Far above any physical quantity of a factory.
MAX_MAGNITUDE = 1e100


def decode_utf8(data: bytes, file: str) -> str:
    """Decode ``data`` as UTF-8 (a UTF-8 byte-order mark is accepted and dropped).

    Parameters
    ----------
    data : bytes
        The file's bytes.
    file : str
        The file's name, for the problem.

    Returns
    -------
    str
        The text, without the byte-order mark.

    Raises
    ------
    InputError
        Not UTF-8: names the encoding it looks like (UTF-16, GBK/GB18030) and the byte offset.

    Examples
    --------
    >>> decode_utf8(codecs.BOM_UTF8 + b"a = 1", "x.toml")
    'a = 1'
    >>> try:
    ...     decode_utf8("名称".encode("gbk"), "x.toml")
    ... except InputError as exc:
    ...     print(exc.problems[0].message[:40])
    the file is not UTF-8 text; it looks lik
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError([Problem(file, "the file is UTF-16 text (it starts with a UTF-16 "
                                  "byte-order mark)", found="UTF-16",
                                  expected="UTF-8 (save the file as UTF-8)")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        guess = "an unknown encoding"
        try:
            data.decode("gb18030")
            guess = "GBK/GB18030 (the Simplified Chinese Windows code page)"
        except UnicodeDecodeError:
            pass
        raise InputError([Problem(file, f"the file is not UTF-8 text; it looks like {guess}",
                                  row=f"line {line}", found=f"byte 0x{data[exc.start]:02x} at "
                                  f"offset {exc.start}",
                                  expected="UTF-8 (TOML files must be UTF-8: save the file as "
                                           "UTF-8, e.g. `iconv -f GB18030 -t UTF-8`)")]) from None


def nonfinite_problems(doc: Any, file: str, where: tuple = ()) -> list[Problem]:
    """Every NaN, infinity or overflowing magnitude in a parsed document, with its path.

    Parameters
    ----------
    doc : Any
        A parsed TOML document or any value in it (tables, arrays and scalars are walked;
        integers are not checked).
    file : str
        The file's name, for the problems.
    where : tuple of str, optional
        The key path of ``doc`` in the whole document (used in the recursion).

    Returns
    -------
    list of Problem
        One per float that is NaN, infinite or of magnitude above :data:`MAX_MAGNITUDE`, each
        naming its table (``row``) and key (``field``).
    """
    out: list[Problem] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += nonfinite_problems(v, file, (*where, str(k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += nonfinite_problems(v, file, (*where[:-1], f"{where[-1]}[{i}]") if where
                                      else (f"[{i}]",))
    elif isinstance(doc, float):
        if not math.isfinite(doc):
            out.append(_problem(file, where, "not a finite number", doc))
        elif abs(doc) > MAX_MAGNITUDE:
            out.append(_problem(file, where, "magnitude beyond any physical quantity", doc))
    return out


def _problem(file, where: tuple, message, value) -> Problem:
    def part(p: str) -> str:  # a key holding a dot is quoted, as in TOML
        return f'"{p}"' if "." in p and not p.endswith("]") else p

    table = ".".join(part(p) for p in where[:-1])
    return Problem(file, message, row=table or None, field=where[-1] if where else None,
                   found=value,
                   expected=f"a finite number of magnitude at most {MAX_MAGNITUDE:g}")


def read_toml(path: str | Path, *, check_numbers: bool = True) -> dict[str, Any]:
    """Read a TOML document: UTF-8 (BOM accepted), valid TOML, every number finite.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    check_numbers : bool, optional
        Refuse NaN, infinities and magnitudes above :data:`MAX_MAGNITUDE` (default True).

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    InputError
        Missing file, a directory, not UTF-8 (the encoding named), invalid TOML (line and
        column), non-finite numbers (each with its table and key).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), "the file does not exist")]) from None
    except IsADirectoryError:
        raise InputError([Problem(str(path), "is a directory, not a TOML file")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the file: {exc.strerror}")]) from None
    text = decode_utf8(data, str(path))
    try:
        doc = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), f"not valid TOML: {exc}")]) from None
    problems = nonfinite_problems(doc, str(path)) if check_numbers else []
    if problems:
        raise InputError(problems, title=f"{len(problems)} number(s) refused in {path}")
    return doc


#: The shape of an inventory's top-level entries: a table, or an array of tables.
_TABLES = ("factory", "electricity", "data", "production", "balance", "process", "evidence",
           "steam", "fuels")
_TABLE_ARRAYS = ("meters", "activities", "instruments", "offsets", "measured_factors")
# [scope3] (a table, or the older [[scope3]] rows) and [biogenic] are checked by carbon_core.scope3
#: Keys that must be text where they are read without a type check.
_TEXT_KEYS = {"factory": ("district",), "production": ("value_added_unit", "output_unit"),
              "electricity": ("factor", "region", "selection"), "data": ("gap_policy",)}


def shape_problems(raw: dict, file: str) -> list[Problem]:
    """Top-level entries of the wrong kind (a table given as text, an array of tables given as a
    table...), found before the tables are read so no reader meets a value it cannot use.

    Parameters
    ----------
    raw : dict
        The parsed inventory.
    file : str
        The inventory's name, for the problems.

    Returns
    -------
    list of Problem
        Each entry of the wrong type (tables, arrays of tables and their rows, the text keys
        read without a type check, ``[data] files`` as a list of names), naming the table and
        key; empty when the shape is right.
    """
    out = []
    for name in _TABLES:
        if name in raw and not isinstance(raw[name], dict):
            out.append(Problem(file, "wrong type", field=name, found=raw[name],
                               expected=f"a table [{name}]"))
    for name in _TABLE_ARRAYS:
        if name not in raw:
            continue
        v = raw[name]
        if not isinstance(v, list):
            out.append(Problem(file, "wrong type", field=name, found=v,
                               expected=f"an array of tables [[{name}]]"))
            continue
        for i, row in enumerate(v):
            if not isinstance(row, dict):
                out.append(Problem(file, "wrong type", row=f"{name}[{i}]", field=name, found=row,
                                   expected=f"a table [[{name}]]"))
    for name, keys in _TEXT_KEYS.items():
        table = raw.get(name)
        if isinstance(table, dict):
            for k in keys:
                if k in table and not isinstance(table[k], str):
                    out.append(Problem(file, "wrong type", row=name, field=k, found=table[k],
                                       expected="text"))
    data = raw.get("data")
    if isinstance(data, dict) and "files" in data and not (
            isinstance(data["files"], list) and all(isinstance(f, str) for f in data["files"])):
        out.append(Problem(file, "wrong type", row="data", field="files", found=data["files"],
                           expected="a list of file names"))
    return out
