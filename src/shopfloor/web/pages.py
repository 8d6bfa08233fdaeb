"""Dashboard routes (placeholder until the pages land): the login page only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>shopfloor login</title>")
