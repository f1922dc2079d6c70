"""Verify a bundle: integrity, signature, and a recomputation from the bundle alone.

:func:`verify_bundle` never reads the installed factor library, policies, programmes or GWP
table: it builds a :class:`~carbon_core.factors.FactorLibrary` from the bundled factor files,
uses the bundled GWP values (:func:`carbon_core.units.using_gwp_table`), the bundled policy and
indicator system, and the as-of date the bundled result recorded. Only the engine's and the
plugins' *code* is the installed one; when its versions differ from the bundle's, the report
says so (a difference in numbers is then explained by the engine, not the data).

The comparison walks both results documents and both score documents leaf by leaf: numbers agree
when ``|a - b| <= atol + rtol * |a|`` (:class:`Tolerance`; default rtol 1e-9, atol 1e-9 in the
unit of the field, tCO2e for emissions), anything else must be equal. Line items are matched by
id, so a difference is reported as (line item, field, bundled, recomputed). Fields that name the
place a file sat on the computer that ran (paths, the as-of basis) are not compared: :data:`CONTEXT_FIELDS`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from .archive import DEFAULT_LIMITS, BundleError, Limits, SignatureError, read_archive
from .bundle import FORMAT, environment, root_hash, score_results

__all__ = ["Tolerance", "Difference", "VerifyReport", "verify_bundle", "compare_documents",
           "open_bundle", "CONTEXT_FIELDS"]

#: Result fields that record the circumstances of a run, not what it computed: where files were
#: on the machine that ran (their content is covered by the SHA-256 beside them) and whether the
#: as-of day was asked for or was the run date (the day itself is compared). ``*`` is one index.
CONTEXT_FIELDS = (
    "provenance.as_of.basis",
    "provenance.inventory.path",
    "provenance.input_files.*.path",
    "balance.policy.file",
    "balance.source_file",
    "factory.inventory",
)


@dataclass(frozen=True)
class Tolerance:
    """How close two numbers must be: ``|a - b| <= atol + rtol * |a|``.

    Attributes
    ----------
    rtol : float
        Relative tolerance [1].
    atol : float
        Absolute tolerance, in the unit of the compared number.
    """

    rtol: float = 1e-9
    atol: float = 1e-9

    def close(self, a: float, b: float) -> bool:
        """Whether ``b`` is within the tolerance of ``a`` (two NaN are close, one NaN is not).

        Parameters
        ----------
        a : float
            The bundled value (the reference of the relative part).
        b : float
            The recomputed value.
        """
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= self.atol + self.rtol * abs(a)

    def __str__(self) -> str:
        return f"|bundled - recomputed| <= {self.atol:g} + {self.rtol:g} x |bundled|"


@dataclass(frozen=True)
class Difference:
    """One field that did not reproduce.

    Attributes
    ----------
    document : str
        ``"results"`` or ``"score"``.
    item : str
        The line item id, or the section of the document.
    field : str
        The field's path inside the item.
    bundled, recomputed : any
        The two values (``"<absent>"`` where one document lacks the field).
    """

    document: str  # "results" or "score"
    item: str      # line item id, or the section
    field: str
    bundled: Any
    recomputed: Any

    def __str__(self) -> str:
        return (f"{self.document}: {self.item} :: {self.field}: bundled {self.bundled!r}, "
                f"recomputed {self.recomputed!r}")


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_bundle`.

    ``ok`` is True only when the bundle is intact, its signature (when keys are trusted) checks,
    and every field reproduces within the tolerance.

    Attributes
    ----------
    path : Path
        The bundle verified.
    root : str or None
        The manifest's root hash.
    integrity : list of str
        Integrity problems: missing, unlisted or changed members, a root that does not match.
    signature : str
        What the signature check found, in words.
    signature_ok : bool
        False when trusted keys were given and the signature does not check.
    differences : list of Difference
        Fields that did not reproduce within ``tolerance``.
    version_notes : list of str
        Engine, plugin and package versions that differ from the bundle's (not failures).
    tolerance : Tolerance
        The tolerance of the comparison.
    as_of : str or None
        The as-of day the bundle was computed for, used again.
    recomputed, bundled : dict or None
        The recomputed and the bundled results documents (None when nothing was recomputed).
    compared : int
        How many fields were compared.
    """

    path: Path
    root: str | None = None
    integrity: list[str] = field(default_factory=list)
    signature: str = "unsigned"
    signature_ok: bool = True
    differences: list[Difference] = field(default_factory=list)
    version_notes: list[str] = field(default_factory=list)
    tolerance: Tolerance = field(default_factory=Tolerance)
    as_of: str | None = None
    recomputed: dict | None = None
    bundled: dict | None = None
    compared: int = 0

    @property
    def ok(self) -> bool:
        """True when the bundle is intact, its signature checks and every field reproduced."""
        return not self.integrity and self.signature_ok and not self.differences \
            and self.recomputed is not None

    def to_dict(self) -> dict:
        """The verdict as JSON-ready data (the fields ``carbon verify --json`` prints).

        Returns
        -------
        dict
            ``bundle``, ``root``, ``ok``, ``integrity``, ``signature``, ``signature_ok``,
            ``tolerance`` (``rtol``, ``atol``), ``as_of``, ``fields_compared``,
            ``version_notes`` and ``differences`` (each as ``document``, ``item``, ``field``,
            ``bundled``, ``recomputed``).
        """
        return {"bundle": str(self.path), "root": self.root, "ok": self.ok,
                "integrity": list(self.integrity), "signature": self.signature,
                "signature_ok": self.signature_ok,
                "tolerance": {"rtol": self.tolerance.rtol, "atol": self.tolerance.atol},
                "as_of": self.as_of, "fields_compared": self.compared,
                "version_notes": list(self.version_notes),
                "differences": [dict(d.__dict__) for d in self.differences]}


def _flatten(doc: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    # one output dict filled in place (no per-level dicts merged): the documents have thousands
    # of leaves
    if out is None:
        out = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, (dict, list)):
                _flatten(v, p, out)
            else:
                out[p] = v
    elif isinstance(doc, list):
        if doc and all(isinstance(x, dict) and "id" in x for x in doc):
            ids = [str(x["id"]) for x in doc]
            if len(set(ids)) == len(ids):
                for x in doc:
                    _flatten(x, f"{prefix}[{x['id']}]", out)
                return out
        out[f"{prefix}.#"] = len(doc)
        for i, v in enumerate(doc):
            p = f"{prefix}.{i}"
            if isinstance(v, (dict, list)):
                _flatten(v, p, out)
            else:
                out[p] = v
    else:
        out[prefix] = doc
    return out


_CONTEXT_RE = re.compile("|".join(
    "^" + re.escape(p).replace(r"\*", r"\d+") + "$" for p in CONTEXT_FIELDS))


#: first segments of :data:`CONTEXT_FIELDS` (a quick test before the pattern)
_CONTEXT_HEADS = tuple(sorted({p.split(".")[0] + "." for p in CONTEXT_FIELDS}))


def _is_context(path: str) -> bool:
    return _CONTEXT_RE.match(path) is not None


def _split(path: str) -> tuple[str, str]:
    """(item, field) of a flattened path: line items by id, else the first segment."""
    if path.startswith("line_items["):
        end = path.index("]")
        return path[len("line_items["):end], path[end + 2:]
    head, _, rest = path.partition(".")
    return head, rest or head


def compare_documents(bundled: dict, recomputed: dict, *, document: str = "results",
                      tolerance: Tolerance = Tolerance()) -> tuple[list[Difference], int]:
    """Every leaf of two documents that differs beyond ``tolerance``; and the count compared.

    Parameters
    ----------
    bundled : dict
        The document in the bundle.
    recomputed : dict
        The document recomputed from the bundle's members.
    document : str
        Name of the document, for the differences (``"results"`` or ``"score"``).
    tolerance : Tolerance
        How close two numbers must be; other leaves must be equal.

    Returns
    -------
    differences : list of Difference
        Every leaf that differs or is present in one document only (the run context of
        :data:`CONTEXT_FIELDS` is not compared).
    compared : int
        The number of leaves compared.
    """
    eq: dict[str, Any] = {}
    if isinstance(bundled, dict) and isinstance(recomputed, dict):
        # top-level sections equal as a whole (most of them) are flattened once, on one side,
        # and only counted; the others leaf by leaf
        same = {k for k in bundled if k in recomputed and bundled[k] == recomputed[k]}
        a: dict[str, Any] = {}
        b: dict[str, Any] = {}
        _flatten_top(bundled, [k for k in bundled if k in same], eq)
        _flatten_top(bundled, [k for k in bundled if k not in same], a)
        _flatten_top(recomputed, [k for k in recomputed if k not in same], b)
        if eq.keys() & (a.keys() | b.keys()):  # one path made by two sections: compare all
            a, b, eq = _flatten(bundled), _flatten(recomputed), {}
    else:
        a, b = _flatten(bundled), _flatten(recomputed)
    found: list[tuple[str, Difference]] = []
    n = 0
    for path, x in eq.items():
        if path.startswith(_CONTEXT_HEADS) and _is_context(path):
            continue
        n += 1
        if isinstance(x, float) and math.isinf(x):  # inf == inf, but not within a tolerance
            d = _leaf_difference(document, path, x, x, tolerance)
            if d is not None:
                found.append((path, d))
    absent = object()
    for path in a.keys() | b.keys():
        if path.startswith(_CONTEXT_HEADS) and _is_context(path):
            continue
        n += 1
        x, y = a.get(path, absent), b.get(path, absent)
        # equal leaves reproduce (an infinite number only through the tolerance, as before)
        if x == y and x is not absent and not (type(x) is float and math.isinf(x)):
            continue
        if x is absent or y is absent:
            item, fld = _split(path)
            found.append((path, Difference(document, item, fld, a.get(path, "<absent>"),
                                           b.get(path, "<absent>"))))
            continue
        d = _leaf_difference(document, path, x, y, tolerance)
        if d is not None:
            found.append((path, d))
    found.sort(key=lambda pd: pd[0])
    return [d for _, d in found], n


def _flatten_top(doc: dict, keys: list, out: dict[str, Any]) -> None:
    """:func:`_flatten` of the top-level entries ``keys`` of ``doc``, in that order."""
    for k in keys:
        v = doc[k]
        if isinstance(v, (dict, list)):
            _flatten(v, str(k), out)
        else:
            out[str(k)] = v


def _leaf_difference(document: str, path: str, x: Any, y: Any,
                     tolerance: Tolerance) -> Difference | None:
    """The difference of two leaves present on both sides, or None when they agree."""
    numeric = (isinstance(x, (int, float)) and isinstance(y, (int, float))
               and not isinstance(x, bool) and not isinstance(y, bool))
    if numeric:
        if tolerance.close(float(x), float(y)):
            return None
    elif x == y:
        return None
    item, fld = _split(path)
    return Difference(document, item, fld, x, y)


def open_bundle(path: str | Path, *, limits: Limits = DEFAULT_LIMITS
                ) -> tuple[dict[str, bytes], dict, list[str]]:
    """Read a bundle and check it against its manifest.

    Parameters
    ----------
    path : str or Path
        The bundle file.
    limits : Limits
        Resource limits of the read (member count, sizes [bytes], compression ratio).

    Returns
    -------
    (members, manifest, problems)
        ``problems`` names every member that is missing, unlisted, or whose bytes do not match
        the manifest's SHA-256, and a root hash that does not match the listing.

    Raises
    ------
    BundleError
        The archive is hostile or unreadable, or has no readable manifest.
    """
    members = read_archive(path, limits)
    if "manifest.json" not in members:
        raise BundleError(f"{path}: no manifest.json: not a carbon_core bundle")
    try:
        manifest = json.loads(members["manifest.json"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path}: member 'manifest.json' is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{path}: member 'manifest.json' is not a {FORMAT} manifest")
    listed = manifest.get("members")
    header = manifest.get("header")
    if not isinstance(listed, list) or not isinstance(header, dict) or not all(
            isinstance(m, dict) and {"path", "sha256", "bytes", "role"} <= set(m) for m in listed):
        raise BundleError(f"{path}: member 'manifest.json' lists its members wrongly")
    problems: list[str] = []
    names = {m["path"] for m in listed}
    for m in listed:
        data = members.get(m["path"])
        if data is None:
            problems.append(f"member {m['path']!r} is listed in the manifest but missing")
        elif hashlib.sha256(data).hexdigest() != m["sha256"] or len(data) != m["bytes"]:
            problems.append(f"member {m['path']!r} changed: its SHA-256 is "
                            f"{hashlib.sha256(data).hexdigest()}, the manifest lists "
                            f"{m['sha256']}")
    for name in sorted(set(members) - names - {"manifest.json", "signature.json"}):
        problems.append(f"member {name!r} is not listed in the manifest")
    roles = {m["path"]: m["role"] for m in listed}
    for key, role, required in (("inventory", ("inventory",), True),
                                ("policy", ("policy", "programme"), False),
                                ("indicator_system", ("programme",), False)):
        ref = header.get(key)
        if ref is None and not required:
            continue
        if roles.get(ref) not in role:
            problems.append(f"member 'manifest.json': header {key} names {ref!r}, which is not "
                            f"a listed member of role {' or '.join(role)}")
    for ref, want in (("results/results.json", "results"), ("environment.json", "environment")):
        if roles.get(ref) != want:
            problems.append(f"member {ref!r} ({want}) is not in the manifest")
    root = root_hash({str(k): str(v) for k, v in header.items() if k != "format"}, listed)
    if root != manifest.get("root"):
        problems.append(f"member 'manifest.json' changed: its listing hashes to root {root}, "
                        f"the manifest states {manifest.get('root')}")
    return members, manifest, problems


def _versions(bundled_env: dict, pm) -> list[str]:
    here = environment(pm)
    notes = []
    be, he = bundled_env.get("engine", {}), here["engine"]
    if be.get("version") != he.get("version"):
        notes.append(f"engine version differs: bundle {be.get('version')}, installed "
                     f"{he.get('version')}")
    bp, hp = bundled_env.get("plugins", {}), here["plugins"]
    for name in sorted(set(bp) | set(hp)):
        a = (bp.get(name) or {}).get("version")
        b = (hp.get(name) or {}).get("version")
        if a != b:
            notes.append(f"plugin {name!r} version differs: bundle {a or 'not installed'}, "
                         f"installed {b or 'not installed'}")
    for name, v in sorted((bundled_env.get("packages") or {}).items()):
        if here["packages"].get(name) != v:
            notes.append(f"package {name} version differs: bundle {v}, installed "
                         f"{here['packages'].get(name)}")
    return notes


def verify_bundle(path: str | Path, *, trusted: Iterable = (), tolerance: Tolerance = Tolerance(),
                  limits: Limits = DEFAULT_LIMITS, plugins: bool = True) -> VerifyReport:
    """Check a bundle and recompute it from its own files.

    Parameters
    ----------
    path : path
        The bundle.
    trusted : iterable of public keys or paths
        Ed25519 public keys (``carbon keys new`` writes ``NAME.pub``). When any is given, the bundle
        must carry a signature by one of them.
    tolerance : Tolerance
        How close recomputed numbers must be.
    limits : Limits
        Archive limits (member count, sizes, compression ratio).
    plugins : bool
        Run sector plugins in the recomputation (default True).

    Returns
    -------
    VerifyReport

    Raises
    ------
    BundleError
        The archive itself is refused (hostile, unreadable, no manifest).
    """
    from .signing import check_signature, load_public_key

    path = Path(path)
    report = VerifyReport(path=path, tolerance=tolerance)
    members, manifest, problems = open_bundle(path, limits=limits)
    report.root = manifest.get("root")
    report.integrity = problems
    keys = [load_public_key(k) if isinstance(k, (str, Path)) else k for k in trusted]
    if "signature.json" in members:
        try:
            sig = json.loads(members["signature.json"].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            sig = None
        if keys:
            try:
                kid = check_signature(sig, manifest.get("root"), keys)
                report.signature = f"signed by trusted key {kid}"
            except SignatureError as exc:
                report.signature, report.signature_ok = str(exc), False
        else:
            claimed = sig.get("key_id") if isinstance(sig, dict) else "?"
            report.signature = (f"signed by key {claimed}, not checked (no --trusted key given)")
    elif keys:
        report.signature, report.signature_ok = ("the bundle is not signed, but trusted keys "
                                                 "were given"), False
    if problems:
        return report
    header = manifest["header"]
    pm = None
    if plugins:
        from ..plugin_manager import get_plugin_manager

        pm = get_plugin_manager()
    try:
        bundled_env = json.loads(members["environment.json"])
        report.version_notes = _versions(bundled_env, pm)
    except (KeyError, AttributeError, UnicodeDecodeError, json.JSONDecodeError):
        report.version_notes = ["the bundle records no environment.json"]
    try:
        report.bundled = json.loads(members["results/results.json"])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path}: member 'results/results.json' is not valid JSON "
                          f"({exc})") from None
    scratch = _scratch_folder(sum(len(b) for n, b in members.items()
                                  if n.startswith("inventory/")))
    with tempfile.TemporaryDirectory(prefix="carbon-verify-", dir=scratch) as tmp:
        rec_doc, rec_score = _recompute(Path(tmp), members, manifest, header, report.bundled,
                                        plugins)
    report.recomputed = rec_doc
    report.as_of = (report.bundled.get("provenance", {}).get("as_of") or {}).get("date")
    diffs, n = compare_documents(report.bundled, rec_doc, tolerance=tolerance)
    report.compared = n
    if "results/score.json" in members and rec_score is not None:
        d2, n2 = compare_documents(json.loads(members["results/score.json"]), rec_score,
                                   document="score", tolerance=tolerance)
        diffs += d2
        report.compared += n2
    report.differences = diffs
    return report


_LIBRARIES: dict[tuple, Any] = {}

#: Largest size [bytes] of the inventory files a verification writes to a RAM-backed folder
#: (``/dev/shm``) rather than the system's temporary folder; larger bundles, whose compute
#: dominates anyway, never take memory there.
SCRATCH_IN_MEMORY_MAX = 64 * 1024 * 1024


def _with_balance_table(inv: Any, raw: dict) -> Any:
    """The inventory with its raw tables replaced by ``raw``, which differs in ``[balance]`` only.

    The inventory layer keeps ``[balance]`` as it is (``kind="any"``: the balance layer reads
    and validates it when computing), so this is what :func:`parse_inventory` of ``raw`` gives,
    without validating the whole inventory a second time (a test holds the two equal).
    """
    import dataclasses

    return dataclasses.replace(inv, raw=raw)


def _scratch_folder(size: int) -> str | None:
    """Where the inventory files of a bundle are written for the recomputation.

    A RAM-backed folder when there is a writable one and the files are small (creating, writing
    and removing a few files on a busy disk costs several milliseconds of waiting, of the order
    of a small factory's compute); else None, the system's temporary folder.
    """
    shm = Path("/dev/shm")
    if size <= SCRATCH_IN_MEMORY_MAX and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return str(shm)
    return None


@dataclass(frozen=True)
class _Member:
    """A bundled file held in memory, read like a path (``name``, ``read_bytes()``)."""

    name: str
    data: bytes

    def read_bytes(self) -> bytes:
        return self.data


def _recompute(tmp: Path, members: dict[str, bytes], manifest: dict, header: dict,
               bundled: dict, plugins: bool) -> tuple[dict, dict | None]:
    from ..engine import compute
    from ..factors import FactorLibrary
    from ..io.inventory import load_inventory
    from ..units import using_gwp_table

    # only the inventory and the files it names are read from disk by the engine; factor files,
    # policy, programme and results are used from memory
    for m in manifest["members"]:
        if m["path"].startswith("inventory/"):
            target = tmp / m["path"]  # names were checked by read_archive
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(members[m["path"]])
    factor_members = sorted((m for m in manifest["members"]
                             if m["role"] in ("factor-file", "plugin-factor-file")),
                            key=lambda m: PurePosixPath(m["path"]))
    # content-addressed: the same bytes parse to the same library, so a process that verifies
    # many bundles of one library edition parses it once (open_bundle checked every member's
    # bytes against the manifest's SHA-256 before this runs)
    key = tuple((PurePosixPath(m["path"]).name, m["sha256"]) for m in factor_members)
    library = _LIBRARIES.get(key)
    if library is None:
        library = FactorLibrary.from_files(_Member(PurePosixPath(m["path"]).name,
                                                   members[m["path"]])
                                           for m in factor_members)
        if len(_LIBRARIES) >= 4:
            _LIBRARIES.clear()
        _LIBRARIES[key] = library
    tables = [m for m in manifest["members"] if m["role"] == "plugin-factor-table"]
    if tables:
        extra = []
        for m in tables:
            data = json.loads(members[m["path"]])
            extra.append((data, Path(m["path"]).name,
                          hashlib.sha256(repr(data).encode()).hexdigest()))
        library = library.merged(FactorLibrary.from_tables(extra))
    inv_path = tmp / header["inventory"]
    inv = load_inventory(inv_path)
    policy_member = header.get("policy")
    if policy_member:
        raw = dict(inv.raw)  # only the [balance] table is replaced; nothing nested is changed
        bal = dict(raw.get("balance") or {})
        local = inv_path.parent / ".carbon-bundle" / Path(policy_member).name
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(members[policy_member])
        bal.pop("policy", None)
        bal["policy_file"] = local.relative_to(inv_path.parent).as_posix()
        raw["balance"] = bal
        inv = _with_balance_table(inv, raw)
    as_of = (bundled.get("provenance", {}).get("as_of") or {}).get("date")
    gwp_rows = [(f.key, f.value) for f in library if f.key.startswith("gwp.")]
    with using_gwp_table(gwp_rows):
        res = compute(inv, library=library, plugins=plugins, as_of=as_of)
        doc = res.to_dict()
        score = None
        system_member = header.get("indicator_system")
        if system_member and system_member in members:
            label = header.get("indicator_system_label", system_member)
            score = score_results(res, members[system_member].decode("utf-8"), label)
    return doc, score
