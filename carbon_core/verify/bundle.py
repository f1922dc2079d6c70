"""Write a verifier bundle: every file that influenced a number, the results, and a manifest.

A bundle (``NAME.bundle``, a ZIP archive, see :mod:`carbon_core.verify.archive`) holds:

=================================  ===================  ===========================================
member                             role                 what
=================================  ===================  ===========================================
``inventory/<file>.toml``          inventory            the inventory, byte for byte
``inventory/<relative path>``      meter-data           every meter data file it names
``inventory/<relative path>``      inventory-file       a policy file the inventory names
``factors/core/<path>``            factor-file          every edition of the factor library,
                                                        GWP table included (``ipcc-gwp.toml``)
``factors/plugins/<plugin>/<f>``   plugin-factor-file   factor files a plugin contributes
``policy/<file>``                  policy               the balance policy, when found by name
``programme/<name>/<file>``        programme            the programme bundle: ``programme.toml``,
                                                        its indicator system and policy
``results/results.json``           results              the results JSON (``carbon compute``)
``results/score.json``             score                the score JSON (``carbon score``)
``environment.json``               environment          engine, plugin, Python package versions
``manifest.json``                  (not a member)       every member's SHA-256, size and role,
                                                        and the root hash over them
``signature.json``                 (not a member)       optional Ed25519 signature over the root
=================================  ===================  ===========================================

The whole factor library is bundled, not only the editions a result used: which edition a lookup
selects depends on what else exists (the confirmed one wins, the latest data year under the rule,
the as-of date), so the verifier needs the library as it was. ``factor_files`` of the results
names the editions actually used.

The root hash is the SHA-256 of the manifest's canonical text (:func:`canonical_text`): a header
line, then one line ``<sha256> <bytes> <role> <path>`` per member sorted by path. Anyone can
recompute it with ``sha256sum``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .archive import BundleError, write_archive

__all__ = ["FORMAT", "BundleInfo", "make_bundle", "collect_members", "check_results_belong",
           "canonical_text",
           "root_hash", "build_manifest", "environment", "PACKAGES"]

FORMAT = "carbon_core.bundle/1"

#: Python distributions whose versions a bundle records (the engine's dependencies).
PACKAGES = ("carbon_core", "numpy", "xarray", "pandas", "pyarrow", "pint", "pluggy", "click",
            "rich", "jsonschema", "cryptography")

_FACTOR_SCHEMA_LINE = b'schema = "carbon_core.factors/1"'


@dataclass
class BundleInfo:
    """What :func:`make_bundle` wrote.

    Attributes
    ----------
    path : Path
        The bundle file written.
    root : str
        The root hash of the manifest (SHA-256, hex).
    members : list of dict
        The manifest's listing: ``path``, ``sha256``, ``bytes``, ``role`` of every member.
    signed_by : str or None
        The key id that signed the root, when a key was given.
    results : dict
        The results document bundled (``Results.to_dict()``).
    """

    path: Path
    root: str
    members: list[dict]
    signed_by: str | None = None
    results: dict = field(default_factory=dict)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_text(header: dict[str, str], members: list[dict]) -> str:
    """The text the root hash is taken over.

    Parameters
    ----------
    header : dict
        ``format``, ``inventory``, ``policy``, ``programme`` (name -> value, written sorted).
    members : list of dict
        ``path``, ``sha256``, ``bytes``, ``role`` of every member.
    """
    lines = [f"{FORMAT}"]
    lines += [f"{k} {header[k]}" for k in sorted(header)]
    lines += [f"{m['sha256']} {m['bytes']} {m['role']} {m['path']}"
              for m in sorted(members, key=lambda m: m["path"])]
    return "\n".join(lines) + "\n"


def root_hash(header: dict[str, str], members: list[dict]) -> str:
    """SHA-256 (hex) of :func:`canonical_text`.

    Parameters
    ----------
    header : dict of str to str
        The manifest header.
    members : list of dict
        The listing of every member (``path``, ``sha256``, ``bytes``, ``role``).

    Returns
    -------
    str
        SHA-256 (64 hex digits) over the UTF-8 of :func:`canonical_text`: any change to a
        member's bytes, role or path, or to the header, changes it.
    """
    return _sha(canonical_text(header, members).encode("utf-8"))


def build_manifest(files: dict[str, tuple[bytes, str]], header: dict[str, str]) -> dict:
    """The manifest document of ``files`` (path -> (bytes, role)).

    Parameters
    ----------
    files : dict of str to (bytes, str)
        Member path -> (content, role).
    header : dict of str to str
        The manifest header (inventory, policy, programme ... member paths).

    Returns
    -------
    dict
        ``format``, the sorted ``header``, the ``members`` listing (sorted by path, with each
        member's SHA-256 and size [bytes]) and the ``root`` hash (:func:`root_hash`).
    """
    members = [{"path": p, "sha256": _sha(b), "bytes": len(b), "role": r}
               for p, (b, r) in sorted(files.items())]
    return {"format": FORMAT, "header": dict(sorted(header.items())), "members": members,
            "root": root_hash(header, members)}


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, None))
    return tuple(out)


def environment(plugin_manager=None) -> dict[str, Any]:
    """Engine, plugin and Python package versions of this installation.

    Package versions are read once per process (installing a package does not change the
    modules a running process has imported).

    Parameters
    ----------
    plugin_manager : pluggy.PluginManager, optional
        When given, the loaded plugins and their versions are recorded too.

    Returns
    -------
    dict
        ``engine`` (name and carbon_core version), ``plugins`` (name -> version, distribution,
        sectors), ``packages`` (:data:`PACKAGES` -> version, None when not installed),
        ``python`` and ``implementation``.
    """
    from .._version import __version__

    pkgs = dict(_package_versions())
    plugins = {}
    if plugin_manager is not None:
        from ..plugin_manager import report

        for info in report(plugin_manager).loaded:
            plugins[info.name] = {"version": info.version, "distribution": info.distribution,
                                  "sectors": list(info.sectors)}
    return {"engine": {"name": "carbon_core", "version": __version__},
            "plugins": dict(sorted(plugins.items())), "packages": pkgs,
            "python": platform.python_version(), "implementation": sys.implementation.name}


def _walk(root, prefix=""):
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name.startswith(("_", ".")):
                continue
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".toml"):
            yield f"{prefix}{entry.name}", entry


def _factor_files(plugin_manager) -> dict[str, tuple[bytes, str]]:
    """Every factor file of the library: the shipped ones, then those plugins contribute."""
    out: dict[str, tuple[bytes, str]] = {}
    seen: set[str] = set()
    for rel, entry in _walk(resources.files("carbon_core_factors")):
        raw = entry.read_bytes()
        if _FACTOR_SCHEMA_LINE not in raw:
            continue  # policies and other data kept beside the factor files
        out[f"factors/core/{rel}"] = (raw, "factor-file")
        seen.add(_sha(raw))
    if plugin_manager is None:
        return out
    for impl in plugin_manager.hook.carbon_factor_tables.get_hookimpls():
        for item in impl.function() or ():
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], dict):
                data, name = item
                raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()
                stem = Path(str(name)).stem
                out[f"factors/plugins/{impl.plugin_name}/{stem}.json"] = (
                    raw, "plugin-factor-table")
                continue
            path = Path(item) if isinstance(item, str) else item
            raw = path.read_bytes()
            if _sha(raw) in seen:
                continue  # the same file is already in the shipped library
            seen.add(_sha(raw))
            out[f"factors/plugins/{impl.plugin_name}/{path.name}"] = (raw, "plugin-factor-file")
    return out


def _inside(inv_dir: Path, target: Path, what: str) -> str:
    try:
        return target.resolve().relative_to(inv_dir.resolve()).as_posix()
    except ValueError:
        raise BundleError(f"{what} {target} is outside the inventory's folder {inv_dir}: a bundle "
                          "holds only files inside it (move the file next to the inventory)"
                          ) from None


def _policy_source(inv) -> tuple[str | None, Any, str | None]:
    """Where the inventory's balance policy comes from: (kind, file, label).

    kind is ``"inventory-file"`` (``policy_file``), ``"policy"`` (a shipped policy by name),
    ``"programme"`` (a programme bundle's policy) or None (no balance table).
    """
    from ..programmes import programme_registry

    raw = dict(inv.sections("balance") or {})
    if "policy_file" in raw:
        return "inventory-file", inv.path.parent / str(raw["policy_file"]), None
    from ..balance.policy import DEFAULT_POLICY

    name = str(raw.get("policy", DEFAULT_POLICY))
    entry = resources.files("carbon_core_factors") / "policies" / f"{name}.toml"
    if entry.is_file():
        return "policy", entry, f"factors/policies/{entry.name}"
    programme = programme_registry().get(name)
    if programme is not None and programme.has("policy"):
        return "programme", programme.file("policy"), programme.label("policy")
    return None, None, None


def _programme_name(inv) -> str:
    from ..programmes import DEFAULT_PROGRAMME

    name = getattr(inv, "programme", None) or inv.raw.get("programme")
    return name if isinstance(name, str) and name else DEFAULT_PROGRAMME


def collect_members(inventory_path: str | Path, *, as_of=None, plugins: bool = True,
                    results=None, results_file: str | Path | None = None
                    ) -> tuple[dict[str, tuple[bytes, str]], dict[str, str], Any]:
    """Compute and score an inventory and gather every member of its bundle.

    With ``results_file`` (a results JSON of this inventory, ``carbon compute --json``) nothing
    is computed: the file is bundled byte for byte after :func:`check_results_belong`, and the
    score is taken from its metrics.

    Parameters
    ----------
    inventory_path : str or Path
        The inventory; its meter files and its policy file must lie inside its folder.
    as_of : date or str, optional
        The day whose factor editions are used (see :func:`carbon_core.factors.resolve_as_of`).
    plugins : bool
        Load the installed sector plugins (their factor files are bundled).
    results : Results, optional
        Results already computed for this inventory (not computed again).
    results_file : str or Path, optional
        A results JSON of this inventory (``carbon compute --json``), bundled as it is.

    Returns
    -------
    (files, header, results)
        ``files``: member path -> (bytes, role); ``header``: the manifest header;
        ``results``: the :class:`~carbon_core.results.Results` computed.
    """
    files, header, res, _doc = _collect(inventory_path, as_of=as_of, plugins=plugins,
                                        results=results, results_file=results_file)
    return files, header, res


def _collect(inventory_path, *, as_of, plugins, results, results_file):
    """:func:`collect_members`, and the results document bundled (parsed once)."""
    from ..engine import compute
    from ..io.inventory import load_inventory
    from ..programmes import get_programme

    inv_path = Path(inventory_path)
    inv = load_inventory(inv_path)
    inv_dir = inv_path.parent
    pm = None
    if plugins:
        from ..plugin_manager import get_plugin_manager

        pm = get_plugin_manager()
    files: dict[str, tuple[bytes, str]] = {}
    inv_member = f"inventory/{inv_path.name}"
    files[inv_member] = (inv_path.read_bytes(), "inventory")
    for fp in inv.data_files:
        rel = _inside(inv_dir, Path(fp), "meter data file")
        files[f"inventory/{rel}"] = (Path(fp).read_bytes(), "meter-data")
    given = None
    if results_file is not None:  # before anything else is read: a wrong file fails fast
        given = check_results_belong(results_file, inv, files, as_of=as_of, plugin_manager=pm)
    files.update(_factor_files(pm))
    header = {"inventory": inv_member}
    kind, policy_file, _label = _policy_source(inv)
    if kind == "inventory-file":
        rel = _inside(inv_dir, Path(policy_file), "policy file")
        files[f"inventory/{rel}"] = (Path(policy_file).read_bytes(), "inventory-file")
    elif kind == "policy":
        member = f"policy/{policy_file.name}"
        files[member] = (policy_file.read_bytes(), "policy")
        header["policy"] = member
    programme = get_programme(_programme_name(inv), plugin_manager=pm)
    header["programme"] = programme.name
    files[f"programme/{programme.name}/programme.toml"] = (
        (programme.folder / "programme.toml").read_bytes(), "programme")
    for role in sorted(programme.files):
        ref = programme.file(role)
        member = f"programme/{programme.name}/{programme.files[role]}"
        files[member] = (ref.read_bytes(), "programme")
        if kind == "programme" and role == "policy":
            header["policy"] = member
    if programme.has("indicator_system"):
        header["indicator_system"] = f"programme/{programme.name}/" \
                                     f"{programme.files['indicator_system']}"
        header["indicator_system_label"] = programme.label("indicator_system")
    res: Any
    if given is not None:
        raw_results, doc = given
        files["results/results.json"] = (raw_results, "results")
        # scoring reads the metrics and the inventory (its evidence, year, factory) only
        res = _ResultsView(metrics=dict(doc.get("metrics") or {}), inventory=inv)
    else:
        res = results if results is not None else compute(inv, plugins=plugins, as_of=as_of)
        doc = res.to_dict()  # schema-valid by construction (tests validate the bundled copy)
        files["results/results.json"] = (_json_bytes(doc), "results")
    if programme.has("indicator_system"):
        score = score_results(res, programme.file("indicator_system").read_text(encoding="utf-8"),
                              programme.label("indicator_system"))
        files["results/score.json"] = (_json_bytes(score), "score")
    files["environment.json"] = (_json_bytes(environment(pm)), "environment")
    return files, header, res, doc


@dataclass
class _ResultsView:
    """What scoring reads of a result (``metrics``, ``inventory``), from a results JSON."""

    metrics: dict
    inventory: Any


def check_results_belong(results_file: str | Path, inv, files: dict[str, tuple[bytes, str]], *,
                         as_of=None, plugin_manager=None) -> tuple[bytes, dict]:
    """Read a results JSON and check it was computed from this inventory by this engine.

    The results must name the inventory's credit code and reporting year, record the SHA-256 of
    the inventory file's bytes and of every meter data file the bundle holds (and no other),
    come from the installed engine version (and plugin versions), and, when ``as_of`` is given,
    record that as-of day.

    Parameters
    ----------
    results_file : path
        ``carbon compute --json`` output.
    inv : Inventory
        The inventory being bundled.
    files : dict
        Bundle members gathered so far (``inventory`` and ``meter-data`` roles are read).
    as_of : date or str, optional
        The as-of day the bundle is asked for; the results must record it.
    plugin_manager : pluggy.PluginManager, optional
        When given, the results' plugin versions must be the installed ones.

    Returns
    -------
    (bytes, dict)
        The file's bytes (bundled as they are) and the parsed document.

    Raises
    ------
    BundleError
        Unreadable or not a results document, or any of the checks above failing, naming the
        field with both values.
    """
    from .._version import __version__

    path = Path(results_file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"--results {path}: cannot read: {exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"--results {path}: not a results JSON ({exc})") from None
    prov = doc.get("provenance") if isinstance(doc, dict) else None
    if not isinstance(prov, dict) or not isinstance(doc.get("factory"), dict) \
            or "schema_version" not in doc or not isinstance(doc.get("metrics"), dict):
        raise BundleError(f"--results {path}: not a carbon_core results document "
                          "(carbon compute --json): no schema_version, factory, metrics or "
                          "provenance")
    problems = []
    code, want_code = doc["factory"].get("credit_code"), inv.factory.credit_code
    if code != want_code:
        problems.append(f"factory.credit_code is {code!r}, the inventory's is {want_code!r} "
                        "(the results are of another factory)")
    if doc.get("reporting_year") != inv.reporting_year:
        problems.append(f"reporting_year is {doc.get('reporting_year')!r}, the inventory's is "
                        f"{inv.reporting_year!r}")
    inv_bytes = next(b for b, role in files.values() if role == "inventory")
    sha = _sha(inv_bytes)
    got = (prov.get("inventory") or {}).get("sha256") if isinstance(prov.get("inventory"),
                                                                    dict) else None
    if got != sha:
        problems.append(f"provenance.inventory.sha256 is {got!r}, the inventory file's is "
                        f"{sha!r} (computed from another version of the inventory)")
    bundled = sorted(_sha(b) for b, role in files.values() if role == "meter-data")
    recorded = sorted(str(f.get("sha256")) for f in prov.get("input_files") or []
                      if isinstance(f, dict))
    if recorded != bundled:
        problems.append(f"provenance.input_files record SHA-256 {recorded}, the meter data files "
                        f"the inventory names have {bundled}")
    engine = (prov.get("engine") or {}).get("version") if isinstance(prov.get("engine"),
                                                                     dict) else None
    if engine != __version__:
        problems.append(f"provenance.engine.version is {engine!r}, the installed engine is "
                        f"{__version__!r} (bundle with the engine that computed it)")
    if plugin_manager is not None:
        here = {k: v["version"] for k, v in environment(plugin_manager)["plugins"].items()}
        for name, version in sorted((prov.get("plugins") or {}).items()):
            if here.get(name) != version:
                problems.append(f"provenance.plugins.{name} is {version!r}, the installed "
                                f"plugin is {here.get(name)!r}")
    if as_of is not None:
        day = str(as_of)
        recorded_day = (prov.get("as_of") or {}).get("date") if isinstance(
            prov.get("as_of"), dict) else None
        if recorded_day != day:
            problems.append(f"provenance.as_of.date is {recorded_day!r}, --as-of asks for "
                            f"{day!r}")
    if problems:
        raise BundleError(f"--results {path} does not belong to inventory {inv.path}: "
                          + "; ".join(problems))
    return raw, doc


def score_results(res, system_text: str, label: str) -> dict:
    """The score JSON of a result against an indicator system given as text (``carbon score``)."""
    from ..engine import available_metrics
    from ..scoring.evaluate import evaluate
    from ..scoring.system import loads_system

    metrics = frozenset(available_metrics()) | frozenset(res.metrics)
    key = (hashlib.sha256(system_text.encode("utf-8")).hexdigest(), label, metrics)
    system = _SYSTEMS.get(key)
    if system is None:  # content-addressed: one parse per indicator-system text and process
        system = loads_system(system_text, file=label, metrics=set(metrics))
        if len(_SYSTEMS) >= 8:
            _SYSTEMS.clear()
        _SYSTEMS[key] = system
    return evaluate(res, system=system).to_dict()


_SYSTEMS: dict[tuple, Any] = {}


def _json_bytes(doc: dict) -> bytes:
    from ..outputs.json import dumps_bytes

    return dumps_bytes(doc) + b"\n"


def make_bundle(inventory_path: str | Path, output: str | Path, *, sign_key=None, as_of=None,
                plugins: bool = True, results: str | Path | None = None) -> BundleInfo:
    """Compute an inventory and write its verifier bundle.

    ``results``: a results JSON already computed from this inventory (``carbon compute
    --json``); it is bundled instead of computing again, once :func:`check_results_belong`
    accepts it (credit code, year, inventory and meter-data SHA-256, engine version).

    Parameters
    ----------
    inventory_path : path
        The inventory TOML.
    output : path
        The bundle file to write (``NAME.bundle``); its folder must exist.
    sign_key : path, optional
        An Ed25519 private key (``carbon keys new``); the bundle then carries ``signature.json``.
    as_of : date or str, optional
        Factor editions published by this day only (default: the run date).
    plugins : bool
        Run sector plugins (default True).
    results : path, optional
        A results JSON of this inventory (``carbon compute --json``) to bundle instead of
        computing; refused by :func:`check_results_belong` unless it belongs to it.

    Raises
    ------
    BundleError
        A data or policy file outside the inventory's folder, an unwritable output.
    InputError, FactorNotFoundError
        As :func:`carbon_core.compute`.
    """
    from .signing import load_private_key, sign_root

    output = Path(output)
    if not output.parent.is_dir():
        raise BundleError(f"cannot write {output}: folder {output.parent} does not exist")
    key = load_private_key(sign_key) if sign_key is not None else None
    files, header, res, doc = _collect(inventory_path, as_of=as_of, plugins=plugins,
                                       results=None, results_file=results)
    manifest = build_manifest(files, header)
    members = {p: b for p, (b, _) in files.items()}
    members["manifest.json"] = _json_bytes(manifest)
    signed_by = None
    if key is not None:
        sig = sign_root(key, manifest["root"])
        members["signature.json"] = _json_bytes(sig)
        signed_by = sig["key_id"]
    try:
        write_archive(output, members)
    except OSError as exc:
        raise BundleError(f"cannot write {output}: {exc}") from None
    return BundleInfo(path=output, root=manifest["root"], members=manifest["members"],
                      signed_by=signed_by, results=doc)
