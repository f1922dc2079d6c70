"""Configuration of ``carbon serve``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..verify.archive import DEFAULT_LIMITS, Limits
from .uploads import UploadLimits

__all__ = ["WebConfig"]


@dataclass
class WebConfig:
    """Everything a web server needs to know.

    Attributes
    ----------
    database_url : str
        SQLAlchemy URL of the register and the web tables: ``sqlite:///path/register.sqlite``
        (default) or ``postgresql+psycopg://user:pass@host/db`` for several servers.
    data_dir : Path
        Uploads (content-addressed) live under it.
    programme : str or None
        The programme bundle the register runs (default: the registry's default).
    limits : UploadLimits
        Per-file, per-upload and file-count limits.
    bundle_limits : carbon_core.verify.Limits
        Limits an uploaded verifier bundle is read with: member count, member and total
        uncompressed size [bytes], compression ratio (default: the verify package's, the same
        as ``carbon verify``).
    trusted_keys : tuple of Path
        Ed25519 public keys (``carbon keys new`` writes ``NAME.pub``); when any is given, an
        uploaded bundle must be signed by one of them, as ``carbon verify --trusted`` requires.
    session_ttl : datetime.timedelta
        Lifetime of an idle session [h].
    secure_cookies : bool
        Mark cookies ``Secure`` (set it behind HTTPS).
    workers : int
        Computation threads.
    clock : callable, optional
        Returns the current time as an aware datetime, for the register's dates (tests move
        it; default: the system clock).
    argon2_memory_kib, argon2_time_cost : int
        Argon2id cost of the password hash [KiB, passes] (RFC 9106 second recommended option
        by default; tests lower them).
    """

    database_url: str = "sqlite:///carbon-register.sqlite"
    data_dir: Path = field(default_factory=lambda: Path("carbon-web-data"))
    programme: str | None = None
    limits: UploadLimits = field(default_factory=UploadLimits)
    bundle_limits: Limits = DEFAULT_LIMITS
    trusted_keys: tuple[Path, ...] = ()
    session_ttl: dt.timedelta = dt.timedelta(hours=8)
    secure_cookies: bool = False
    workers: int = 2
    clock: Callable[[], dt.datetime] | None = None
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
