"""Bundles of the example: they verify, every changed byte is named, the installed library is
never read, and signatures from untrusted keys fail."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import carbon_core
from carbon_core.cli import main
from carbon_core.factors import FactorLibrary
from carbon_core.verify import (BundleError, make_bundle, new_keypair, verify_bundle)
from carbon_core.verify.archive import read_archive, write_archive
from carbon_core.verify.bundle import canonical_text

from verify_helpers import EXAMPLE, factor_edition


def _members(path: Path) -> dict[str, bytes]:
    return read_archive(path)


def _revised_diesel(path: Path) -> Path:
    """A newer confirmed edition that moves the example's diesel line (NCV 45.0 GJ/t)."""
    return factor_edition(path, source_id="test-revised-fuel-defaults",
                          title="a revised fuel table (test)", published="2026-11-30",
                          key="fuel.diesel.ncv", value=45.0, unit="GJ/t")


def _manifest(path: Path) -> dict:
    return json.loads(_members(path)["manifest.json"])


def test_example_bundle_verifies(example_bundle):
    rep = verify_bundle(example_bundle)
    assert rep.integrity == []
    assert rep.differences == [], [str(d) for d in rep.differences[:5]]
    assert rep.ok
    assert rep.compared > 1000  # every leaf of results and score, not a handful of totals
    assert rep.signature == "unsigned"
    assert rep.version_notes == []


def test_bundle_holds_every_influencing_file(example_bundle):
    man = _manifest(example_bundle)
    roles = {m["path"]: m["role"] for m in man["members"]}
    assert roles["inventory/inventory.toml"] == "inventory"
    assert roles["inventory/meters.parquet"] == "meter-data"
    assert roles["factors/core/ipcc-gwp.toml"] == "factor-file"  # the GWP table
    assert roles["factors/plugins/appliances/appliances.toml"] == "plugin-factor-file"  # plugin data (plugins/data/)
    assert roles["programme/hefei-template/indicators.toml"] == "programme"
    assert roles["programme/hefei-template/policy.toml"] == "programme"
    assert man["header"]["policy"] == "programme/hefei-template/policy.toml"
    assert {"results/results.json", "results/score.json", "environment.json"} <= set(roles)
    # every factor file the result cites is in the bundle, with the same SHA-256
    results = json.loads(_members(example_bundle)["results/results.json"])
    shas = {m["sha256"] for m in man["members"]}
    for f in results["provenance"]["factor_files"]:
        if f["id"].startswith("inventory:"):  # a factor declared in the inventory (Scope 3
            continue                          # supplier data): the inventory member holds it
        assert f["sha256"] in shas, f["id"]
    from carbon_core.results import validate_results

    validate_results(results)  # the bundle stores the engine's document as is: still schema-valid
    env = json.loads(_members(example_bundle)["environment.json"])
    assert env["engine"]["version"] == carbon_core.__version__
    assert env["plugins"]["appliances"]["version"]
    assert env["packages"]["numpy"]


def test_root_hash_is_sha256_of_the_canonical_listing(example_bundle):
    man = _manifest(example_bundle)
    text = canonical_text(man["header"], man["members"])
    assert hashlib.sha256(text.encode()).hexdigest() == man["root"]
    assert text.splitlines()[0] == "carbon_core.bundle/1"
    for m in man["members"]:  # every member's listed digest is the digest of its bytes
        assert hashlib.sha256(_members(example_bundle)[m["path"]]).hexdigest() == m["sha256"]


def test_bundle_is_deterministic(tmp_path, example_bundle):
    b = make_bundle(EXAMPLE, tmp_path / "b.bundle")
    assert b.root == _manifest(example_bundle)["root"]
    assert example_bundle.read_bytes() == (tmp_path / "b.bundle").read_bytes()


def _write_stored(dst: Path, members: dict[str, bytes]) -> None:
    """A bundle rewritten without compression (fast; readers accept both)."""
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _rewrite(src: Path, dst: Path, change, _cache={}) -> None:
    if src not in _cache:
        _cache[src] = _members(src)
    members = dict(_cache[src])
    change(members)
    _write_stored(dst, members)


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_every_single_byte_change_is_detected_and_named(example_bundle, tmp_path, position):
    names = [m["path"] for m in _manifest(example_bundle)["members"]] + ["manifest.json"]
    for name in names:
        def flip(members, name=name):
            data = bytearray(members[name])
            i = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[position]
            data[i] ^= 0x01
            members[name] = bytes(data)

        out = tmp_path / "changed.bundle"
        _rewrite(example_bundle, out, flip)
        try:
            rep = verify_bundle(out)
        except BundleError as exc:  # a manifest that no longer parses is refused outright
            assert name == "manifest.json" and "manifest.json" in str(exc)
            continue
        assert not rep.ok, name
        assert any(repr(name) in p for p in rep.integrity), (name, rep.integrity)
        assert rep.recomputed is None  # nothing is recomputed from a damaged bundle


def test_a_flipped_byte_in_the_archive_file_names_the_member(example_bundle, tmp_path):
    raw = bytearray(example_bundle.read_bytes())
    with zipfile.ZipFile(example_bundle) as zf:
        info = zf.getinfo("inventory/inventory.toml")
    # local header: 30 bytes + name + extra, then the compressed data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    out = tmp_path / "flipped.bundle"
    out.write_bytes(bytes(raw))
    with pytest.raises(BundleError, match="inventory/inventory.toml"):
        verify_bundle(out)


def test_consistent_but_wrong_results_are_reported_line_by_line(example_bundle, rebundle):
    """A bundle whose manifest was redone over edited results: the recomputation catches it."""
    members = _members(example_bundle)
    doc = json.loads(members["results/results.json"])
    target = doc["line_items"][0]
    target["emissions_tco2e"] += 1.0
    members["results/results.json"] = json.dumps(doc, ensure_ascii=False).encode()
    rep = verify_bundle(rebundle(members, "wrong.bundle"))
    assert rep.integrity == []
    assert not rep.ok
    d = [d for d in rep.differences if d.item == target["id"]]
    assert len(d) == 1 and d[0].field == "emissions_tco2e"
    assert d[0].bundled == pytest.approx(d[0].recomputed + 1.0)


def test_verifies_with_a_newer_edition_in_the_installed_library(example_bundle, monkeypatch,
                                                                  tmp_path):
    """Replace the installed library by one with an extra, newer, confirmed edition that changes
    the example's diesel line: a fresh compute moves, the bundle still reproduces."""
    extra = _revised_diesel(tmp_path / "revised.toml")
    newer = FactorLibrary.default().merged(FactorLibrary.from_files([extra]))
    monkeypatch.setattr("carbon_core.factors._DEFAULT", newer)
    assert FactorLibrary.default() is newer
    fresh = carbon_core.compute(EXAMPLE).to_dict()
    bundled = json.loads(_members(example_bundle)["results/results.json"])
    diesel = "fuel_combustion:diesel-forklifts-gensets:CO2"
    moved = {li["id"]: li["emissions_tco2e"] for li in fresh["line_items"]}[diesel]
    before = {li["id"]: li["emissions_tco2e"] for li in bundled["line_items"]}[diesel]
    assert moved != pytest.approx(before)
    rep = verify_bundle(example_bundle)
    assert rep.ok, [str(d) for d in rep.differences[:5]]


def test_signatures_trusted_untrusted_and_broken(tmp_path, example_bundle):
    a_priv, a_pub = new_keypair(tmp_path / "alice")
    b_priv, b_pub = new_keypair(tmp_path / "bob")
    assert stat.S_IMODE(os.stat(a_priv).st_mode) == 0o600
    signed = tmp_path / "signed.bundle"
    info = make_bundle(EXAMPLE, signed, sign_key=a_priv)
    assert info.signed_by
    assert verify_bundle(signed, trusted=[a_pub]).ok
    rep = verify_bundle(signed, trusted=[b_pub])
    assert not rep.ok and not rep.signature_ok and "not trusted" in rep.signature
    # without trusted keys the signature is reported but not a reason to pass or fail
    assert "not checked" in verify_bundle(signed).signature
    # a signature whose bytes were changed does not verify
    members = _members(signed)
    sig = json.loads(members["signature.json"])
    raw = bytearray(__import__("base64").b64decode(sig["signature"]))
    raw[0] ^= 1
    sig["signature"] = __import__("base64").b64encode(bytes(raw)).decode()
    members["signature.json"] = json.dumps(sig).encode()
    broken = tmp_path / "broken.bundle"
    write_archive(broken, members)
    rep = verify_bundle(broken, trusted=[a_pub])
    assert not rep.ok and "does not verify" in rep.signature
    # an unsigned bundle fails when a trusted key is required
    rep = verify_bundle(example_bundle, trusted=[a_pub])
    assert not rep.ok and "not signed" in rep.signature
    # a manifest without a root: a signature document that claims none is refused, not a crash
    from carbon_core.verify.signing import check_signature, load_public_key
    from carbon_core.verify import SignatureError

    rootless = dict(json.loads(_members(signed)["signature.json"]), root=None)
    with pytest.raises(SignatureError, match="signs root None, but the manifest's root is None"):
        check_signature(rootless, None, [load_public_key(a_pub)])


def test_keys_are_never_overwritten(tmp_path):
    new_keypair(tmp_path / "k")
    with pytest.raises(BundleError, match="exists already"):
        new_keypair(tmp_path / "k")


def test_cli_round_trip(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["keys", "new", "-o", str(tmp_path / "v")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "ex.bundle"
    r = runner.invoke(main, ["bundle", str(EXAMPLE), "-o", str(out), "--sign",
                             str(tmp_path / "v")])
    assert r.exit_code == 0, r.output
    assert "root" in r.output and "signed by key" in r.output
    r = runner.invoke(main, ["verify", str(out), "--trusted", str(tmp_path / "v.pub")])
    assert r.exit_code == 0, r.output
    assert "VERIFIED" in r.output and "reproduce" in r.output
    runner.invoke(main, ["keys", "new", "-o", str(tmp_path / "other")])
    r = runner.invoke(main, ["verify", str(out), "--trusted", str(tmp_path / "other.pub")])
    assert r.exit_code == 1 and "not trusted" in r.output
    r = runner.invoke(main, ["verify", str(out), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"] is True


def test_cli_refuses_a_hostile_bundle_without_traceback(tmp_path):
    bad = tmp_path / "evil.bundle"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../../etc/cron.d/x", b"* * * * * root sh")
    r = CliRunner().invoke(main, ["verify", str(bad)])
    assert r.exit_code == 2
    assert "escapes the bundle" in r.output and "Traceback" not in r.output


def test_bundle_refuses_data_outside_the_inventory_folder(tmp_path, example_copy):
    inv = example_copy
    outside = tmp_path.parent / f"{tmp_path.name}-meters.parquet"
    (tmp_path / "meters.parquet").rename(outside)
    text = inv.read_text(encoding="utf-8").replace('files = ["meters.parquet"]',
                                                   f'files = ["../{outside.name}"]')
    inv.write_text(text, encoding="utf-8")
    try:
        with pytest.raises(BundleError, match="outside the inventory's folder"):
            make_bundle(inv, tmp_path / "x.bundle")
    finally:
        outside.unlink()


def test_bundle_into_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(BundleError, match="does not exist"):
        make_bundle(EXAMPLE, tmp_path / "nope" / "x.bundle")


def test_verifies_with_another_installed_gwp_table(example_bundle, monkeypatch):
    """The bundled GWP table is used, not the installed one: change an installed GWP that the
    example uses (HFC-32 of AR5, refrigerant R-410A) and the bundle still reproduces."""
    from carbon_core import units

    table = {s: dict(v) for s, v in units._gwp_table().items()}
    table["AR5"]["HFC32"] = 1.0
    monkeypatch.setattr(units, "_gwp_table", lambda: table)
    fresh = carbon_core.compute(EXAMPLE)
    line = [li for li in fresh.line_items if li.id.endswith("HFC-32")][0]
    assert line.gwp == 1.0
    assert verify_bundle(example_bundle).ok


@pytest.mark.parametrize("how", ["policy_file", "shipped policy"])
def test_bundle_carries_the_policy_it_used(example_copy, tmp_path, how):
    text = example_copy.read_text(encoding="utf-8")
    if how == "policy_file":
        src = Path(carbon_core.__file__).parents[1] / "factors" / "policies" / "shanghai-2023.toml"
        (example_copy.parent / "my-policy.toml").write_bytes(src.read_bytes())
        text = text.replace('policy = "hefei-template"', 'policy_file = "my-policy.toml"')
        member, role = "inventory/my-policy.toml", "inventory-file"
    else:
        text = text.replace('policy = "hefei-template"', 'policy = "ghgp-2025-hourly"')
        member, role = "policy/ghgp-2025-hourly.toml", "policy"
    example_copy.write_text(text, encoding="utf-8")
    out = tmp_path / "p.bundle"
    make_bundle(example_copy, out)
    roles = {m["path"]: m["role"] for m in _manifest(out)["members"]}
    assert roles[member] == role
    rep = verify_bundle(out)
    assert rep.ok, [str(d) for d in rep.differences[:5]]


def test_other_installed_versions_are_reported_not_failed(example_bundle, rebundle):
    members = _members(example_bundle)
    env = json.loads(members["environment.json"])
    env["engine"]["version"] = "0.0.1"
    env["plugins"]["appliances"]["version"] = "0.0.2"
    members["environment.json"] = json.dumps(env).encode()
    out = rebundle(members, "old-engine.bundle")
    rep = verify_bundle(out)
    assert rep.ok  # the numbers reproduce; the versions are a note for the verifier
    assert f"engine version differs: bundle 0.0.1, installed {carbon_core.__version__}" in \
        rep.version_notes
    assert any(n.startswith("plugin 'appliances' version differs: bundle 0.0.2") for n in
               rep.version_notes)
    r = CliRunner().invoke(main, ["verify", str(out)])
    assert r.exit_code == 0 and "engine version differs" in r.output


def test_a_factory_without_meters_or_balance_table(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from factories import write_inventory

    inv = write_inventory(tmp_path, activities=[{
        "id": "d", "carrier": "diesel", "role": "fuel", "amount": 5.0, "unit": "t",
        "period": "2024"}])
    info = make_bundle(inv, tmp_path / "small.bundle")
    assert not any(m["role"] == "meter-data" for m in info.members)
    rep = verify_bundle(tmp_path / "small.bundle")
    assert rep.ok, [str(d) for d in rep.differences[:5]]


def test_verifies_in_a_fresh_process_whose_factor_package_is_replaced(example_bundle, tmp_path):
    """A clean environment: another process in which the installed factor package is shadowed
    by one holding an extra, newer, confirmed edition (diesel NCV) and another GWP table. A fresh
    compute there moves; ``carbon verify`` there still reproduces every number."""
    import os
    import shutil
    import subprocess
    import sys

    src = Path(carbon_core.__file__).parents[1] / "factors"
    pkg = tmp_path / "shadow" / "carbon_core_factors"
    shutil.copytree(src, pkg)
    _revised_diesel(pkg / "zz-revised-fuels.toml")
    gwp = pkg / "ipcc-gwp.toml"
    before = gwp.read_text(encoding="utf-8")
    after = re.sub(r'(key = "gwp\.AR5\.HFC-32"\nvalue = )[0-9.]+', r"\g<1>1", before)
    assert after != before
    gwp.write_text(after, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "shadow"))
    run = [sys.executable, "-c", "from carbon_core.cli import main; main()"]
    fresh = subprocess.run(run + ["compute", str(EXAMPLE), "--json"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    doc = json.loads(fresh.stdout)
    assert any(f["id"] == "test-revised-fuel-defaults" for f in doc["provenance"]["factor_files"])
    bundled = json.loads(_members(example_bundle)["results/results.json"])
    assert doc["scope1"]["total_tco2e"] != pytest.approx(bundled["scope1"]["total_tco2e"])
    checked = subprocess.run(run + ["verify", str(example_bundle)], env=env,
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "VERIFIED" in checked.stdout
