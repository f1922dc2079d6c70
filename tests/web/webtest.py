"""Helpers of the web tests: a real server on 127.0.0.1: uvicorn in a thread, a clock the tests move.

Every test talks HTTP to the server (httpx, or headless Chromium through Selenium), never to
the application object, so the middleware, cookies and CSRF checks are the ones a browser meets.
The database is SQLite by default; with ``CARBON_TEST_PG_URL`` set (CI starts a local
PostgreSQL) the ``db_url`` fixture also runs each test on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "hefei-appliance"
PASSWORD = "correct horse battery"  # every test account's password (>= 10 characters)

A = "91340100MA2N0K1X3U"   # the example factory (经开区)
B = "91340100MA2N0K1X4B"   # another enterprise of 经开区
C = "91340100MA2N0K1X5C"   # an enterprise of 高新区


class Clock:
    """The register's clock: an aware datetime the test sets (China noon of a date)."""

    def __init__(self, day: dt.date):
        self.set(day)

    def set(self, day: dt.date) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, 4, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_url() -> str | None:
    return os.environ.get("CARBON_TEST_PG_URL")


def _fresh_pg_schema(url: str) -> str:
    """A new, empty schema in the test database, returned as a URL that uses it."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    eng = sa.create_engine(url)
    with eng.begin() as con:
        con.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    eng.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}"


BACKENDS = ["sqlite"] + (["postgresql"] if _pg_url() or os.environ.get("CI") else [])


class Server:
    """A running server: its base URL, app, clock and helpers to log in."""

    def __init__(self, app, url: str, clock: Clock):
        self.app, self.url, self.clock = app, url, clock
        self._clients: list[httpx.Client] = []

    def close(self) -> None:
        for c in self._clients:
            c.close()

    def account(self, username: str, role: str, scope: str = "", name: str = "") -> str:
        self.app.state.store.add_account(username, PASSWORD, role, scope, name or username)
        return username

    def client(self, username: str | None = None) -> httpx.Client:
        """An httpx client, logged in (cookie session) when a username is given."""
        c = httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)
        self._clients.append(c)
        if username:
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 303, r.text
        return c

    def csrf(self, client: httpx.Client) -> str:
        """The CSRF token of a logged-in client's session (read from its workbench page)."""
        import re

        page = client.get("/")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert m, "no CSRF token on the page"
        return m.group(1)

    def token(self, username: str) -> str:
        r = httpx.post(self.url + "/api/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def wait_job(self, client: httpx.Client, job: str, timeout: float = 120) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            j = client.get(f"/api/jobs/{job}").json()
            if j["status"] in ("done", "failed"):
                return j
            time.sleep(0.2)
        raise AssertionError(f"job {job} did not finish in {timeout} s")


def start_server(tmp_path: Path, db_url: str, clock: Clock, **config):
    import uvicorn

    from carbon_core.web import WebConfig, create_app

    app = create_app(WebConfig(database_url=db_url, data_dir=tmp_path / "web-data",
                               clock=clock, argon2_memory_kib=8192,
                               argon2_time_cost=1, **config))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "server did not start"
    return Server(app, f"http://127.0.0.1:{port}", clock), server, thread


