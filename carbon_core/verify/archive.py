"""The bundle container: a ZIP archive, written deterministically and read defensively.

Why ZIP and not tar: the ZIP central directory lists every member with its sizes *before* anything
is decompressed, so a reader can refuse a bundle on its member count, its declared sizes, its
compression ratio and its names without inflating a byte; each member is reached directly (no
scan through a stream); symlinks and devices are rare, visible flags rather than ordinary member
types; and the standard library writes and reads it on every platform. Bundles are uploaded to a
web server later (the register), so every rule below holds against a hostile file.

Reading refuses (:class:`BundleError`, naming the member):

- a member name that is absolute (``/x``, ``C:\\x``, ``\\\\host``), contains ``..``, a backslash, a
  NUL byte, or is not normalised (``a//b``, ``./a``);
- a symlink, a directory entry with data, or any member that is not a regular file;
- duplicate names (two members that would extract to one path), and a member whose name is
  also the folder of another member (``a`` and ``a/b``: they cannot both be files);
- more than :data:`MAX_MEMBERS` members, a member over :data:`MAX_MEMBER_BYTES`, a total over
  :data:`MAX_TOTAL_BYTES` (uncompressed), or a compression ratio over :data:`MAX_RATIO` (a bomb);
- a member whose inflated size differs from its declared size (read with a hard cap, so a lying
  header cannot inflate past the limit);
- encrypted members and anything the ``zipfile`` module cannot read.

Writing is deterministic: members sorted by name, fixed timestamps (1980-01-01), fixed
permissions, DEFLATE level 6 (Parquet members stored, being compressed already), so one input
gives one byte-identical bundle.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import CarbonCoreError

__all__ = [
    "BundleError",
    "SignatureError",
    "Limits",
    "DEFAULT_LIMITS",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_RATIO",
    "check_member_name",
    "write_archive",
    "read_archive",
]

#: Most members a bundle may hold.
MAX_MEMBERS = 2_000
#: Largest uncompressed member [bytes] (a year of 15-minute data for 1,000 meters as Parquet is
#: far below this).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
#: Largest total uncompressed size [bytes].
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: Largest compression ratio of one member (uncompressed / compressed); text compresses about
#: 5-20x, a bomb by 1000x.
MAX_RATIO = 200.0

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_SEGMENT_RE = re.compile(r"^[^\x00-\x1f/\\:*?\"<>|]+$")


class BundleError(CarbonCoreError, ValueError):
    """A bundle that cannot be written, read, or trusted; the message names the member."""


class SignatureError(BundleError):
    """A missing, malformed, untrusted or wrong signature."""


@dataclass(frozen=True)
class Limits:
    """Resource limits applied when a bundle is read.

    Attributes
    ----------
    max_members : int
        Most members a bundle may hold (default :data:`MAX_MEMBERS`).
    max_member_bytes : int
        Largest uncompressed member [bytes] (default :data:`MAX_MEMBER_BYTES`).
    max_total_bytes : int
        Largest total uncompressed size [bytes] (default :data:`MAX_TOTAL_BYTES`).
    max_ratio : float
        Largest compression ratio of one member, uncompressed / compressed [1] (default
        :data:`MAX_RATIO`): a ZIP bomb is refused before it is inflated.
    """

    max_members: int = MAX_MEMBERS
    max_member_bytes: int = MAX_MEMBER_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: float = MAX_RATIO


DEFAULT_LIMITS = Limits()


def check_member_name(name: str) -> str | None:
    """Why ``name`` is not an acceptable member name, or None when it is.

    Parameters
    ----------
    name : str
        A member name as stored in the ZIP file.

    Returns
    -------
    str or None
        Why the name is refused (empty, NUL byte, backslash, absolute or with a drive letter,
        a ``..``, ``.`` or empty segment, control or reserved characters, longer than 400
        characters), or None for a normalised relative POSIX path inside the bundle.

    Examples
    --------
    >>> check_member_name("inventory/meters.parquet") is None
    True
    >>> check_member_name("../etc/passwd")
    "a '..' segment escapes the bundle"
    """
    if not name:
        return "empty name"
    if "\x00" in name:
        return "NUL byte in the name"
    if "\\" in name:
        return "backslash in the name (Windows path)"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = name.split("/")
    if any(p == ".." for p in parts):
        return "a '..' segment escapes the bundle"
    if any(p in ("", ".") for p in parts):
        return "not a normalised path (empty or '.' segment)"
    if not all(_SEGMENT_RE.match(p) for p in parts):
        return "control or reserved characters in the name"
    if len(name) > 400:
        return "name longer than 400 characters"
    return None


def write_archive(path: str | Path, members: Mapping[str, bytes]) -> None:
    """Write ``members`` (name -> bytes) to a ZIP file, deterministically.

    Parameters
    ----------
    path : str or Path
        The ZIP file written (replaced if it exists).
    members : mapping of str to bytes
        Member name -> content. Members are written sorted, with a fixed date and permissions,
        so the same members give the same bytes.

    Raises
    ------
    BundleError
        A member name that :func:`check_member_name` refuses.
    """
    for name in members:
        why = check_member_name(name)
        if why:
            raise BundleError(f"cannot write member {name!r}: {why}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            # Parquet is compressed already: stored as is (deflating it again costs time, no bytes)
            info.compress_type = (zipfile.ZIP_STORED if name.endswith((".parquet", ".pq"))
                                  else zipfile.ZIP_DEFLATED)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.create_system = 3  # unix, so the mode bits above are read as such
            zf.writestr(info, members[name])
    Path(path).write_bytes(buf.getvalue())


def _kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode):  # no type bits: a plain file (writestr)
        if stat.S_ISLNK(mode):
            return "symlink"
        if stat.S_ISDIR(mode):
            return "directory"
        if not stat.S_ISREG(mode):
            return "special file"
    if info.is_dir():
        return "directory"
    return "file"


def read_archive(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Read every member of a bundle into memory, refusing anything hostile.

    Parameters
    ----------
    path : path
        The bundle file.
    limits : Limits
        Member count, member size, total size and compression-ratio limits.

    Returns
    -------
    dict of str -> bytes

    Raises
    ------
    BundleError
        Naming the member and the rule it breaks (see the module docstring).
    """
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"{path}: no such bundle file")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError(f"{path}: not a bundle (not a readable ZIP archive: {exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise BundleError(f"{path}: {len(infos)} members, more than the limit of "
                              f"{limits.max_members}")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            raw = info.orig_filename  # zipfile cuts a name at a NUL byte; the original is kept
            why = check_member_name(raw.rstrip("/") if info.is_dir() else raw)
            if why:
                raise BundleError(f"{path}: member {raw!r} refused: {why}")
            kind = _kind(info)
            if kind != "file":
                raise BundleError(f"{path}: member {name!r} refused: a {kind}, not a regular file")
            if name in seen:
                raise BundleError(f"{path}: member {name!r} appears twice")
            seen.add(name)
            if info.flag_bits & 0x1:
                raise BundleError(f"{path}: member {name!r} is encrypted")
            if info.file_size > limits.max_member_bytes:
                raise BundleError(f"{path}: member {name!r} declares {info.file_size} bytes, more "
                                  f"than the limit of {limits.max_member_bytes}")
            total += info.file_size
            if total > limits.max_total_bytes:
                raise BundleError(f"{path}: members total more than {limits.max_total_bytes} "
                                  f"bytes uncompressed (at member {name!r})")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1_000_000 and ratio > limits.max_ratio:
                raise BundleError(f"{path}: member {name!r} inflates {ratio:.0f}x, more than the "
                                  f"limit of {limits.max_ratio:.0f}x (a compression bomb?)")
        folders = {name.rsplit("/", i)[0] for name in seen for i in range(1, name.count("/") + 1)}
        clash = sorted(seen & folders)
        if clash:
            raise BundleError(f"{path}: member {clash[0]!r} refused: it is also the folder of "
                              "another member")
        out: dict[str, bytes] = {}
        for info in infos:
            try:
                with zf.open(info) as fh:
                    data = fh.read(info.file_size + 1)  # never more than declared, plus one
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError,
                    EOFError) as exc:
                raise BundleError(f"{path}: member {info.filename!r} cannot be read: "
                                  f"{exc}") from None
            if len(data) != info.file_size:
                raise BundleError(f"{path}: member {info.filename!r} inflates to a size other "
                                  f"than the {info.file_size} bytes it declares")
            out[info.filename] = data
    return out
