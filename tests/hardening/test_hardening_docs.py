"""The docs are true: every fenced TOML block parses, every credit code in them is valid, and
the commands and options this issue added are documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from carbon_core.io.inventory import check_credit_code

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md", ROOT / "factors" / "README.md"]
BLOCKS = [(p, i, m.group(1)) for p in DOCS
          for i, m in enumerate(re.finditer(r"```toml\n(.*?)```", p.read_text(encoding="utf-8"),
                                            re.S))]


@pytest.mark.parametrize("path, index, text", BLOCKS,
                         ids=[f"{p.name}#{i}" for p, i, _ in BLOCKS])
def test_fenced_toml_parses(path, index, text):
    tomllib.loads(text)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_credit_codes_in_docs_are_valid(path):
    codes = set(re.findall(r"\b[0-9A-Z]{2}\d{6}[0-9A-Z]{10}\b", path.read_text(encoding="utf-8")))
    bad = {c: check_credit_code(c) for c in codes if check_credit_code(c)}
    assert not bad, bad


def test_new_commands_and_options_documented():
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    for needle in ("carbon units", "--allow-outside-paths", "CARBON_LEDGER", "exit code"):
        assert needle in text, needle
