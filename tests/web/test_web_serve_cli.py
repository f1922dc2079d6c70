"""`carbon serve --demo` as the README runs it: a fresh folder, one command, a working site."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx

from webtest import _free_port


def test_carbon_serve_demo_starts_on_loopback_and_logs_in(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "carbon_core.cli", "serve", "--demo", "--port", str(port),
         "--data", str(tmp_path / "site")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, cwd=tmp_path)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("carbon serve: http://127.0.0.1"):
                break
        text = "".join(lines)
        m = re.search(r"enterprise\s+factory\s+(\S+)", text)
        assert m, text
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert r.status_code == 200 and "零碳示范工厂" in r.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            r = c.post("/login", data={"username": "factory", "password": m.group(1)})
            assert r.status_code == 303
            assert "企业工作台" in c.get("/enterprise").text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_carbon_serve_passes_trusted_keys_to_the_app(tmp_path, monkeypatch):
    """`--trusted KEY.pub` reaches the web configuration: uploaded bundles must then be signed."""
    import uvicorn
    from click.testing import CliRunner

    from carbon_core.cli import main

    from carbon_core.verify.signing import new_keypair

    _, key = new_keypair(tmp_path / "verifier")
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    r = CliRunner().invoke(main, ["serve", "--data", str(tmp_path / "site"), "--port", "8123",
                                  "--trusted", str(key)])
    assert r.exit_code == 0, r.output
    assert tuple(started["app"].state.config.trusted_keys) == (key,)
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    started["app"].state.close()
    missing = CliRunner().invoke(main, ["serve", "--trusted", str(tmp_path / "none.pub")])
    assert missing.exit_code == 2 and "none.pub" in missing.output
