"""Programmatic corruptions of the example factory for the mutation suite.

Every key of ``examples/hefei-appliance/inventory.toml`` is deleted, misspelt, retyped, negated
(numbers) and made non-finite (numbers); every meter file is truncated, bit-flipped and
re-encoded. A minimal TOML writer turns the mutated document back into a file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardening_helpers import EXAMPLE

INVENTORY = EXAMPLE / "inventory.toml"


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_scalar(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(doc: dict, prefix: str = "") -> str:
    """TOML text of a parsed document (tables, arrays of tables, inline values)."""
    lines, subs = [], []
    for k, v in doc.items():
        key = json.dumps(k, ensure_ascii=False)
        if isinstance(v, dict):
            subs.append((key, v, False))
        elif _is_table_array(v):
            subs.append((key, v, True))
        else:
            lines.append(f"{key} = {_scalar(v)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, v, many in subs:
        name = f"{prefix}.{key}" if prefix else key
        for t in (v if many else [v]):
            out += f"\n[[{name}]]\n" if many else f"\n[{name}]\n"
            out += dumps(t, name)
    return out


def load() -> dict:
    return tomllib.loads(INVENTORY.read_text(encoding="utf-8"))


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path (dict keys and list indices of tables) of a document."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,))
    elif _is_table_array(doc):
        for i, v in enumerate(doc):
            out += paths(v, prefix + (i,))
    return out


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def label(path: tuple) -> str:
    text = ""
    for p in path:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else p)
    return text


def _misspell(key: str) -> str:
    return key[:-1] + ("x" if key[-1] != "x" else "y") if len(key) > 1 else key + "x"


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: tuple

    @property
    def key(self) -> str:
        return str(self.path[-1])

    @property
    def id(self) -> str:
        return f"{self.kind}:{label(self.path)}"

    def apply(self, doc: dict) -> dict | None:
        """The mutated document, or None when the mutation does not apply to this key."""
        parent = get(doc, self.path[:-1])
        k = self.path[-1]
        v = parent[k]
        if self.kind == "delete":
            del parent[k]
        elif self.kind == "misspell":
            parent[_misspell(k)] = parent.pop(k)
        elif self.kind == "retype":
            if isinstance(v, bool):
                parent[k] = "yes"
            elif isinstance(v, (int, float)):
                parent[k] = str(v)
            elif isinstance(v, str):
                parent[k] = 42
            elif isinstance(v, (dt.date, dt.datetime)):
                parent[k] = "soon"
            elif isinstance(v, dict):
                parent[k] = "a table was here"
            elif isinstance(v, list):
                parent[k] = {"not": "a list"}
            else:
                return None
        elif self.kind == "negate":
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v == 0:
                return None
            parent[k] = -v
        elif self.kind == "nonfinite":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            parent[k] = float("nan")
        return doc


def inventory_mutations(kinds=("delete", "misspell", "retype", "negate", "nonfinite")
                        ) -> list[Mutation]:
    doc = load()
    out = []
    for p in paths(doc):
        if isinstance(p[-1], int):
            continue
        for kind in kinds:
            m = Mutation(kind, p)
            if m.apply(load()) is not None:
                out.append(m)
    return out


#: Keys whose value is a physical quantity that cannot be negative (GB/T 32150-2015 activity
#: data, steam enthalpy, masses, volumes, output, value added, certificate volumes).
NON_NEGATIVE = {"amount", "enthalpy_kj_per_kg", "temperature_c", "output", "value_added",
                "stock_start", "stock_end", "purchased", "charged_into_products", "recovered",
                "monthly_mwh", "volume_mwh", "tco2e", "rollover"}


def write(doc: dict, folder: Path) -> Path:
    path = folder / "inventory.toml"
    path.write_text(dumps(doc), encoding="utf-8")
    return path
