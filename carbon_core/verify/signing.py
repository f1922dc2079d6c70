"""Ed25519 signatures over a bundle's root hash (RFC 8032, through ``cryptography``).

A signature says: *the holder of this private key vouches for the bundle whose manifest has this
root hash*. The signed message is ``carbon_core.bundle/1 root <hex>`` (ASCII), so a signature
cannot be replayed as a signature over anything else. Keys are files:

- private key: PKCS#8 PEM, unencrypted, written with mode 0600;
- public key: SubjectPublicKeyInfo PEM (``NAME.pub``).

A key is named by its *key id*: the first 16 hex digits of the SHA-256 of the raw 32-byte public
key.

References
----------
RFC 8032, Edwards-Curve Digital Signature Algorithm (EdDSA), §5.1 (Ed25519).
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any, Iterable

from .archive import SignatureError

__all__ = ["new_keypair", "load_private_key", "load_public_key", "key_id", "sign_root",
           "check_signature", "SIGNED_PREFIX"]

SIGNED_PREFIX = b"carbon_core.bundle/1 root "


def _crypto():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return serialization, ed25519


def _raw_public(public_key) -> bytes:
    serialization, _ = _crypto()
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key) -> str:
    """First 16 hex digits of SHA-256 over the raw public key.

    Parameters
    ----------
    public_key : Ed25519PublicKey
        The key.

    Returns
    -------
    str
        The first 16 hex digits of SHA-256 over the 32 raw bytes of the key.
    """
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def new_keypair(name: str | Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair: ``NAME`` (private, mode 0600) and ``NAME.pub``.

    Parameters
    ----------
    name : str or Path
        Path of the private key file; the public key is written beside it as ``NAME.pub``.
    overwrite : bool
        Replace existing files (never by default: a key is not lost by accident).

    Returns
    -------
    tuple of Path
        ``(private key file, public key file)``, PEM.

    Raises
    ------
    SignatureError
        A file exists already (unless ``overwrite``) or the folder is missing.
    """
    serialization, ed25519 = _crypto()
    priv_path = Path(name)
    pub_path = Path(f"{priv_path}.pub")
    if not priv_path.parent.is_dir():
        raise SignatureError(f"{priv_path.parent}: folder does not exist")
    for p in (priv_path, pub_path):
        if p.exists() and not overwrite:
            raise SignatureError(f"{p} exists already; choose another name (keys are never "
                                 "overwritten silently)")
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(priv_path, flags, 0o600)
    try:
        os.write(fd, pem)
    finally:
        os.close(fd)
    os.chmod(priv_path, 0o600)  # also when the file existed with wider permissions
    pub_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv_path, pub_path


def load_private_key(path: str | Path):
    """An Ed25519 private key from a PEM file.

    Parameters
    ----------
    path : str or Path
        An unencrypted PEM file (as :func:`new_keypair` writes).

    Returns
    -------
    Ed25519PrivateKey

    Raises
    ------
    SignatureError
        Not readable, not PEM, encrypted, or not an Ed25519 key.
    """
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SignatureError(f"{path}: not an Ed25519 key (found {type(key).__name__})")
    return key


def load_public_key(path: str | Path):
    """An Ed25519 public key from a PEM file.

    Parameters
    ----------
    path : str or Path
        A PEM public key file.

    Returns
    -------
    Ed25519PublicKey

    Raises
    ------
    SignatureError
        Not readable, not PEM, or not an Ed25519 key.
    """
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SignatureError(f"{path}: not an Ed25519 public key (found {type(key).__name__})")
    return key


def sign_root(private_key, root: str) -> dict:
    """The ``signature.json`` document for a root hash.

    Parameters
    ----------
    private_key : Ed25519PrivateKey
        The signing key.
    root : str
        The manifest's root hash (hex).

    Returns
    -------
    dict
        The ``signature.json`` document: algorithm, root, key id, raw public key and signature
        (base64) and the signed message (:data:`SIGNED_PREFIX` + root).

    References
    ----------
    RFC 8032, *Edwards-Curve Digital Signature Algorithm (EdDSA)*, IETF, 2017 (Ed25519).
    """
    sig = private_key.sign(SIGNED_PREFIX + root.encode("ascii"))
    pub = private_key.public_key()
    return {"algorithm": "Ed25519", "root": root, "key_id": key_id(pub),
            "public_key": base64.b64encode(_raw_public(pub)).decode("ascii"),
            "signature": base64.b64encode(sig).decode("ascii"),
            "message": (SIGNED_PREFIX + root.encode("ascii")).decode("ascii")}


def check_signature(doc: Any, root: str | None, trusted: Iterable) -> str:
    """Check a ``signature.json`` document against the root hash and the trusted keys.

    Parameters
    ----------
    doc : dict or any
        The parsed ``signature.json``; anything but a signature document is refused.
    root : str or None
        The root hash recomputed from the manifest (``None`` when the manifest has none, which
        no signature matches).
    trusted : iterable of public keys
        Keys whose signatures are accepted.

    Returns
    -------
    str
        The key id of the trusted key that signed.

    Raises
    ------
    SignatureError
        Malformed document, signature over another root, a key not among the trusted ones, or a
        signature that does not verify.
    """
    from cryptography.exceptions import InvalidSignature

    _, ed25519 = _crypto()
    if not isinstance(doc, dict) or doc.get("algorithm") != "Ed25519":
        raise SignatureError("signature.json: not an Ed25519 signature document")
    if not isinstance(root, str) or doc.get("root") != root:
        raise SignatureError(f"signature.json signs root {doc.get('root')!r}, but the manifest's "
                             f"root is {root!r}")
    try:
        raw_pub = base64.b64decode(doc["public_key"], validate=True)
        sig = base64.b64decode(doc["signature"], validate=True)
        signer = ed25519.Ed25519PublicKey.from_public_bytes(raw_pub)
    except (KeyError, ValueError, TypeError) as exc:
        raise SignatureError(f"signature.json: malformed key or signature ({exc})") from None
    trusted = list(trusted)
    by_raw = {_raw_public(k): k for k in trusted}
    if raw_pub not in by_raw:
        have = ", ".join(key_id(k) for k in trusted) or "none"
        raise SignatureError(f"the bundle is signed by key {key_id(signer)}, which is not "
                             f"trusted (trusted keys: {have})")
    try:
        by_raw[raw_pub].verify(sig, SIGNED_PREFIX + root.encode("ascii"))
    except InvalidSignature:
        raise SignatureError(f"the signature by key {key_id(signer)} does not verify: the "
                             "bundle or its signature was changed") from None
    return key_id(signer)
