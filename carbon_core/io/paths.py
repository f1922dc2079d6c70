"""Path confinement: files an inventory names stay inside the inventory's folder.

An inventory is a document a factory (or anyone uploading to the register or a verifier bundle)
writes; the files it names are read with the rights of whoever runs ``carbon``. So a data file
given as an absolute path (``/etc/passwd``, ``C:\\...``) or escaping the inventory's folder with
``..`` (also through a symbolic link) is refused, unless the caller explicitly allows it:
``carbon compute --allow-outside-paths`` or ``compute(..., allow_outside=True)``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..errors import InputError, Problem

__all__ = ["confine", "confine_data_files", "file_digest", "ALLOW_OUTSIDE_OPTION"]

#: The command-line option that lifts the confinement (documented in docs/inventory.md).
ALLOW_OUTSIDE_OPTION = "--allow-outside-paths"


def confine(name: Any, base: Path, *, file: str, row: str, field: str,
            allow_outside: bool = False) -> tuple[Path | None, Problem | None]:
    """Resolve ``name`` (as written in the inventory) against ``base`` and check it.

    Parameters
    ----------
    name : str
        The path as written.
    base : Path
        The inventory's folder.
    file, row, field : str
        Where the name was written, for the problem.
    allow_outside : bool
        Accept absolute paths and paths outside ``base``.

    Returns
    -------
    (Path or None, Problem or None)
        The resolved path, or the problem that refuses it.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> confine("../secret.csv", d, file="inv.toml", row="data", field="files[0]")[1].message
    'path leaves the inventory folder'
    """
    text = str(name)
    hint = (f"a path relative to the inventory folder {base}, inside it (or run with "
            f"{ALLOW_OUTSIDE_OPTION})")
    absolute = (PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()
                or bool(PureWindowsPath(text).drive))
    if absolute and not allow_outside:
        return None, Problem(file, "absolute path refused", row=row, field=field, found=text,
                             expected=hint)
    resolved = (Path(text) if absolute else base / text).resolve()
    if not allow_outside:
        root = base.resolve()
        if resolved != root and root not in resolved.parents:
            return None, Problem(file, "path leaves the inventory folder", row=row, field=field,
                                 found=text, expected=hint)
    if resolved.is_dir():
        return None, Problem(file, "is a directory, not a data file", row=row, field=field,
                             found=text, expected="a CSV or Parquet file")
    return resolved, None


def confine_data_files(inv, *, allow_outside: bool = False) -> None:
    """Check every file an inventory names: ``[data] files`` and instruments' ``profile_file``.

    Each is checked by :func:`confine` against the inventory's folder.

    Parameters
    ----------
    inv : Inventory
        The inventory (its ``path`` and ``raw`` tables).
    allow_outside : bool, optional
        Accept absolute paths and paths outside the inventory's folder
        (:data:`ALLOW_OUTSIDE_OPTION`); a directory is refused all the same.

    Raises
    ------
    InputError
        Every path refused, each naming the table and key.
    """
    base = Path(inv.path).parent
    file = str(inv.path)
    problems = []
    data = inv.raw.get("data", {})
    files = data.get("files", []) if isinstance(data, dict) else []
    for j, f in enumerate(files if isinstance(files, list) else []):
        problems.append(confine(f, base, file=file, row="data", field=f"files[{j}]",
                                allow_outside=allow_outside)[1])
    instruments = inv.raw.get("instruments", [])
    for i, row in enumerate(instruments if isinstance(instruments, list) else []):
        if isinstance(row, dict) and "profile_file" in row:
            problems.append(confine(row["profile_file"], base, file=file,
                                    row=f"instruments[{i}]", field="profile_file",
                                    allow_outside=allow_outside)[1])
    refused = [p for p in problems if p is not None]
    if refused:
        raise InputError(refused, title=f"{len(refused)} file path(s) refused in {file}")


def file_digest(path: str | None) -> str | None:
    """SHA-256 of a file an inventory or a programme names (a shipped bundle path such as
    ``programmes/<name>/policy.toml`` is looked up in package ``carbon_core_programmes``);
    None when it cannot be found.

    Parameters
    ----------
    path : str or None
        The path as recorded (relative to the working directory, or ``programmes/...``).

    Returns
    -------
    str or None
        The hex digest of the first candidate that is a readable file; None for an empty
        ``path`` or when none is (no error is raised).
    """
    import hashlib
    from importlib import resources

    if not path:
        return None
    candidates: list = [Path(path)]
    if str(path).startswith("programmes/"):
        try:
            candidates.append(resources.files("carbon_core_programmes").joinpath(
                *str(path).removeprefix("programmes/").split("/")))
        except ModuleNotFoundError:
            pass
    for c in candidates:
        try:
            if c.is_file():
                return hashlib.sha256(c.read_bytes()).hexdigest()
        except OSError:
            continue
    return None
