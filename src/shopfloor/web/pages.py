"""Dashboard routes: the pages, their static files, and plotly.js from the installed package.

Every page needs a session: the HttpOnly cookie that ``POST /api/login`` sets. A request
without one is redirected to ``/login``, and a user who must change their password to
``/password``. Only ``/login`` with its stylesheet, script and icon is public.

Nothing is fetched from the internet: the pages, styles and scripts come from this
package's ``static/`` folder, and plotly.js from the installed ``plotly`` package
(``plotly/package_data/plotly.min.js``), read where it lies and never copied.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from shopfloor.api.auth import context, token_of
from shopfloor.model.errors import ShopfloorError
from shopfloor.security import Principal

router = APIRouter(include_in_schema=False)

PUBLIC_ASSETS = frozenset({"login.js", "style.css", "favicon.svg"})
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Same origin only: a page that tried to load anything from the internet would fail
# visibly (and the browser tests would see the console error). Plotly sets inline styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Page:
    """One dashboard page: its title, its script module, and whether it draws charts."""

    title: str
    script: str
    charts: bool = False
    nav: str = ""


OVERVIEW = Page("Plant overview", "overview.js", nav="overview")
MACHINE = Page("Machine", "machine.js", charts=True, nav="overview")
OEE = Page("OEE", "oee.js", charts=True, nav="oee")
ALARMS = Page("Alarms", "alarms.js", nav="alarms")
PASSWORD = Page("Change password", "password.js")
LOGIN = Page("Log in", "login.js")
NAV = (("overview", "/", "Overview"), ("oee", "/oee", "OEE"), ("alarms", "/alarms", "Alarms"))


@dataclass(frozen=True)
class Asset:
    """A file served to the browser, with the validator it is cached by."""

    body: bytes
    media_type: str
    etag: str
    gzipped: bytes | None = None


def session_of(request: Request) -> Principal | None:
    """The principal of the request's session cookie (or bearer token), None without one."""
    token = token_of(request.headers, request.cookies)
    if token is None:
        return None
    try:
        return context(request).security.authenticate(token)
    except ShopfloorError:
        return None


def render(page: Page) -> str:
    """The HTML of ``page``: a shell whose script module fills in ``<main>``."""
    title = html.escape(page.title)
    charts = f'<script defer src="{plotly_url()}"></script>\n' if page.charts else ""
    header = _header(page) if page.nav or page is PASSWORD else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} · shopfloor</title>\n"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">\n'
        '<link rel="stylesheet" href="/static/style.css">\n'
        f"{charts}"
        f'<script type="module" src="/static/{page.script}"></script>\n'
        f"</head>\n<body>\n{header}"
        f'<main id="main" aria-live="polite"><p class="loading">Loading…</p></main>\n'
        '<div id="toast" role="status" hidden></div>\n'
        "</body>\n</html>\n"
    )


def _header(page: Page) -> str:
    links = "".join(
        f'<a href="{href}"{" aria-current=page" if key == page.nav else ""}>{label}</a>'
        for key, href, label in NAV
    )
    return (
        '<header class="bar">\n'
        '<a class="brand" href="/">shopfloor</a>\n'
        f'<nav aria-label="pages">{links}</nav>\n'
        '<span id="live-status" class="live-status" title="live stream"></span>\n'
        '<span id="who" class="who"></span>\n'
        '<button id="logout" type="button" class="quiet">Log out</button>\n'
        "</header>\n"
    )


def _page(request: Request, page: Page) -> Response:
    who = session_of(request)
    if who is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)
    if who.must_change_password and page is not PASSWORD:
        return RedirectResponse("/password", status_code=303)
    return _html(render(page))


def _html(text: str) -> HTMLResponse:
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    return HTMLResponse(text, headers=headers)


@router.get("/login")
async def login_page() -> HTMLResponse:
    """The login form: public."""
    return _html(render(LOGIN))


@router.get("/")
async def overview_page(request: Request) -> Response:
    """The plant overview."""
    return _page(request, OVERVIEW)


@router.get("/machine/{path:path}")
async def machine_page(request: Request, path: str) -> Response:
    """One machine; its script reads the path from the address."""
    return _page(request, MACHINE)


@router.get("/oee")
async def oee_page(request: Request) -> Response:
    """OEE by machine, line or shift, and the downtime Pareto."""
    return _page(request, OEE)


@router.get("/alarms")
async def alarms_page(request: Request) -> Response:
    """Active, shelved and past alarms."""
    return _page(request, ALARMS)


@router.get("/password")
async def password_page(request: Request) -> Response:
    """Change your own password (the only page open to a user who must)."""
    return _page(request, PASSWORD)


@router.get("/static/{name}")
async def static_file(request: Request, name: str) -> Response:
    """A file of ``static/``; only the login page's own are served without a session."""
    asset = static_asset(name)
    if asset is None:
        return Response("not found", status_code=404, media_type="text/plain")
    if name not in PUBLIC_ASSETS and session_of(request) is None:
        return Response("log in first", status_code=401, media_type="text/plain")
    # Our own files are small and change with the package: revalidate on every load.
    return _send(request, asset, "no-cache")


@router.get("/static/vendor/plotly-{version}.min.js")
async def plotly_js(request: Request, version: str) -> Response:
    """plotly.min.js from the installed plotly package, to logged-in users."""
    if session_of(request) is None:
        return Response("log in first", status_code=401, media_type="text/plain")
    if version != plotly_version():
        return Response("not found", status_code=404, media_type="text/plain")
    # Compressing 4.8 MB once takes a fifth of a second: not on the event loop.
    asset = await run_in_threadpool(plotly_asset)
    # The URL names the version, so the browser may keep it until plotly is upgraded.
    return _send(request, asset, "private, max-age=31536000, immutable")


def _send(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    headers["X-Content-Type-Options"] = "nosniff"
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = asset.gzipped, "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


@cache
def static_asset(name: str) -> Asset | None:
    """A file of ``static/`` by its plain name; None for anything else (no paths)."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in TYPES:
        return None
    source = resources.files("shopfloor.web") / "static" / name
    if not source.is_file():
        return None
    body = source.read_bytes()
    return Asset(body, TYPES[suffix], _etag(body))


@cache
def plotly_version() -> str:
    """The version of the installed plotly.js (not of the Python package), from its banner."""
    with (resources.files("plotly") / "package_data" / "plotly.min.js").open("rb") as file:
        banner = file.read(200).decode("ascii", "replace")
    found = re.search(r"plotly\.js v([0-9A-Za-z.\-]+)", banner)
    return found.group(1) if found else "unknown"


def plotly_url() -> str:
    """Where the pages load plotly.js from; the version in the name busts caches."""
    return f"/static/vendor/plotly-{plotly_version()}.min.js"


@cache
def plotly_asset() -> Asset:
    """plotly.min.js as the installed plotly package ships it, compressed once for transfer."""
    body = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    return Asset(body, TYPES[".js"], _etag(body), gzip.compress(body, 6))


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
