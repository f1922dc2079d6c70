"""Programmes as data: one name -> one bundle of files that everything programme-specific reads.

A *programme* (a city's or the nation's zero-carbon factory scheme) is a folder holding a
``programme.toml`` and the files it names: its indicator system, its balance policy and, as
further layers are added, its eligibility gate and its procedure. The core names no programme:
it asks this registry for one by name.

Bundles come from two places:

1. the shipped folder ``programmes/`` (installed as the data-only package
   ``carbon_core_programmes``), one sub-folder per programme;
2. plugins, through the ``carbon_core_programmes`` hook (a plugin returns the paths of its own
   bundle folders; see :mod:`carbon_core.hookspecs`).

A name defined twice is an error naming both places, never a silent replacement.

Examples
--------
>>> p = get_programme()                     # DEFAULT_PROGRAMME
>>> p.name == DEFAULT_PROGRAMME, p.is_template
(True, True)
>>> p.file("indicator_system").name
'indicators.toml'
"""

from __future__ import annotations

import tomli
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError, PluginError, Problem
from .schema import Field, Table, validate_into

__all__ = ["Programme", "DEFAULT_PROGRAMME", "available_programmes", "get_programme",
           "load_programme", "programme_registry", "PROGRAMME_TABLE", "register_programme_file"]

SCHEMA = "carbon_core.programme/1"


def _default_name() -> str:
    """The default programme, as the shipped programmes folder declares it (``default.toml``)."""
    try:
        text = (resources.files("carbon_core_programmes") / "default.toml").read_text("utf-8")
        name = tomli.loads(text).get("default")
    except (OSError, ModuleNotFoundError, tomli.TOMLDecodeError):
        name = None
    return name if isinstance(name, str) and name else ""


#: The programme used when a command names none: a configuration default, read from the shipped
#: ``programmes/default.toml``, not a rule of the core.
DEFAULT_PROGRAMME = _default_name()


#: Roles of the files a bundle may name (``[files]``); later layers add theirs with
#: :func:`register_programme_file`.
_FILE_ROLES: dict[str, str] = {
    "indicator_system": "the indicator system (docs/indicator-system.md)",
    "policy": "the balance policy (docs/balance.md); its name is the programme's name",
    "eligibility": "the eligibility gate: basic requirements, exclusions and their window",
    "procedure": "the procedure: stages, notice period, revocation grounds, ban lengths",
    "demo": "the demo accounts of `carbon serve --demo` (carbon_core.web.demo)",
}

_META = Table("programme", (
    Field("name", kind="text", pattern=r"[a-z0-9][a-z0-9_\-]*",
          doc="the registry key (lower-case letters, digits, '-', '_')"),
    Field("title_zh", kind="text"),
    Field("title_en", kind="text"),
    Field("status", kind="text", doc="'template' (official documents not public) or 'official'"),
    Field("jurisdiction", kind="text", required=False, doc="where it applies, e.g. CN or a province and division code"),
    Field("issuer", kind="text", required=False, doc="who issues the programme"),
    Field("issued", kind="date", required=False, doc="date of the programme document"),
    Field("source", kind="text", required=False, doc="the published documents the bundle encodes"),
    Field("references", kind="list", item=Field("reference", kind="text"), default=[], required=False,
          doc="published sources, one citation each"),
    Field("note", kind="text", allow_empty=True, required=False),
), rows=False)


def _files_table() -> Table:
    return Table("files", tuple(Field(role, kind="text", required=False, doc=doc)
                                for role, doc in _FILE_ROLES.items()), rows=False,
                 doc="Paths relative to the bundle folder.")


def _programme_table() -> Table:
    return Table("programme.toml", (
        Field("schema", kind="choice", choices=(SCHEMA,)),
        Field("programme", kind="table", table=_META),
        Field("files", kind="table", table=_files_table(), default={}, required=False),
    ), rows=False, doc="The bundle's index: metadata and the files it holds.")


#: The declaration of ``programme.toml`` (rebuilt by :func:`register_programme_file`).
PROGRAMME_TABLE = _programme_table()


def register_programme_file(role: str, doc: str) -> None:
    """Declare a new kind of bundle file (``[files] <role> = "..."``), e.g. a procedure.

    Parameters
    ----------
    role : str
        The role's key in a bundle's ``[files]`` table (e.g. ``"procedure"``).
    doc : str
        One line for the field reference (what the file holds).

    Raises
    ------
    PluginError
        The role is already declared.
    """
    global PROGRAMME_TABLE
    if role in _FILE_ROLES:
        raise PluginError(f"programme file role {role!r} is already declared")
    _FILE_ROLES[role] = doc
    PROGRAMME_TABLE = _programme_table()


@dataclass(frozen=True)
class Programme:
    """A programme bundle: its metadata and the files it names.

    Attributes
    ----------
    name : str
        The registry key (the folder's ``[programme] name``).
    folder : pathlib.Path or importlib Traversable
        The bundle folder.
    meta : dict
        The ``[programme]`` table (``title_zh``, ``title_en``, ``status``, ``source``...).
    files : dict of str -> str
        Role -> path relative to the folder (``indicator_system``, ``policy``, ``eligibility``,
        ``procedure``...).
    raw : dict
        The whole ``programme.toml``, for layers that keep their own tables in it.
    origin : str
        Where the bundle came from (``"shipped"`` or the plugin's name), for error messages.
    """

    name: str
    folder: Any
    meta: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    origin: str = "shipped"

    @property
    def is_template(self) -> bool:
        """True when the programme's official documents are not public and this is a template."""
        return str(self.meta.get("status", "")).startswith("template")

    @property
    def title(self) -> str:
        """``title_zh (title_en)``."""
        return f"{self.meta.get('title_zh', self.name)} ({self.meta.get('title_en', self.name)})"

    def has(self, role: str) -> bool:
        """Whether the bundle names a file for ``role``.

        Parameters
        ----------
        role : str
            A file role (``"indicator_system"``, ``"policy"``, ``"eligibility"`` ...).
        """
        return role in self.files

    def file(self, role: str):
        """The file the bundle names for ``role`` (a path-like object; ``.read_text()`` works).

        Parameters
        ----------
        role : str
            A file role the bundle names.

        Raises
        ------
        InputError
            The bundle names no file for ``role``, or the file is missing.
        """
        if role not in self.files:
            raise InputError([Problem(f"programme {self.name}", "the programme names no such file",
                                      field=f"files.{role}", expected=f"one of {sorted(self.files)}")])
        ref = self.folder / self.files[role]
        if not ref.is_file():
            raise InputError([Problem(f"programme {self.name}", "a file the programme names is "
                                      "missing", field=f"files.{role}", found=self.files[role],
                                      expected="a file inside the bundle folder")])
        return ref

    def label(self, role: str) -> str:
        """A stable, human-readable label of a bundle file (``programmes/<name>/<file>``).

        Parameters
        ----------
        role : str
            A file role the bundle names.
        """
        return f"programmes/{self.name}/{self.files[role]}"


def load_programme(folder, *, origin: str = "shipped") -> Programme:
    """Read one bundle folder (``programme.toml`` inside it).

    Parameters
    ----------
    folder : path or Traversable
        The bundle folder.
    origin : str
        ``"shipped"`` or the contributing plugin's name.

    Raises
    ------
    InputError
        Unreadable file, wrong schema line, or a missing ``[programme] name``.
    """
    ref = folder / "programme.toml"
    label = f"{getattr(folder, 'name', folder)}/programme.toml"
    try:
        data = tomli.loads(ref.read_text(encoding="utf-8"))
    except (OSError, tomli.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(label, f"cannot read programme file: {exc}")]) from None
    if data.get("schema") != SCHEMA:
        raise InputError([Problem(label, "not a programme file", field="schema",
                                  found=data.get("schema"), expected=repr(SCHEMA))])
    problems: list[Problem] = []
    doc = validate_into(PROGRAMME_TABLE, data, problems, file=label) or {}
    if problems:
        raise InputError(problems, title=f"{len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''} in programme file {label}")
    meta = dict(data.get("programme", {}))
    files = {k: v for k, v in (doc.get("files") or {}).items() if v is not None}
    return Programme(name=meta["name"], folder=folder, meta=meta, files=files, raw=data,
                     origin=origin)


def _shipped() -> Iterable:
    root = resources.files("carbon_core_programmes")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("_"):  # programmes/_template: the fill-in example, not loaded
            continue
        if entry.is_dir() and (entry / "programme.toml").is_file():
            yield entry


def programme_registry(plugin_manager=None) -> dict[str, Programme]:
    """Every programme by name: the shipped bundles, then those plugins contribute.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        When given, its ``carbon_core_programmes`` hook implementations are asked for bundle
        folders.

    Raises
    ------
    InputError
        A programme name defined twice (both origins named).
    """
    out: dict[str, Programme] = {}
    problems: list[Problem] = []

    def add(p: Programme) -> None:
        if p.name in out:
            problems.append(Problem(f"programme {p.name}", "programme defined twice",
                                    found=f"{out[p.name].origin} and {p.origin}",
                                    expected="one bundle per programme name"))
            return
        out[p.name] = p

    for folder in _shipped():
        add(load_programme(folder))
    hook = getattr(plugin_manager.hook, "carbon_core_programmes", None) if plugin_manager else None
    if hook is not None:
        for impl in hook.get_hookimpls():  # one call per plugin, so each bundle names its origin
            for folder in impl.function() or ():
                add(load_programme(Path(folder), origin=impl.plugin_name))
    if problems:
        raise InputError(problems)
    return out


def available_programmes(plugin_manager=None) -> list[str]:
    """Names of every programme known to the registry.

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        Also list the programmes its plugins contribute.

    Examples
    --------
    >>> DEFAULT_PROGRAMME in available_programmes()
    True
    """
    return sorted(programme_registry(plugin_manager))


def get_programme(name: str | None = None, *, plugin_manager=None) -> Programme:
    """The programme bundle called ``name``.

    Parameters
    ----------
    name : str, optional
        The programme's name (default :data:`DEFAULT_PROGRAMME`).
    plugin_manager : pluggy.PluginManager, optional
        Also look among the programmes its plugins contribute.

    Returns
    -------
    Programme

    Raises
    ------
    InputError
        Unknown name, listing the known ones.
    """
    reg = programme_registry(plugin_manager)
    name = DEFAULT_PROGRAMME if name is None else name
    if name not in reg:
        raise InputError([Problem("programme", "unknown programme", field="programme",
                                  found=name, expected=f"one of {sorted(reg)}")])
    return reg[name]
