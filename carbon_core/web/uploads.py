"""Uploaded files: size-limited, stored under their content hash, never executed.

An upload is a set of files (an inventory TOML and its meter files, or one verifier bundle). Each
file is streamed to disk with a hard byte limit, named by its SHA-256 in ``blobs/``, and linked by
its plain base name into a fresh workspace folder ``uploads/<id>/``. Names are checked before any
byte is written: no folder part, no ``..``, no control character, an allowed extension only. The
inventory is then read by the same confined readers as the CLI, so a reference to a file outside
the workspace is refused there too.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable

from ..errors import CarbonCoreError

__all__ = ["UploadError", "UploadLimits", "Upload", "UploadStore", "check_name",
           "ALLOWED_SUFFIXES", "BUNDLE_SUFFIXES"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
#: A verifier bundle is a ZIP archive (carbon_core.verify.archive): ``carbon bundle`` names it
#: ``NAME.bundle``; the same file renamed ``NAME.zip`` is accepted as one too.
BUNDLE_SUFFIXES = (".bundle", ".zip")
ALLOWED_SUFFIXES = (".toml", ".csv", ".parquet", ".json") + BUNDLE_SUFFIXES


class UploadError(CarbonCoreError, ValueError):
    """An upload refused: too large, a bad file name, or not the expected kind of file.

    Parameters
    ----------
    message : str
    status : int
        The HTTP status the pages and the API answer with (400, 404 or 413).
    """

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """Limits on one upload.

    Attributes
    ----------
    max_file_bytes : int
        Largest single file [bytes] (default 200 MiB: a year of 15-minute data for a few hundred
        meters in Parquet is far below it).
    max_total_bytes : int
        Largest upload in all [bytes].
    max_files : int
        Most files in one upload.
    """

    max_file_bytes: int = 200 * 2**20
    max_total_bytes: int = 400 * 2**20
    max_files: int = 64


@dataclass
class Upload:
    """A stored upload.

    Attributes
    ----------
    id : str
        24 hex digits.
    folder : Path
        Its workspace folder ``uploads/<id>/`` (results and a bundle's inputs are written
        beside the files, under ``_``-prefixed names).
    files : dict of str -> str
        Each uploaded file's name and SHA-256.
    """

    id: str
    folder: Path
    files: dict[str, str] = field(default_factory=dict)

    @property
    def inventory(self) -> Path | None:
        """The upload's inventory file (the one ``.toml`` in it), if any."""
        tomls = [n for n in self.files if n.endswith(".toml")]
        return self.folder / tomls[0] if len(tomls) == 1 else None

    @property
    def bundle(self) -> Path | None:
        """The upload's verifier bundle (its one ``.bundle`` or ``.zip`` file), if any."""
        b = [n for n in self.files if n.lower().endswith(BUNDLE_SUFFIXES)]
        return self.folder / b[0] if len(b) == 1 else None


def check_name(name: str) -> str:
    """A safe base name, or :class:`UploadError` saying why not.

    Parameters
    ----------
    name : str
        The file name the client sent.

    Returns
    -------
    str
        ``name`` itself when it is a plain base name (letters, digits, ``.``, ``_``, ``-``; at
        most 100 characters) with an allowed extension.

    Raises
    ------
    UploadError
        A folder part, ``..``, a control or other character, or another extension.

    Examples
    --------
    >>> check_name("meters.parquet")
    'meters.parquet'
    >>> check_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    carbon_core.web.uploads.UploadError: file name '../etc/passwd' refused: ...
    """
    reason = None
    if not name or name != os.path.basename(name) or "\\" in name or name in (".", ".."):
        reason = "a plain file name without folders is expected"
    elif not _NAME_RE.match(name):
        reason = "letters, digits, '.', '_' and '-' only, at most 100 characters"
    elif not name.lower().endswith(ALLOWED_SUFFIXES):
        reason = f"one of the extensions {list(ALLOWED_SUFFIXES)} is expected"
    if reason:
        raise UploadError(f"file name {name!r} refused: {reason}")
    return name


class UploadStore:
    """Content-addressed storage of uploads under one root folder.

    Parameters
    ----------
    root : path
        Created if missing; ``blobs/`` and ``uploads/`` live inside.
    limits : UploadLimits
    """

    def __init__(self, root: str | Path, limits: UploadLimits = UploadLimits()):
        self.root = Path(root).resolve()
        self.limits = limits
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        (self.root / "uploads").mkdir(parents=True, exist_ok=True)

    def save(self, files: Iterable[tuple[str, BinaryIO]]) -> Upload:
        """Store files; everything or nothing.

        Parameters
        ----------
        files : iterable of (str, binary stream)
            Each file's name (checked by :func:`check_name`) and a readable stream, read in
            1 MiB chunks up to the limits.

        Returns
        -------
        Upload
            With a fresh id; each file stored read-only under its SHA-256 in ``blobs/`` and
            copied into the upload's folder by its name.

        Raises
        ------
        UploadError
            A bad name (400), a duplicate name, too many files, or a size limit passed (413).
            Nothing is kept of a refused upload.
        """
        files = list(files)
        if not files:
            raise UploadError("no file was uploaded")
        if len(files) > self.limits.max_files:
            raise UploadError(f"{len(files)} files uploaded; at most {self.limits.max_files} "
                              "are accepted", status=413)
        names = [check_name(n) for n, _ in files]
        if len(set(names)) != len(names):
            raise UploadError("two uploaded files have the same name")
        up = Upload(id=secrets.token_hex(12), folder=self.root / "uploads" / "")
        up.folder = self.root / "uploads" / up.id
        up.folder.mkdir()
        total = 0
        written: list[Path] = []
        try:
            for name, stream in zip(names, (s for _, s in files)):
                tmp = self.root / "blobs" / f".part-{secrets.token_hex(8)}"
                written.append(tmp)
                digest = hashlib.sha256()
                size = 0
                with open(tmp, "wb") as out:
                    while chunk := stream.read(1 << 20):
                        size += len(chunk)
                        total += len(chunk)
                        if size > self.limits.max_file_bytes:
                            raise UploadError(f"{name}: larger than the limit of "
                                              f"{self.limits.max_file_bytes:,} bytes", status=413)
                        if total > self.limits.max_total_bytes:
                            raise UploadError(f"upload larger than the limit of "
                                              f"{self.limits.max_total_bytes:,} bytes", status=413)
                        digest.update(chunk)
                        out.write(chunk)
                sha = digest.hexdigest()
                blob = self.root / "blobs" / sha
                if blob.exists():
                    tmp.unlink()
                else:
                    os.replace(tmp, blob)
                written.remove(tmp)
                os.chmod(blob, 0o444)  # read-only, never executable
                shutil.copyfile(blob, up.folder / name)
                up.files[name] = sha
        except BaseException:
            for p in written:
                p.unlink(missing_ok=True)
            shutil.rmtree(up.folder, ignore_errors=True)
            raise
        return up

    def get(self, upload_id: str) -> Upload:
        """A stored upload by id, its files hashed again from the upload's folder.

        Parameters
        ----------
        upload_id : str
            24 hex digits.

        Returns
        -------
        Upload
            Its plain files (not the ``_``-prefixed results, nor the ``_bundle/`` folder).

        Raises
        ------
        UploadError
            Unknown or malformed id (never a path outside the store).
        """
        if not re.fullmatch(r"[0-9a-f]{24}", upload_id or ""):
            raise UploadError("unknown upload", status=404)
        folder = self.root / "uploads" / upload_id
        if not folder.is_dir():
            raise UploadError("unknown upload", status=404)
        up = Upload(id=upload_id, folder=folder)
        for p in sorted(folder.iterdir()):
            if p.is_file() and not p.is_symlink() and not p.name.startswith("_"):
                up.files[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
        return up
