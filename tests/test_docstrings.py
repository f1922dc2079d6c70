"""Every public callable of the converted modules has a numpydoc docstring.

Read from the source with :mod:`ast` (nothing is imported, so the test is quick and sees the
code as written). For each module in :data:`CONVERTED`, every public function and class (the
names in ``__all__`` when the module declares it, else every name without a leading
underscore) and every public method of those classes needs:

- a docstring whose first line is the summary (not blank);
- where it takes parameters (beyond ``self``/``cls``), a ``Parameters`` section naming each of
  them (numpydoc groups such as ``x, y : float`` count; ``*args``/``**kwargs`` by their name);
  a class documents its constructor's parameters (``__init__``, or a dataclass's fields) in its
  own docstring, under ``Parameters`` or, for a record, ``Attributes``.

Click commands are the exception: their docstring is the ``--help`` text, and their options are
documented by click, so they need the summary line only. Properties take no parameters. A method
that overrides one a base class of the same module documents may go without a docstring of its
own: :func:`inspect.getdoc` (and ``help()``) show the base's, as for the rule types of
:mod:`carbon_core.scoring.rules`.

Every module of ``carbon_core`` and ``plugins`` is checked (:data:`CONVERTED`).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

#: Every module of the package and of the built-in plugins is checked (issue 8 converted them
#: all); a new module is checked from the start. Paths relative to the repository.
CONVERTED = sorted(p.relative_to(ROOT).as_posix()
                   for folder in ("carbon_core", "plugins")
                   for p in (ROOT / folder).rglob("*.py"))

_SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]+)\n-{3,}$", re.M)


def _sections(doc: str) -> dict[str, str]:
    """numpydoc sections of a docstring: heading -> body."""
    heads = list(_SECTION.finditer(doc))
    return {m["name"]: doc[m.end():(heads[i + 1].start() if i + 1 < len(heads) else len(doc))]
            for i, m in enumerate(heads)}


def _documented(body: str) -> set[str]:
    """Names a Parameters/Attributes section documents (``a, b : type`` lines, ``*args``)."""
    names: set[str] = set()
    for line in body.splitlines():
        if not line or line[0].isspace():
            continue
        head = line.split(" : ")[0].rstrip(":")
        names |= {n.strip().lstrip("*") for n in head.split(",") if n.strip()}
    return names


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return [n for n in names if n not in ("self", "cls") and not n.startswith("_")]


def _decorators(node) -> set[str]:
    out = set()
    for d in node.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        out.add(d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", ""))
    return out


def _is_command(fn) -> bool:
    return bool(_decorators(fn) & {"command", "group", "_command"})


def _dataclass_fields(cls: ast.ClassDef) -> list[str]:
    if "dataclass" not in _decorators(cls):
        return []
    return [s.target.id for s in cls.body if isinstance(s, ast.AnnAssign)
            and isinstance(s.target, ast.Name) and not s.target.id.startswith("_")
            and "ClassVar" not in ast.unparse(s.annotation)]


def _problems_of(qual: str, node, doc: str | None, params: list[str], kinds: tuple[str, ...]
                 ) -> list[str]:
    if not doc or not doc.strip() or not doc.splitlines()[0].strip():
        return [f"{qual}: no docstring with a summary line"]
    if not params:
        return []
    secs = _sections(doc)
    body = "".join(secs.get(k, "") for k in kinds)
    if not body:
        return [f"{qual}: takes {params} but has no {' or '.join(kinds)} section"]
    missing = [p for p in params if p not in _documented(body)]
    return [f"{qual}: {' / '.join(kinds)} section does not name {missing}"] if missing else []


def _inherited_doc(cls: ast.ClassDef, name: str, classes: dict[str, ast.ClassDef]) -> bool:
    """Whether a base class of ``cls`` in the same module documents method ``name``."""
    for b in cls.bases:
        base = classes.get(getattr(b, "id", ""))
        if base is None:
            continue
        m = next((s for s in base.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and s.name == name), None)
        if (m is not None and ast.get_docstring(m)) or _inherited_doc(base, name, classes):
            return True
    return False


def _module_problems(rel: str) -> list[str]:
    path = ROOT / rel
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    public = None
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                             for t in n.targets):
            public = set(ast.literal_eval(n.value))
    out: list[str] = []
    if not ast.get_docstring(tree):
        out.append(f"{rel}: no module docstring")
    for n in tree.body:
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if n.name.startswith("_") or (public is not None and n.name not in public):
            continue
        qual = f"{rel}:{n.lineno} {n.name}"
        if isinstance(n, ast.ClassDef):
            init = next((s for s in n.body if isinstance(s, ast.FunctionDef)
                         and s.name == "__init__"), None)
            params = _params(init) if init is not None else _dataclass_fields(n)
            doc = ast.get_docstring(n)
            if init is not None and ast.get_docstring(init) and not _sections(doc or ""):
                doc = (doc or "") + "\n\n" + (ast.get_docstring(init) or "")
            out += _problems_of(qual, n, doc, params, ("Parameters", "Attributes"))
            for m in n.body:
                if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) or \
                        m.name.startswith("_"):
                    continue
                mq = f"{rel}:{m.lineno} {n.name}.{m.name}"
                if not ast.get_docstring(m) and _inherited_doc(n, m.name, classes):
                    continue
                is_prop = bool(_decorators(m) & {"property", "cached_property", "setter"})
                out += _problems_of(mq, m, ast.get_docstring(m),
                                    [] if is_prop else _params(m), ("Parameters",))
        else:
            params = [] if _is_command(n) else _params(n)
            out += _problems_of(qual, n, ast.get_docstring(n), params, ("Parameters",))
    return out


@pytest.mark.parametrize("rel", CONVERTED)
def test_public_callables_have_numpydoc_docstrings(rel):
    problems = _module_problems(rel)
    assert not problems, "\n".join(problems)


def test_the_checker_finds_what_it_should(tmp_path, monkeypatch):
    """A function without docstring, one whose Parameters miss an argument, a class whose
    fields are undocumented: each is found; a complete one and a click command are not."""
    src = tmp_path / "m.py"
    src.write_text('''"""A module."""
__all__ = ["bare", "partial", "fine", "Record", "cmd", "Base", "Child"]
from dataclasses import dataclass

def bare(x):
    pass

def partial(x, y=1, *, z):
    """Summary.

    Parameters
    ----------
    x, y : float
        Values [kg].
    """

def fine(a, **kw):
    """Summary.

    Parameters
    ----------
    a : int
        A count.
    **kw
        More.
    """

@dataclass
class Record:
    """A record."""
    value: float

class Base:
    """A base."""

    def run(self, x):
        """Run.

        Parameters
        ----------
        x : float
            A value [kg].
        """


class Child(Base):
    """A child."""

    def run(self, x):
        return x

    def extra(self):
        return 1


@group.command()
def cmd(reg, code):
    """Help text of a command."""

def _private(q):
    pass
''', encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = "\n".join(_module_problems("m.py"))
    assert "bare: no docstring" in found
    assert "partial: Parameters section does not name ['z']" in found
    assert "Record: takes ['value'] but has no Parameters or Attributes section" in found
    assert "Child.extra: no docstring" in found
    assert "fine" not in found and "cmd" not in found and "_private" not in found
    assert "Child.run" not in found   # the base documents it


def test_every_module_is_checked():
    """The glob finds the package (an empty list would check nothing and pass)."""
    assert len(CONVERTED) > 100
    assert {"carbon_core/engine.py", "carbon_core/io/meters.py", "carbon_core/web/app.py",
            "plugins/steel.py", "plugins/_template.py"} <= set(CONVERTED)
