"""Verifier bundles for the web tests: a good one of the qualifying example, and hostile ones.

The good bundle is written by the verify package itself (:func:`carbon_core.verify.make_bundle`,
as ``carbon bundle`` does); the hostile ones are built the way an attacker would: by hand with
``zipfile`` (names, links, bombs, lying headers), or by editing a member of the good bundle and
either leaving the manifest alone (tampering) or recomputing it (:func:`rebundle`: a consistent
bundle whose content the engine then refuses or does not reproduce).
"""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

from qualified import example_files


def make_good_bundle(folder: Path) -> Path:
    """``qualified.bundle``: the qualifying example factory, written by ``make_bundle``."""
    from carbon_core.verify import make_bundle

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in example_files():
        (folder / name).write_bytes(data)
    out = folder / "qualified.bundle"
    make_bundle(folder / "inventory.toml", out)
    return out


def members_of(bundle: Path) -> dict[str, bytes]:
    from carbon_core.verify.archive import read_archive

    return read_archive(bundle)


def rebundle(members: dict[str, bytes], out: Path, *, sign_key=None,
             roles: dict[str, str] | None = None) -> Path:
    """Write ``members`` as a bundle whose manifest (hashes, root) matches them again, optionally
    signed with ``sign_key`` (an Ed25519 private key object); ``roles`` lists added members."""
    from carbon_core.verify.archive import write_archive
    from carbon_core.verify.bundle import build_manifest
    from carbon_core.verify.signing import sign_root

    man = json.loads(members["manifest.json"])
    roles = {m["path"]: m["role"] for m in man["members"]} | (roles or {})
    members = {k: v for k, v in members.items() if k != "signature.json"}
    manifest = build_manifest({p: (members[p], roles[p]) for p in roles}, man["header"])
    members["manifest.json"] = json.dumps(manifest).encode()
    if sign_key is not None:
        members["signature.json"] = json.dumps(sign_root(sign_key, manifest["root"])).encode()
    write_archive(out, members)
    return out


def raw_zip(out: Path, entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP of ``entries`` (``(name, bytes)`` or a ready :class:`zipfile.ZipInfo` with bytes),
    names kept exactly as given (zipfile's own clean-up bypassed, as an attacker would)."""
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
                continue
            info = zipfile.ZipInfo("placeholder")
            info.filename = name
            info.compress_type = compression
            zf.writestr(info, data)
    return out.read_bytes()


def hostile_bundles(good: Path, folder: Path) -> dict[str, tuple[bytes, str, bool]]:
    """``case -> (bundle bytes, words the error must contain, verdict written?)``.

    The last flag says whether a verdict is written: the archive is read and checked (a changed
    member, a number that does not reproduce). An archive refused outright, or a bundled input
    the engine refuses during the recomputation, leaves none.
    """
    folder.mkdir(parents=True, exist_ok=True)
    good_members = members_of(good)
    inv_name = json.loads(good_members["manifest.json"])["header"]["inventory"]
    meter_name = next(m["path"] for m in json.loads(good_members["manifest.json"])["members"]
                      if m["role"] == "meter-data")
    cases: dict[str, tuple[bytes, str, bool]] = {}

    # a compression bomb: 20 MB of zeros in a few kB (ratio about 1000:1)
    cases["zip bomb (ratio)"] = (raw_zip(folder / "bomb.bundle",
                                         [("results/results.json", b"\0" * 20_000_000)]),
                                 "compression bomb", False)
    # a lying header declaring 4 GB for one member: refused on the declared size, nothing inflated
    raw = bytearray(raw_zip(folder / "huge.bundle", [("inventory/inventory.toml", b"x" * 1000)],
                            compression=zipfile.ZIP_STORED))
    cd = raw.rindex(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    cases["huge uncompressed size"] = (bytes(raw), "more than the limit", False)
    cases["path escape '../'"] = (raw_zip(folder / "dotdot.bundle",
                                          [("../../outside.toml", b"x = 1\n")]),
                                  "escapes the bundle", False)
    cases["absolute path"] = (raw_zip(folder / "abs.bundle", [("/etc/cron.d/evil", b"x")]),
                              "absolute path", False)
    link = zipfile.ZipInfo("inventory/meters.parquet")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    cases["symlink"] = (raw_zip(folder / "link.bundle", [(link, b"/etc/passwd")]), "symlink",
                        False)
    cases["too many entries"] = (raw_zip(folder / "many.bundle",
                                         [(f"m/{i}.txt", b"") for i in range(2_001)]),
                                 "more than the limit of 2000", False)
    cases["not a ZIP"] = (b"PK\x03\x04 this is no archive", "not a readable ZIP", False)
    cases["no manifest"] = (raw_zip(folder / "nomanifest.bundle", [("inventory/a.toml", b"")]),
                            "no manifest.json", False)

    # tampered: one member changed after the manifest was written (hash mismatch)
    tampered = dict(good_members)
    tampered[inv_name] = tampered[inv_name].replace(b"tco2e = 9200", b"tco2e = 9100", 1) \
        .replace(b"#1..9200", b"#1..9100")  # a consistent claim: 9,100 credits, 9,100 t
    assert tampered[inv_name] != good_members[inv_name]
    from carbon_core.verify.archive import write_archive

    write_archive(folder / "tampered.bundle", tampered)
    cases["tampered (hash mismatch)"] = ((folder / "tampered.bundle").read_bytes(),
                                         "changed: its SHA-256", True)
    # a consistent manifest over an edited input: the recomputation does not reproduce the
    # bundled numbers
    cases["numbers do not reproduce"] = (
        rebundle(tampered, folder / "edited.bundle").read_bytes(), "difference(s)", True)
    # consistent manifests over inputs the engine refuses, in the CLI's words
    bad_toml = dict(good_members, **{inv_name: b"[factory\nname = "})
    cases["malformed TOML inside"] = (rebundle(bad_toml, folder / "badtoml.bundle").read_bytes(),
                                      "inventory.toml", False)
    bad_pq = dict(good_members, **{meter_name: b"PAR1" + b"\0" * 100 + b"PAR1"})
    cases["malformed Parquet inside"] = (rebundle(bad_pq, folder / "badpq.bundle").read_bytes(),
                                         "meters.parquet", False)
    # a consistent manifest whose members cannot be files side by side: one name is a file and
    # the folder of another member
    clash = dict(good_members, **{meter_name + "/evil.csv": b"timestamp,meter,value\n"})
    cases["a member is a file and a folder"] = (
        rebundle(clash, folder / "clash.bundle", roles={meter_name + "/evil.csv": "meter-data"}
                 ).read_bytes(), "also the folder of another member", False)
    return cases
