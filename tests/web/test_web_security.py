"""The web layer as an attacker tries it: sessions, CSRF, redirects, uploads, headers.

Each test talks HTTP to a real server on 127.0.0.1 (see conftest.py).
"""

from __future__ import annotations

import io
import re

import httpx
import pytest

from webtest import A, EXAMPLE, PASSWORD

#: The store-level checks (sessions, CSRF, hostile inputs) run on both databases; checks of the
#: HTTP layer alone run once.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _upload(client, files, csrf):
    return client.post("/enterprise/upload", data={"csrf_token": csrf}, files=[
        ("files", (name, data)) for name, data in files])


@SQLITE_ONLY
def test_login_sets_a_safe_cookie_and_wrong_password_is_refused(server):
    server.account("f", "enterprise", A)
    c = server.client()
    r = c.post("/login", data={"username": "f", "password": "wrong password!"})
    assert r.status_code == 401 and "错误" in r.text
    r = c.post("/login", data={"username": "nobody", "password": PASSWORD})
    assert r.status_code == 401
    r = c.post("/login", data={"username": "f", "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_passwords_are_stored_as_argon2_hashes_never_in_clear(server):
    import sqlalchemy as sa

    from carbon_core.web.store import accounts

    server.account("f", "enterprise", A)
    with server.app.state.store.engine.connect() as con:
        stored = con.execute(sa.select(accounts.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@SQLITE_ONLY
def test_short_passwords_and_unscoped_accounts_are_refused(server):
    from carbon_core.web.store import AccountError

    store = server.app.state.store
    with pytest.raises(AccountError, match="too short"):
        store.add_account("x", "short", "city")
    with pytest.raises(AccountError, match="scope"):
        store.add_account("y", PASSWORD, "district")
    with pytest.raises(AccountError, match="unknown role"):
        store.add_account("z", PASSWORD, "admin")


def test_every_form_needs_the_sessions_csrf_token(server):
    server.account("f", "enterprise", A)
    c = server.client("f")
    data = {"name": "企业", "district": "经开区"}
    assert c.post("/act/apply", data=data).status_code == 403
    assert c.post("/act/apply", data={**data, "csrf_token": "forged"}).status_code == 403
    # another session's token is not this session's
    other = server.client("f")
    assert c.post("/act/apply", data={**data, "csrf_token": server.csrf(other)}).status_code == 403
    r = c.post("/act/apply", data={**data, "csrf_token": server.csrf(c)})
    assert r.status_code == 303
    # the JSON API with a cookie needs the header; with a bearer token it needs none
    assert c.post("/api/register/approve", json={}).status_code == 403
    tok = server.token("f")
    r = httpx.get(server.url + "/api/register/queue", headers={"authorization": f"Bearer {tok}"})
    assert r.status_code == 200


def test_logout_and_expiry_end_the_session(server):
    server.account("f", "enterprise", A)
    c = server.client("f")
    assert c.get("/enterprise").status_code == 200
    server.app.state.store.expire_all()
    r = c.get("/enterprise")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    c = server.client("f")
    assert c.post("/logout", data={"csrf_token": server.csrf(c)}).status_code == 303
    assert c.get("/enterprise").status_code == 303
    tok = server.token("f")
    server.app.state.store.expire_all()
    assert httpx.get(server.url + "/api/register/queue",
                     headers={"authorization": f"Bearer {tok}"}).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil",
                                    "javascript:alert(1)"])
@SQLITE_ONLY
def test_no_open_redirect_after_login(server, target):
    server.account("f", "enterprise", A)
    c = server.client()
    r = c.post("/login", data={"username": "f", "password": PASSWORD, "next": target})
    assert r.status_code == 303 and r.headers["location"] in ("/", "/enterprise")


@SQLITE_ONLY
def test_security_headers_on_every_response(server):
    r = httpx.get(server.url + "/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    # no page names an external asset
    assert not re.search(r'(src|href)="(https?:)?//', r.text)


@pytest.mark.parametrize("name", ["../inventory.toml", "a/b.toml", "..", "evil.exe", ".toml",
                                  "x" * 120 + ".toml", "in ventory.toml"])
@SQLITE_ONLY
def test_upload_names_with_paths_or_wrong_kinds_are_refused(server, name):
    server.account("f", "enterprise", A)
    c = server.client("f")
    r = _upload(c, [(name, b"schema = 1\n")], server.csrf(c))
    assert r.status_code == 400 and "refused" in r.text
    assert not list((server.app.state.uploads.root / "uploads").iterdir())


@SQLITE_ONLY
def test_too_large_upload_is_refused_and_nothing_is_kept(server):
    from carbon_core.web.uploads import UploadLimits

    server.app.state.uploads.limits = UploadLimits(max_file_bytes=1000, max_total_bytes=5000,
                                                   max_files=3)
    server.account("f", "enterprise", A)
    c = server.client("f")
    csrf = server.csrf(c)
    r = _upload(c, [("inventory.toml", b"x" * 2000)], csrf)
    assert r.status_code == 413 and "limit" in r.text
    r = _upload(c, [(f"m{i}.csv", b"x") for i in range(5)], csrf)
    assert r.status_code == 413
    root = server.app.state.uploads.root
    assert not list((root / "uploads").iterdir())
    assert not [p for p in (root / "blobs").iterdir()]


@SQLITE_ONLY
def test_a_body_over_the_server_limit_is_cut_off(tmp_path, db_url):
    import datetime as dt

    from carbon_core.web.uploads import UploadLimits
    from webtest import Clock, start_server

    server, uv, thread = start_server(tmp_path, db_url, Clock(dt.date(2025, 1, 6)),
                                      limits=UploadLimits(max_file_bytes=2**20,
                                                          max_total_bytes=2 * 2**20))
    try:
        _body_limit(server)
    finally:
        server.close()
        uv.should_exit = True
        thread.join(timeout=10)
        server.app.state.close()


def _body_limit(server):
    server.account("f", "enterprise", A)
    c = server.client("f")
    limit = server.app.state.config.limits.max_total_bytes + 2**20
    # a declared length over the limit is refused before any byte is read (raw socket: an
    # HTTP client would not send a length it cannot back with a body)
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(server.url)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(f"POST /enterprise/upload HTTP/1.1\r\nHost: {u.netloc}\r\n"
                  f"Content-Type: multipart/form-data; boundary=x\r\n"
                  f"Content-Length: {limit + 1}\r\nConnection: close\r\n\r\n".encode())
        reply = s.recv(200).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply

    def chunks():  # a well-formed file part with no Content-Length: counted as it streams
        yield (b'--x\r\nContent-Disposition: form-data; name="files"; filename="m.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\n")
        for _ in range(limit // 2**20 + 2):
            yield b"a" * 2**20
        yield b"\r\n--x--\r\n"
    r = c.post("/enterprise/upload", content=chunks(),
               headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413
    assert not list((server.app.state.uploads.root / "uploads").iterdir())


def test_hostile_inventories_fail_with_a_clear_message_and_change_nothing(server):
    server.account("f", "enterprise", A)
    c = server.client("f")
    csrf = server.csrf(c)
    before = server.app.state.service.register.store.head()
    cases = {
        "malformed TOML": [("inventory.toml", b"[factory\nname = ")],
        "path escape": [("inventory.toml",
                         (EXAMPLE / "inventory.toml").read_bytes().replace(
                             b'"meters.parquet"', b'"../../../../etc/passwd"'))],
        "absolute path": [("inventory.toml",
                           (EXAMPLE / "inventory.toml").read_bytes().replace(
                               b'"meters.parquet"', b'"/etc/passwd"'))],
        "garbage parquet": [("inventory.toml", (EXAMPLE / "inventory.toml").read_bytes()),
                            ("meters.parquet", b"PAR1" + b"\x00" * 100 + b"PAR1")],
    }
    for what, files in cases.items():
        r = _upload(c, files, csrf)
        assert r.status_code == 303, (what, r.text)
        job = server.wait_job(c, r.headers["location"].rsplit("/", 1)[1])
        assert job["status"] == "failed", what
        assert job["error"] and "Traceback" not in job["error"], what
        assert "internal error" not in job["error"], (what, job["error"])
    assert server.app.state.service.register.store.head() == before


@SQLITE_ONLY
def test_one_account_cannot_see_anothers_upload_or_job(server):
    server.account("f", "enterprise", A)
    server.account("g", "enterprise", "91340100MA2N0K1X4B")
    fc, gc = server.client("f"), server.client("g")
    r = _upload(fc, [("inventory.toml", (EXAMPLE / "inventory.toml").read_bytes()),
                     ("meters.parquet", (EXAMPLE / "meters.parquet").read_bytes())],
                server.csrf(fc))
    job = r.headers["location"].rsplit("/", 1)[1]
    j = server.wait_job(fc, job)
    assert j["status"] == "done", j
    assert gc.get(f"/api/jobs/{job}").status_code == 404
    assert gc.get(f"/uploads/{j['upload']}").status_code == 404
    assert gc.get(f"/api/uploads/{j['upload']}/results").status_code == 404
    assert fc.get(f"/api/uploads/{j['upload']}/results").json()["factory"]["credit_code"] == A
    # ids are checked for their form: no path reaches the store
    assert fc.get("/uploads/..%2F..%2Fetc").status_code == 404


@SQLITE_ONLY
def test_file_parts_of_refused_or_command_forms_are_not_left_open(server):
    """A multipart form with a file, sent with a forged CSRF token or to a register command
    (which takes no file), is refused or ignored, and its spooled file is closed (the suite
    turns an unclosed file into an error)."""
    server.account("f", "enterprise", A)
    c = server.client("f")
    big = ("m.csv", b"x" * (2 * 2**20))  # past Starlette's in-memory spool: a real file
    r = c.post("/enterprise/upload", data={"csrf_token": "forged"}, files=[("files", big)])
    assert r.status_code == 403
    r = c.post("/act/apply", data={"csrf_token": server.csrf(c), "name": "企业",
                                   "district": "经开区"}, files=[("files", big)])
    assert r.status_code == 303
    assert not list((server.app.state.uploads.root / "uploads").iterdir())
    import gc

    gc.collect()
