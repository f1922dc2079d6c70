"""Fixtures of the web tests (helpers in webtest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from webtest import BACKENDS, Clock, _fresh_pg_schema, _pg_url, start_server


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.sqlite'}"
    url = _pg_url()
    if url is None:  # in CI PostgreSQL is required, never skipped
        pytest.fail("CARBON_TEST_PG_URL is not set: PostgreSQL tests need a local server (.ci/run starts one)")
    return _fresh_pg_schema(url)


@pytest.fixture
def server(tmp_path, db_url):
    clock = Clock(dt.date(2025, 1, 6))
    srv, uv, thread = start_server(tmp_path, db_url, clock)
    yield srv
    srv.close()
    uv.should_exit = True
    thread.join(timeout=10)
    srv.app.state.close()
