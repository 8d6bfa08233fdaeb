"""Authentication for routes: a bearer token (API) or the session cookie (browser).

Every route depends on :func:`permission` except health, login and the API description.
The token travels as ``Authorization: Bearer <token>``; the browser gets the same token in
an HttpOnly, SameSite=Strict cookie at login, so page scripts never hold it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request, WebSocket

from shopfloor.api.context import ApiContext
from shopfloor.security import AuthenticationError, Permission, Principal

COOKIE = "shopfloor_session"


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def token_of(headers: dict[str, str] | object, cookies: dict[str, str]) -> str | None:
    """The bearer token from an Authorization header, else the session cookie."""
    auth = headers.get("authorization", "") if hasattr(headers, "get") else ""
    if isinstance(auth, str) and auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return cookies.get(COOKIE)


def principal(request: Request) -> Principal:
    """Who is calling; 401 when no valid session comes with the request."""
    token = token_of(request.headers, request.cookies)
    if token is None:
        raise AuthenticationError("log in first: no session token or cookie")
    return context(request).security.authenticate(token)


def permission(needed: Permission) -> Callable[..., Principal]:
    """A dependency that lets the call through only with ``needed``."""

    def check(who: Principal = Depends(principal)) -> Principal:
        who.require(needed)
        return who

    return check


def websocket_principal(ws: WebSocket) -> Principal:
    """Who opens a WebSocket: the cookie, or a ``token`` query parameter for API clients."""
    ctx: ApiContext = ws.app.state.context
    token = ws.query_params.get("token") or token_of(ws.headers, ws.cookies)
    if token is None:
        raise AuthenticationError("log in first: no session token or cookie")
    who = ctx.security.authenticate(token)
    who.require(Permission.READ)
    return who
