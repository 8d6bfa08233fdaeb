"""The dashboard: pages served by shopfloor itself, no JavaScript build step."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to ``app``."""
    from shopfloor.web.pages import router

    app.include_router(router)
