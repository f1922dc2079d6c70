"""``carbon serve``: pages and a JSON API over the register and the engine.

One FastAPI application. Every page and API call that changes the register goes through
:meth:`RegisterService.act`, which asks the register's single authorization function and appends
the event with the account that did it; the pages add nothing the CLI forbids. Uploads are
computed in the background (:mod:`carbon_core.web.jobs`) with progress the page polls.

Pages are Chinese first with English beside; they are plain HTML with one small script (progress
polling), no external asset of any kind.
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from starlette.datastructures import UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from jinja2 import Environment, select_autoescape

from ..errors import CarbonCoreError
from .config import WebConfig
from .jobs import RESULTS_NAME, SCORE_NAME, VERIFICATION_NAME, JobRunner
from .security import BodyLimit, SecurityHeaders, csrf_ok
from .service import RegisterService
from .store import Account, WebStore
from .uploads import Upload, UploadError, UploadStore

__all__ = ["create_app"]

COOKIE = "carbon_session"


class _Templates:
    def __init__(self) -> None:
        root = resources.files("carbon_core.web") / "templates"
        self.env = Environment(autoescape=select_autoescape(["html"]), loader=None)
        self._root = root
        self._cache: dict[str, Any] = {}

    def render(self, name: str, **ctx) -> str:
        if name not in self._cache:
            self._cache[name] = self.env.from_string((self._root / name).read_text("utf-8"))
        base = self._cache.setdefault("_base", self.env.from_string(
            (self._root / "base.html").read_text("utf-8")))
        body = self._cache[name].render(**ctx)
        return base.render(body=body, **ctx)


class _Auth:
    """The request's account (cookie session or bearer token) and its CSRF token."""

    def __init__(self, account: Account | None, csrf: str | None, via: str | None):
        self.account = account
        self.csrf = csrf
        self.via = via


class _User(_Auth):
    """A logged-in request: its account is known (``login_required`` gives only these)."""

    account: Account

    def __init__(self, account: Account, csrf: str | None, via: str | None):
        super().__init__(account, csrf, via)


def create_app(config: WebConfig | None = None) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    config : WebConfig, optional
        Database URL, data folder, limits, clock.

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.store``, ``.uploads``, ``.jobs``, ``.service`` for tests and tools.
    """
    config = config or WebConfig()
    engine = sa.create_engine(config.database_url, future=True,
                              **({"connect_args": {"check_same_thread": False, "timeout": 30}}
                                 if config.database_url.startswith("sqlite") else
                                 {"pool_pre_ping": True}))
    from argon2 import PasswordHasher

    store = WebStore(engine, session_ttl=config.session_ttl,
                     hasher=PasswordHasher(memory_cost=config.argon2_memory_kib,
                                           time_cost=config.argon2_time_cost))
    uploads = UploadStore(config.data_dir, config.limits)
    trusted = _trusted_keys(config.trusted_keys)
    runner = JobRunner(store, workers=config.workers, trusted=trusted,
                       bundle_limits=config.bundle_limits)
    service = RegisterService(engine, programme=config.programme, clock=config.clock,
                              uploads=uploads)
    templates = _Templates()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        close()

    app = FastAPI(title="carbon_core register 零碳示范工厂管理平台",
                  version=_version(), docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.store, app.state.uploads, app.state.jobs, app.state.service = (
        store, uploads, runner, service)
    app.state.config = config

    def close() -> None:
        """Stop the job threads and release every database connection."""
        runner.shutdown()
        service.register.close()
        engine.dispose()

    app.state.close = close
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=config.limits.max_total_bytes + 2**20)

    # -- identity -----------------------------------------------------------------------------

    def auth(request: Request) -> _Auth:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            found = store.session(header[7:].strip(), kind="bearer")
            if found is None:
                raise HTTPException(401, "invalid or expired token")
            return _Auth(found[0], None, "bearer")
        found = store.session(request.cookies.get(COOKIE), kind="cookie")
        if found is None:
            return _Auth(None, None, None)
        return _Auth(found[0], found[1], "cookie")

    def login_required(request: Request, a: _Auth = Depends(auth)) -> _User:
        if a.account is None:
            if request.url.path.startswith("/api/"):
                raise HTTPException(401, "login required")
            raise _Redirect("/login?next=" + request.url.path)
        return _User(a.account, a.csrf, a.via)

    async def csrf_checked(request: Request, a: _User = Depends(login_required)) -> _User:
        """Every state-changing request from a browser carries the session's CSRF token."""
        if a.via == "bearer":  # no ambient credential: a token is not sent by a foreign page
            return a
        given = request.headers.get("x-csrf-token")
        if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            given = form.get("csrf_token")  # type: ignore[assignment]
        if not csrf_ok(a.csrf, given):
            await request.close()  # a parsed form's spooled files are closed at once
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
        return a

    def page(request: Request, name: str, a: _Auth, status: int = 200, **ctx) -> HTMLResponse:
        html = templates.render(name, account=a.account, csrf=a.csrf, path=request.url.path,
                                programme=service.programme_meta(), **ctx)
        return HTMLResponse(html, status_code=status)

    # -- errors: one clear page or JSON message, never a traceback ----------------------------

    @app.exception_handler(_Redirect)
    async def _redirect(request: Request, exc: _Redirect):
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(CarbonCoreError)
    async def _refused(request: Request, exc: CarbonCoreError):
        status = getattr(exc, "status", None) or (403 if isinstance(exc, PermissionError)
                                                  else 400)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": type(exc).__name__, "message": str(exc)},
                                status_code=status)
        a = auth(request)
        return page(request, "error.html", a, status=status, title="请求被拒绝 Request refused",
                    message=str(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "HTTPError", "message": exc.detail},
                                status_code=exc.status_code)
        try:
            a = auth(request)
        except HTTPException:
            a = _Auth(None, None, None)
        return page(request, "error.html", a, status=exc.status_code,
                    title=f"{exc.status_code}", message=str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        msg = f"internal error ({type(exc).__name__}); nothing was changed"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "InternalError", "message": msg}, status_code=500)
        return PlainTextResponse(msg, status_code=500)

    # -- public pages -------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, summary="Public home: notices, list, revocations")
    def home(request: Request, a: _Auth = Depends(auth)):
        return page(request, "public.html", a, public=service.public())

    @app.get("/api/public", summary="Public notices, the published list, revocations, progress")
    def api_public():
        return service.public()

    @app.get("/api/public/{kind}.{fmt}", summary="A public document: notice, list or "
             "revocations, as JSON or self-contained HTML")
    def api_export(kind: str, fmt: str):
        if kind not in ("notice", "list", "revocations") or fmt not in ("json", "html"):
            raise HTTPException(404, "expected /api/public/{notice|list|revocations}.{json|html}")
        text = service.register.export(kind, fmt)
        kind_ = "application/json" if fmt == "json" else "text/html"
        return PlainTextResponse(text, media_type=f"{kind_}; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        if name not in ("app.js", "app.css"):
            raise HTTPException(404, "not found")
        text = (resources.files("carbon_core.web") / "static" / name).read_text("utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return PlainTextResponse(text, media_type=f"{kind}; charset=utf-8")

    # -- login --------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/", a: _Auth = Depends(auth)):
        return page(request, "login.html", a, next=_safe_next(next))

    @app.post("/login", include_in_schema=False)
    def login(username: str = Form(...), password: str = Form(...), next: str = Form("/")):
        acc = store.authenticate(username, password)
        if acc is None:
            raise HTTPException(401, "用户名或密码错误 wrong username or password")
        token, _ = store.open_session(acc, kind="cookie")
        target = _safe_next(next) if next != "/" else f"/{acc.role}"
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                        secure=config.secure_cookies,
                        max_age=int(config.session_ttl.total_seconds()))
        return resp

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, a: _User = Depends(csrf_checked)):
        store.close_session(request.cookies.get(COOKIE))
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.post("/api/login", summary="A bearer token for programs (expires like a session)")
    def api_login(body: dict):
        acc = store.authenticate(str(body.get("username", "")), str(body.get("password", "")))
        if acc is None:
            raise HTTPException(401, "wrong username or password")
        token, _ = store.open_session(acc, kind="bearer")
        return {"token": token, "role": acc.role, "scope": acc.scope,
                "expires_in_s": int(config.session_ttl.total_seconds())}

    # -- work pages by role -------------------------------------------------------------------

    @app.get("/enterprise", response_class=HTMLResponse, include_in_schema=False)
    def enterprise_page(request: Request, a: _User = Depends(login_required)):
        _role(a, "enterprise")
        return page(request, "enterprise.html", a, jobs=store.jobs_of(a.account.username),
                    work=service.enterprise_view(a.account))

    @app.get("/district", response_class=HTMLResponse, include_in_schema=False)
    def district_page(request: Request, a: _User = Depends(login_required)):
        _role(a, "district")
        return page(request, "district.html", a, work=service.district_view(a.account))

    @app.get("/city", response_class=HTMLResponse, include_in_schema=False)
    def city_page(request: Request, a: _User = Depends(login_required)):
        _role(a, "city")
        return page(request, "city.html", a, work=service.city_view(a.account))

    @app.get("/expert", response_class=HTMLResponse, include_in_schema=False)
    def expert_page(request: Request, a: _User = Depends(login_required)):
        _role(a, "expert")
        return page(request, "expert.html", a, work=service.expert_view(a.account))

    # -- uploads and computation --------------------------------------------------------------

    async def _save(request: Request, a: _User) -> str:
        if a.account.role != "enterprise":
            # refused before the body is read; a form the CSRF check of a cookie session has
            # parsed already is closed with the request, so no spooled upload file stays open
            await request.close()
            _role(a, "enterprise")
        form = await request.form(max_files=config.limits.max_files + 1, max_fields=50)
        try:
            files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
            up = uploads.save((f.filename or "", f.file) for f in files)
        finally:
            await form.close()
        return runner.submit(a.account.username, up, programme=config.programme)

    @app.post("/enterprise/upload", include_in_schema=False)
    async def upload_page(request: Request, a: _User = Depends(csrf_checked)):
        job = await _save(request, a)
        return RedirectResponse(f"/jobs/{job}", status_code=303)

    @app.post("/api/uploads", summary="Upload an inventory and its meter files (or a bundle)")
    async def api_upload(request: Request, a: _User = Depends(csrf_checked)):
        job = await _save(request, a)
        return {"job": job}

    def _job_of(job_id: str, a: _User) -> dict:
        job = store.job(job_id)
        if job is None or job["username"] != a.account.username:
            raise HTTPException(404, "no such job")
        return job

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(request: Request, job_id: str, a: _User = Depends(login_required)):
        job = _job_of(job_id, a)
        verdict = uploads.root / "uploads" / str(job["upload"]) / VERIFICATION_NAME
        return page(request, "job.html", a, job=job, has_verdict=verdict.is_file())

    @app.get("/api/jobs/{job_id}", summary="A background computation's progress")
    def api_job(job_id: str, a: _User = Depends(login_required)):
        return _job_of(job_id, a)

    def _upload_of(upload_id: str, a: _User) -> Upload:
        service.check_upload_access(a.account, upload_id)
        return uploads.get(upload_id)

    @app.get("/uploads/{upload_id}", response_class=HTMLResponse, include_in_schema=False)
    def results_page(request: Request, upload_id: str, a: _User = Depends(login_required)):
        up = _upload_of(upload_id, a)
        results, score = _read(up.folder / RESULTS_NAME), _read(up.folder / SCORE_NAME)
        return page(request, "results.html", a, upload=up, results=results, score=score,
                    verification=_read(up.folder / VERIFICATION_NAME))

    @app.get("/api/uploads/{upload_id}/results", summary="Results JSON (carbon schema results)")
    def api_results(upload_id: str, a: _User = Depends(login_required)):
        return _read(_upload_of(upload_id, a).folder / RESULTS_NAME, required=True)

    @app.get("/api/uploads/{upload_id}/score", summary="Score JSON (carbon schema score)")
    def api_score(upload_id: str, a: _User = Depends(login_required)):
        return _read(_upload_of(upload_id, a).folder / SCORE_NAME, required=True)

    @app.get("/api/uploads/{upload_id}/verification",
             summary="An uploaded bundle's verdict (the fields of carbon verify --json)")
    def api_verification(upload_id: str, a: _User = Depends(login_required)):
        up = _upload_of(upload_id, a)
        if up.bundle is None:
            raise HTTPException(404, "this upload is not a verifier bundle")
        return _read(up.folder / VERIFICATION_NAME, required=True)

    @app.get("/uploads/{upload_id}/report", response_class=HTMLResponse, include_in_schema=False)
    def report_page(upload_id: str, a: _User = Depends(login_required)):
        up = _upload_of(upload_id, a)
        return HTMLResponse(service.report_html(up))

    # -- register actions: one dispatch for pages and API -------------------------------------

    @app.post("/act/{action}", include_in_schema=False)
    async def act_page(request: Request, action: str, a: _User = Depends(csrf_checked)):
        form = await request.form()
        params = {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
        await form.close()  # a file part has no place in a command: never kept open
        service.act(a.account, action, params)
        return RedirectResponse(request.headers.get("referer") or f"/{a.account.role}",
                                status_code=303)

    @app.post("/api/register/{action}", summary="Do one register step (same rules as the CLI)")
    async def api_act(action: str, body: dict, a: _User = Depends(csrf_checked)):
        return service.act(a.account, action, {k: v for k, v in body.items()})

    @app.get("/api/register/status/{credit_code}", summary="An enterprise's state and history")
    def api_status(credit_code: str, a: _User = Depends(login_required)):
        return service.status(a.account, credit_code)

    @app.get("/api/register/queue", summary="The work waiting for this account's role")
    def api_queue(a: _User = Depends(login_required)):
        return service.queue(a.account)

    _with_shipped_schemas(app)
    return app


def _with_shipped_schemas(app: FastAPI) -> None:
    """Put the JSON Schemas the CLI ships (``carbon schema results|score``) into the OpenAPI
    description, as the response bodies of the results and score calls."""
    from fastapi.openapi.utils import get_openapi

    from ..results import load_schema

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, routes=app.routes,
                           description="The register and engine of carbon_core over HTTP: the "
                           "same commands and rules as the `carbon` CLI.")
        comps = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, path in (("results", "/api/uploads/{upload_id}/results"),
                           ("score", "/api/uploads/{upload_id}/score")):
            schema = load_schema(name)
            schema.pop("$schema", None)
            comps[f"carbon_{name}"] = schema
            spec["paths"][path]["get"]["responses"]["200"]["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/carbon_{name}"}}}
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


class _Redirect(Exception):
    def __init__(self, location: str):
        self.location = location


def _safe_next(target: str) -> str:
    """Only same-site paths as a post-login target (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _role(a: _Auth, role: str) -> None:
    if a.account is None or a.account.role != role:
        raise HTTPException(403, f"this page is for {role} accounts")


def _read(path: Path, *, required: bool = False) -> dict | None:
    if not path.is_file():
        if required:
            raise HTTPException(404, "not computed (yet)")
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _trusted_keys(paths) -> tuple:
    """The trusted public keys, loaded once at start-up (a bad key file stops the server with
    its name, not the first upload)."""
    if not paths:
        return ()
    from ..verify.signing import load_public_key

    return tuple(load_public_key(p) for p in paths)


def _version() -> str:
    from .._version import __version__

    return __version__
