"""The demo accounts of ``carbon serve --demo`` are data of the programme bundle (``[files] demo``).

The shipped demo must fit the example it walks through (the enterprise bound to the example
inventory's credit code, the district one of the procedure's), a bad demo file is refused with
every problem named, and a bundle without one uses the default programme's.
"""

from __future__ import annotations

import shutil
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from carbon_core.errors import InputError
from carbon_core.programmes import DEFAULT_PROGRAMME, get_programme, load_programme
from carbon_core.web.demo import load_demo, seed_demo

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_demo_fits_the_example_and_the_procedure():
    from carbon_core.register.procedure import load_procedure

    demo = load_demo()
    assert demo.file == f"programmes/{DEFAULT_PROGRAMME}/demo.toml"
    inv = tomllib.loads((ROOT / demo.example / "inventory.toml").read_text(encoding="utf-8"))
    assert (ROOT / demo.example / "meters.parquet").is_file()
    roles = {a.role: a for a in demo.accounts}
    assert set(roles) == {"enterprise", "district", "city", "expert"}
    assert roles["enterprise"].scope == inv["factory"]["credit_code"]
    assert inv["factory"]["district"].startswith(roles["district"].scope)
    load_procedure().district(roles["district"].scope)   # raises for a district it does not know
    assert [a.username for a in demo.accounts] == ["factory", "jingkai", "city", "expert1"]


def test_a_bundle_without_a_demo_uses_the_default_programmes():
    assert not get_programme("cn-miit-2026-template").has("demo")
    assert load_demo("cn-miit-2026-template") == load_demo()


def test_no_demo_anywhere_is_an_error_naming_the_bundle(tmp_path, monkeypatch):
    import carbon_core.programmes as programmes

    bare = _bundle(tmp_path, None)
    assert not bare.has("demo")
    monkeypatch.setattr(programmes, "get_programme", lambda name=None, **_: bare)
    with pytest.raises(InputError) as info:
        load_demo()
    (p,) = info.value.problems
    assert p.field == "files.demo" and "no demo accounts" in p.message


def _bundle(tmp_path: Path, demo_text: str | None) -> object:
    src = resources.files("carbon_core_programmes") / DEFAULT_PROGRAMME
    folder = tmp_path / "bundle"
    shutil.copytree(str(src), folder)
    if demo_text is None:
        (folder / "demo.toml").unlink()
        index = folder / "programme.toml"
        text = index.read_text(encoding="utf-8")
        index.write_text("\n".join(line for line in text.splitlines()
                                   if not line.startswith("demo =")) + "\n", encoding="utf-8")
    else:
        (folder / "demo.toml").write_text(demo_text, encoding="utf-8")
    return load_programme(folder)


def test_a_bad_demo_file_is_refused_with_every_problem(tmp_path):
    prog = _bundle(tmp_path, 'schema = "carbon_core.demo/1"\nexamples = "x"\n'
                             '[[accounts]]\nusername = "a"\nrole = "enterprise"\nname = "A"\n'
                             '[[accounts]]\nusername = "a"\nrole = "expert"\nname = "B"\n'
                             '[[accounts]]\nusername = "m"\nrole = "mayor"\nname = "M"\n')
    with pytest.raises(InputError) as info:
        load_demo(prog)
    found = {(p.field, p.message.split(";")[0]) for p in info.value.problems}
    fields = {f for f, _ in found}
    assert "examples" in fields                                # unknown key
    assert "role" in fields                                    # unknown role
    assert ("scope", "no scope for the enterprise account") in found
    assert ("username", "a username given twice") in found
    assert all(p.file.endswith("demo.toml") for p in info.value.problems)


def test_a_demo_file_that_is_not_toml_is_refused(tmp_path):
    prog = _bundle(tmp_path, "schema = \n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_demo(prog)


def test_seeding_creates_the_accounts_once(tmp_path):
    from carbon_core.web import WebConfig, create_app

    app = create_app(WebConfig(database_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
                               data_dir=tmp_path / "data", argon2_memory_kib=8192,
                               argon2_time_cost=1))
    try:
        lines = seed_demo(app, passwords={"factory": "factory-password-1"})
        assert "upload examples/" in lines[0] and "inventory.toml" in lines[0]
        assert any(line.split() == ["enterprise", "factory", "factory-password-1"]
                   for line in lines)
        store = app.state.store
        acc = store.account("factory")
        assert (acc.role, acc.scope) == ("enterprise", load_demo().accounts[0].scope)
        assert store.account("expert1").role == "expert"
        assert seed_demo(app) == ["demo: accounts exist already; nothing seeded"]
    finally:
        app.state.close()
