"""Paths shared by the verifier tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLE_DIR = Path(__file__).parents[2] / "examples" / "hefei-appliance"
EXAMPLE = EXAMPLE_DIR / "inventory.toml"


def example_without_scope3(folder: Path) -> Path:
    """A copy of the example whose ``[scope3]`` section is removed, for runs dated before its
    Scope 3 factor editions were published (the DESNZ 2025 set): as-of selection then rightly
    finds no UK factor, which is not what the grid-factor tests are about."""
    import shutil

    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("# -- Scope 3 (docs/scope3.md)")
    end = text.index("# -- net-zero balance (docs/balance.md)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inventory.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    shutil.copy(EXAMPLE_DIR / "meters.parquet", folder / "meters.parquet")
    return folder / "inventory.toml"


def factor_edition(path: Path, *, source_id: str, title: str, published: str, key: str,
                   value: float, unit: str) -> Path:
    """Write a one-factor edition file (``carbon_core.factors/1``, region CN, confidence C) to
    ``path``: a newer edition a test adds to the library."""
    path.write_text(f'''schema = "carbon_core.factors/1"

[source]
id = "{source_id}"
title = "{title}"
publisher = "test"
published = "{published}"

[[factor]]
key = "{key}"
value = {value!r}
unit = "{unit}"
region = "CN"
confidence = "C"
''', encoding="utf-8")
    return path
