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


@pytest.fixture(scope="session")
def good_bundle(tmp_path_factory):
    """The qualifying example factory as a verifier bundle (``carbon bundle``), built once."""
    from bundles import make_good_bundle

    return make_good_bundle(tmp_path_factory.mktemp("good-bundle"))


@pytest.fixture(scope="session")
def hostile_bundles(good_bundle, tmp_path_factory):
    """``case -> (bytes, expected words, verdict written?)`` (see bundles.py), built once."""
    from bundles import hostile_bundles as build

    return build(good_bundle, tmp_path_factory.mktemp("hostile-bundles"))
