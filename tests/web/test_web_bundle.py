"""Verifier bundles uploaded through the web: verified as ``carbon verify`` does, then computed.

A good bundle (written by ``carbon bundle``'s own function) is verified, computed and scored by
the register's programme in the background; its verdict is on the results page and in the JSON
API, and a submission records the bundle's root hash. Every hostile bundle (bombs, path
escapes, links, too many members, an oversized upload, malformed TOML or Parquet inside, a
tampered member, numbers that do not reproduce) fails with a clear message on the job page and
in the JSON API, and changes nothing: no register event, no audit row, no results, nothing
stored outside the upload store. Each test talks HTTP to a real server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
import sqlalchemy as sa

from webtest import A, Clock, start_server

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _upload(client, files, csrf):
    return client.post("/enterprise/upload", data={"csrf_token": csrf},
                       files=[("files", (name, data)) for name, data in files])


def _job_id(r) -> str:
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def _audit_rows(server) -> int:
    from carbon_core.web.service import audit

    with server.app.state.store.engine.connect() as con:
        return con.execute(sa.select(sa.func.count()).select_from(audit)).scalar()


def _only_the_upload_store(server) -> None:
    """Nothing outside the upload store (blobs/ and uploads/) was written."""
    root = server.app.state.uploads.root
    assert sorted(p.name for p in root.iterdir()) == ["blobs", "uploads"]
    assert not [p for p in (root / "blobs").iterdir() if p.name.startswith(".part-")]


def test_a_verified_bundle_is_computed_scored_and_shows_its_verdict(server, good_bundle):
    from carbon_core.verify import verify_bundle

    server.account("f", "enterprise", A)
    c = server.client("f")
    csrf = server.csrf(c)
    head = server.app.state.service.register.store.head()
    job = _job_id(_upload(c, [(good_bundle.name, good_bundle.read_bytes())], csrf))
    j = server.wait_job(c, job)
    assert j["status"] == "done", j
    upload = j["upload"]
    # the verdict, as carbon verify gives it for the same file
    expected = verify_bundle(good_bundle)
    v = c.get(f"/api/uploads/{upload}/verification").json()
    assert v["ok"] is True and v["integrity"] == [] and v["differences"] == []
    assert v["root"] == expected.root and v["fields_compared"] == expected.compared
    assert v["bundle"] == good_bundle.name  # no server path in the verdict
    # field for field what `carbon verify --json` prints for the same file
    from click.testing import CliRunner

    from carbon_core.cli.verify import verify as verify_command

    out = CliRunner().invoke(verify_command, [str(good_bundle), "--json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.output)
    assert {k: x for k, x in v.items() if k not in ("bundle", "register")} == \
        {k: x for k, x in cli.items() if k not in ("bundle", "against")}
    assert v["register"]["programme"] and v["register"]["fields_compared"] > 100
    # computed and scored by the register like an inventory upload
    results = c.get(f"/api/uploads/{upload}/results").json()
    score = c.get(f"/api/uploads/{upload}/score").json()
    assert results["factory"]["credit_code"] == A
    assert score["eligible"] is True and 0 < score["total_score"] <= 100
    page = c.get(f"/uploads/{upload}")
    assert page.status_code == 200
    assert 'id="verdict" class="ok">核查通过 VERIFIED' in page.text
    assert expected.root in page.text and "total-score" in page.text
    assert c.get(f"/uploads/{upload}/report").status_code == 200
    # computing records nothing in the register
    assert server.app.state.service.register.store.head() == head and _audit_rows(server) == 0

    # a submission of the verified bundle records its root hash and its verdict
    reg = server.app.state.service.register
    day = dt.date(2025, 1, 6)
    reg.apply(f"enterprise:{A}", name="合肥示例空调制造有限公司", district="经开区", on=day)
    reg.approve("district:经开区", A, on=day)
    r = c.post("/act/submit", data={"csrf_token": csrf, "upload": upload})
    assert r.status_code == 303, r.text
    ev = [e for e in reg.history(f"enterprise:{A}", A) if e["action"] == "submit"]
    assert len(ev) == 1 and ev[0]["payload"]["bundle_root"] == expected.root, ev
    assert "verification" in ev[0]["documents"] and good_bundle.name in ev[0]["documents"]


@SQLITE_ONLY
def test_the_json_api_takes_a_bundle_with_a_bearer_token(server, good_bundle):
    """Also named ``.zip`` (the same archive): it is verified as a bundle."""
    server.account("f", "enterprise", A)
    h = {"authorization": f"Bearer {server.token('f')}"}
    r = httpx.post(server.url + "/api/uploads", headers=h, timeout=60,
                   files=[("files", ("qualified.zip", good_bundle.read_bytes()))])
    assert r.status_code == 200, r.text
    c = httpx.Client(base_url=server.url, headers=h, timeout=60)
    try:
        j = server.wait_job(c, r.json()["job"])
        assert j["status"] == "done", j
        v = c.get(f"/api/uploads/{j['upload']}/verification").json()
        assert v["ok"] is True and v["bundle"] == "qualified.zip"
        # an inventory upload has no verdict: the call says so instead of inventing one
        from qualified import example_files

        r = httpx.post(server.url + "/api/uploads", headers=h, timeout=60,
                       files=[("files", f) for f in example_files()])
        j2 = server.wait_job(c, r.json()["job"])
        assert j2["status"] == "done", j2
        r = c.get(f"/api/uploads/{j2['upload']}/verification")
        assert r.status_code == 404 and "not a verifier bundle" in r.json()["message"]
    finally:
        c.close()


def test_hostile_bundles_fail_clearly_and_change_nothing(server, hostile_bundles):
    server.account("f", "enterprise", A)
    c = server.client("f")
    csrf = server.csrf(c)
    reg = server.app.state.service.register
    head = reg.store.head()
    for case, (data, words, has_verdict) in hostile_bundles.items():
        job = _job_id(_upload(c, [("upload.bundle", data)], csrf))
        j = server.wait_job(c, job)
        assert j["status"] == "failed", (case, j)
        err = j["error"] or ""
        assert words in err, (case, err)
        assert "Traceback" not in err and "internal error" not in err, (case, err)
        assert server.app.state.uploads.root.as_posix() not in err, (case, err)
        # the job page is a clear error page
        page = c.get(f"/jobs/{job}")
        assert page.status_code == 200
        assert re.search(r'<p id="job-failed" class="error" >', page.text), case
        assert words.split("'")[0][:12] in page.text, case
        # nothing computed, nothing taken out of the archive; a verdict only where it is read
        folder = server.app.state.uploads.root / "uploads" / j["upload"]
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.startswith("_"))
        assert leftovers == (["_verification.json"] if has_verdict else []), (case, leftovers)
        r = c.get(f"/api/uploads/{j['upload']}/results")
        assert r.status_code == 404 and r.json()["error"] == "HTTPError", case
        r = c.get(f"/api/uploads/{j['upload']}/verification")
        if has_verdict:
            assert r.status_code == 200 and r.json()["ok"] is False, case
        else:
            assert r.status_code == 404, case
        # and it cannot be submitted
        r = c.post("/act/submit", data={"csrf_token": csrf, "upload": j["upload"]})
        assert r.status_code == 400 and "no computed results" in r.text, case
    assert reg.store.head() == head
    assert _audit_rows(server) == 0
    _only_the_upload_store(server)


@SQLITE_ONLY
def test_a_tampered_bundle_shows_the_verdict_and_the_member_that_changed(server,
                                                                       hostile_bundles):
    server.account("f", "enterprise", A)
    c = server.client("f")
    data = hostile_bundles["tampered (hash mismatch)"][0]
    j = server.wait_job(c, _job_id(_upload(c, [("t.bundle", data)], server.csrf(c))))
    assert j["status"] == "failed" and "核查未通过 NOT VERIFIED" in j["error"]
    assert "member 'inventory/inventory.toml' changed" in j["error"]
    assert "nothing was computed or recorded" in j["error"]
    page = c.get(f"/uploads/{j['upload']}").text
    assert 'id="verdict" class="bad">核查未通过 NOT VERIFIED' in page
    assert "inventory/inventory.toml" in page and "尚未计算完成 Not computed yet" in page
    assert 'id="job-verdict" ' in c.get(f"/jobs/{j['id']}").text
    # the edited-and-remanifested bundle: the recomputation names the numbers that moved
    data = hostile_bundles["numbers do not reproduce"][0]
    j = server.wait_job(c, _job_id(_upload(c, [("e.bundle", data)], server.csrf(c))))
    assert j["status"] == "failed" and "line item | field | bundled | recomputed" in j["error"]
    v = c.get(f"/api/uploads/{j['upload']}/verification").json()
    assert v["ok"] is False and v["integrity"] == [] and v["differences"]
    assert any(d["field"].startswith(("balance", "net")) or "offset" in d["field"]
               for d in v["differences"]), v["differences"][:5]


@SQLITE_ONLY
def test_a_bundle_is_uploaded_alone(server, good_bundle):
    from qualified import example_files

    server.account("f", "enterprise", A)
    c = server.client("f")
    files = [(good_bundle.name, good_bundle.read_bytes()), example_files()[0]]
    j = server.wait_job(c, _job_id(_upload(c, files, server.csrf(c))))
    assert j["status"] == "failed" and "uploaded alone" in j["error"]


@SQLITE_ONLY
def test_an_oversized_bundle_upload_is_refused_before_it_is_stored(server, good_bundle):
    from carbon_core.web.uploads import UploadLimits

    size = good_bundle.stat().st_size
    server.app.state.uploads.limits = UploadLimits(max_file_bytes=size - 1,
                                                   max_total_bytes=4 * size, max_files=3)
    server.account("f", "enterprise", A)
    c = server.client("f")
    r = _upload(c, [(good_bundle.name, good_bundle.read_bytes())], server.csrf(c))
    assert r.status_code == 413 and "larger than the limit" in r.text
    assert 'id="error-message"' in r.text
    root = server.app.state.uploads.root
    assert not list((root / "uploads").iterdir()) and not list((root / "blobs").iterdir())
    assert server.app.state.store.jobs_of("f") == []


@SQLITE_ONLY
def test_the_archive_limits_are_the_verify_packages_and_configurable(tmp_path, db_url,
                                                                     good_bundle):
    """One implementation: the server reads bundles with carbon_core.verify's Limits; a
    deployment may tighten them (here: fewer members than the example bundle has)."""
    from carbon_core.verify import Limits
    from carbon_core.verify.archive import DEFAULT_LIMITS
    from carbon_core.web import WebConfig

    assert WebConfig().bundle_limits is DEFAULT_LIMITS
    srv, uv, thread = start_server(tmp_path, db_url, Clock(dt.date(2025, 1, 6)),
                                   bundle_limits=Limits(max_members=10))
    try:
        srv.account("f", "enterprise", A)
        c = srv.client("f")
        j = srv.wait_job(c, _job_id(_upload(c, [(good_bundle.name, good_bundle.read_bytes())],
                                            srv.csrf(c))))
        assert j["status"] == "failed" and "more than the limit of 10" in j["error"], j
    finally:
        srv.close()
        uv.should_exit = True
        thread.join(timeout=10)
        srv.app.state.close()


@SQLITE_ONLY
def test_with_trusted_keys_only_a_bundle_signed_by_one_verifies(tmp_path, db_url, good_bundle):
    from bundles import members_of, rebundle
    from carbon_core.verify import new_keypair
    from carbon_core.verify.signing import load_private_key

    priv, pub = new_keypair(tmp_path / "verifier")
    other, _ = new_keypair(tmp_path / "stranger")
    signed = rebundle(members_of(good_bundle), tmp_path / "signed.bundle",
                      sign_key=load_private_key(priv))
    strange = rebundle(members_of(good_bundle), tmp_path / "strange.bundle",
                       sign_key=load_private_key(other))
    srv, uv, thread = start_server(tmp_path, db_url, Clock(dt.date(2025, 1, 6)),
                                   trusted_keys=(pub,))
    try:
        srv.account("f", "enterprise", A)
        c = srv.client("f")
        csrf = srv.csrf(c)
        outcomes = {}
        for name, path in (("unsigned", good_bundle), ("stranger", strange), ("signed", signed)):
            j = srv.wait_job(c, _job_id(_upload(c, [(path.name, path.read_bytes())], csrf)))
            outcomes[name] = j
        assert outcomes["unsigned"]["status"] == "failed"
        assert "not signed, but trusted keys were given" in outcomes["unsigned"]["error"]
        assert outcomes["stranger"]["status"] == "failed"
        assert "signature:" in outcomes["stranger"]["error"]
        assert outcomes["signed"]["status"] == "done", outcomes["signed"]
        v = c.get(f"/api/uploads/{outcomes['signed']['upload']}/verification").json()
        assert v["ok"] and v["signature"].startswith("signed by trusted key")
        assert json.loads(json.dumps(v))["signature_ok"] is True
    finally:
        srv.close()
        uv.should_exit = True
        thread.join(timeout=10)
        srv.app.state.close()
