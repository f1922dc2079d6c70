"""The web layer's guards: body-size limit, security headers, CSRF tokens.

Authorization (who may do which register step) is *not* here: it is the register's one function
(:func:`carbon_core.register.permissions.allowed`), which the pages and the API ask exactly as
the CLI does. This module only keeps requests well-formed and cookies safe.
"""

from __future__ import annotations

import secrets

__all__ = ["BodyLimit", "SecurityHeaders", "csrf_ok", "CSP"]

#: Everything from this server; inline styles for the report's charts; no script from anywhere
#: else, no frames, no form posts to other origins.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
       "object-src 'none'")


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a session's CSRF token with the one a form or header sent.

    Parameters
    ----------
    expected : str or None
        The session's token.
    given : str or None
        The form field's or ``X-CSRF-Token`` header's value.

    Returns
    -------
    bool
        True only when both are present and equal.
    """
    return bool(expected) and bool(given) and secrets.compare_digest(str(expected), str(given))


class BodyLimit:
    """ASGI middleware: refuse a request body larger than ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body sent
    without one (chunked) is counted as it streams and cut off at the limit.

    Parameters
    ----------
    app : ASGI application
    max_bytes : int
        Largest request body [bytes].
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await _plain(send, 400, "bad Content-Length")
                if declared > self.max_bytes:
                    return await _plain(send, 413, f"request larger than the limit of "
                                                   f"{self.max_bytes:,} bytes")
        seen = 0
        too_big = False

        async def counted():
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _plain(send, 413, f"request larger than the limit of {self.max_bytes:,} bytes")


class _TooLarge(Exception):
    pass


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """ASGI middleware adding CSP, no-sniff, no-frame and no-referrer headers to every response.

    Parameters
    ----------
    app : ASGI application
    """

    HEADERS = [(b"content-security-policy", CSP.encode()),
               (b"x-content-type-options", b"nosniff"),
               (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"no-referrer"),
               (b"cache-control", b"no-store")]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)
