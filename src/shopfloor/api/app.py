"""The FastAPI application: the API under ``/api`` and the dashboard pages.

Every route needs a session (bearer token or cookie) except ``/api/health``,
``/api/login``, the API description (``/docs``, ``/openapi.json``) and the login page with
its stylesheet and script.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shopfloor import __version__
from shopfloor.api import (
    errors,
    routes_alarms,
    routes_data,
    routes_health,
    routes_live,
    routes_session,
)
from shopfloor.api.context import ApiContext

PUBLIC_PATHS = frozenset({"/api/health", "/api/login", "/docs", "/openapi.json", "/login"})


def create_app(ctx: ApiContext) -> FastAPI:
    """The app serving ``ctx``; the caller owns starting and stopping ``ctx``'s services."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.hub.start()
        yield
        await ctx.hub.stop()

    app = FastAPI(
        title="shopfloor",
        version=__version__,
        description="Plant data, history, states, OEE, alarms and users. Log in at "
        "/api/login, then send the token as `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = ctx
    errors.install(app)

    @app.get("/api/health", tags=["session"], summary="Liveness, without login")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for module in (routes_session, routes_data, routes_alarms, routes_health, routes_live):
        app.include_router(module.router)
    _web(app)
    return app


def _web(app: FastAPI) -> None:
    from shopfloor.web import install

    install(app)
