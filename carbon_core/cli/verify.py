"""Click commands for verifiers: ``carbon bundle``, ``carbon verify``, ``carbon keys``, ``carbon diff``.

``carbon bundle INVENTORY -o NAME.bundle [--sign KEY] [--as-of DATE] [--results RESULTS.json]``
computes and scores the inventory and writes the bundle (:func:`carbon_core.verify.make_bundle`);
with ``--results`` it bundles a result already computed from the inventory instead of computing
again.

``carbon verify NAME.bundle [--trusted KEY.pub ...] [--rtol R] [--atol A] [--against NEW.json]``
checks the bundle and recomputes it from its own files; exit status 0 only when everything
reproduces (and, with ``--trusted``, a trusted key signed it), 1 when something does not, 2 on
an error. ``--against`` then explains how a newer result differs from the bundled one.

``carbon keys new -o NAME`` writes an Ed25519 key pair (``NAME`` mode 0600, ``NAME.pub``).

``carbon diff OLD.json NEW.json`` explains the difference between two results of one factory and
year by cause (inputs, factor editions, engine) with the line items that moved.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

from ..errors import CarbonCoreError

__all__ = ["bundle", "verify", "keys", "diff", "COMMANDS"]

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


@contextmanager
def _errors():
    try:
        yield
    except (CarbonCoreError, FileNotFoundError, PermissionError) as exc:
        _err.print("[bold red]error:[/] ", end="")
        _err.print(str(exc), markup=False, highlight=False)
        sys.exit(2)


@click.command("bundle")
@click.argument("inventory", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The bundle file to write (NAME.bundle).")
@click.option("--sign", "sign_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Sign with this Ed25519 private key (carbon keys new).")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Use factor editions published by this day only (default: today).")
@click.option("--no-plugins", is_flag=True, help="Do not load sector plugins.")
@click.option("--results", "results_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Bundle this results JSON of INVENTORY (carbon compute --json) instead of "
                   "computing again; refused unless its credit code, year, inventory and "
                   "meter-data SHA-256 and engine version match.")
def bundle(inventory: Path, output: Path, sign_key: Path | None, as_of: str | None,
           no_plugins: bool, results_file: Path | None) -> None:
    """Write a verifier bundle of INVENTORY: inputs, factor files, results, manifest."""
    from ..verify import make_bundle

    with _errors():
        info = make_bundle(inventory, output, sign_key=sign_key, as_of=as_of,
                           plugins=not no_plugins, results=results_file)
    _out.print(f"bundle written to {info.path}: {len(info.members)} members, root "
               f"{info.root}", highlight=False)
    if info.signed_by:
        _out.print(f"signed by key {info.signed_by}", highlight=False)


@click.command("verify")
@click.argument("bundle_file", metavar="BUNDLE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trusted", multiple=True, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="A trusted Ed25519 public key (NAME.pub); repeatable. The bundle must then "
                   "be signed by one of them.")
@click.option("--rtol", "--tolerance", "rtol", type=float, default=1e-9, show_default=True,
              help="Relative tolerance of a recomputed number.")
@click.option("--atol", type=float, default=1e-9, show_default=True,
              help="Absolute tolerance, in the unit of the field (tCO2e for emissions).")
@click.option("--against", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A newer results JSON: explain how it differs from the bundle's.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(bundle_file: Path, trusted: tuple[Path, ...], rtol: float, atol: float,
           against: Path | None, as_json: bool) -> None:
    """Check BUNDLE and recompute every number from the bundle alone."""
    from ..verify import Tolerance, explain_difference, verify_bundle
    from ..verify.restate import load_results

    if rtol < 0 or atol < 0:
        _err.print("[bold red]error:[/] tolerances must be >= 0")
        sys.exit(2)
    tol = Tolerance(rtol=rtol, atol=atol)
    with _errors():
        rep = verify_bundle(bundle_file, trusted=trusted, tolerance=tol)
        restated = None
        if against is not None and rep.bundled is not None:
            restated = explain_difference(rep.bundled, load_results(against), tolerance=tol)
    if as_json:
        click.echo(json.dumps({
            "bundle": str(rep.path), "root": rep.root, "ok": rep.ok, "integrity": rep.integrity,
            "signature": rep.signature, "signature_ok": rep.signature_ok,
            "tolerance": {"rtol": tol.rtol, "atol": tol.atol}, "as_of": rep.as_of,
            "fields_compared": rep.compared, "version_notes": rep.version_notes,
            "differences": [d.__dict__ for d in rep.differences],
            "against": restated.to_dict() if restated else None}, ensure_ascii=False, indent=2,
            default=str))
    else:
        _print_report(rep, tol)
        if restated is not None:
            _out.print(f"\nagainst {against}:")
            _print_restatement(restated)
    sys.exit(0 if rep.ok else 1)


def _print_report(rep, tol) -> None:
    _out.print(f"bundle {rep.path}  root {rep.root}", highlight=False)
    _out.print(f"signature: {rep.signature}", highlight=False)
    for p in rep.integrity:
        _out.print(f"[red]integrity:[/] {p}", highlight=False)
    for note in rep.version_notes:
        _out.print(f"[yellow]note:[/] {note}", highlight=False)
    if rep.recomputed is None:
        _out.print("[red]not recomputed: the bundle is not intact[/]")
        return
    _out.print(f"recomputed from the bundle's own files (as-of {rep.as_of}); tolerance {tol}",
               highlight=False)
    if rep.differences:
        _out.print(f"[red]{len(rep.differences)} difference(s)[/] of {rep.compared} fields "
                   "(line item | field | bundled | recomputed):")
        for d in rep.differences:
            _out.print(f"  {d.document}: {d.item} | {d.field} | {d.bundled!r} | "
                       f"{d.recomputed!r}", highlight=False, markup=False)
    else:
        _out.print(f"all {rep.compared} fields reproduce")
    _out.print("[green]VERIFIED[/]" if rep.ok else "[red]NOT VERIFIED[/]")


def _print_restatement(r) -> None:
    if r.unchanged:
        _out.print("no difference: same inputs, factor editions, engine and numbers")
        return
    for title, rows in (("changed inputs", r.inputs), ("changed factor editions",
                        r.factor_editions), ("changed factors", r.factors),
                        ("changed engine", r.engine)):
        if rows:
            _out.print(f"[bold]{title}[/]")
            for row in rows:
                _out.print(f"  - {row}", highlight=False, markup=False)
    if r.line_items:
        _out.print("[bold]line items that moved (tCO2e)[/]")
        for li in r.line_items:
            _out.print(f"  {li['id']}: {li['old_tco2e']} -> {li['new_tco2e']} "
                       f"({li['change_tco2e']:+.6g}); {', '.join(li['causes'])}",
                       highlight=False, markup=False)
    for t in r.totals:
        _out.print(f"  {t['quantity']}: {t['old']:.6f} -> {t['new']:.6f} ({t['change']:+.6f})",
                   highlight=False)


@click.group("keys")
def keys() -> None:
    """Ed25519 signing keys for bundles."""


@keys.command("new")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to write; the public key goes to OUTPUT.pub.")
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def keys_new(output: Path, force: bool) -> None:
    """Write a new key pair: OUTPUT (private, mode 0600) and OUTPUT.pub."""
    from ..verify.signing import key_id, load_public_key, new_keypair

    with _errors():
        priv, pub = new_keypair(output, overwrite=force)
        kid = key_id(load_public_key(pub))
    _out.print(f"private key {priv} (mode 0600, keep it secret), public key {pub}, key id {kid}",
               highlight=False)


@click.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rtol", type=float, default=1e-9, show_default=True)
@click.option("--atol", type=float, default=1e-9, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def diff(old: Path, new: Path, rtol: float, atol: float, as_json: bool) -> None:
    """Explain how NEW differs from OLD (two results JSON of one factory and year), by cause."""
    from ..verify import Tolerance, explain_difference
    from ..verify.restate import load_results

    with _errors():
        r = explain_difference(load_results(old), load_results(new),
                               tolerance=Tolerance(rtol=rtol, atol=atol))
    if as_json:
        click.echo(json.dumps(r.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_restatement(r)


#: The commands this module contributes to ``carbon``.
COMMANDS = (bundle, verify, keys, diff)
