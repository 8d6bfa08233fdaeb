"""A real ``shopfloor demo`` process and Debian's Chromium, for the browser tests and screenshots.

:class:`DemoServer` starts the demo as a subprocess with the first admin's password set, reads
the dashboard's address from its stderr, and talks to its API with the standard library.
:func:`launch_chromium` starts the system Chromium through Playwright; Playwright's own
browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Playwright

ADMIN_PASSWORD = "web tests admin password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
LINE = "acme/stuttgart/fabrication/line1"
_URL = re.compile(r"dashboard and API: (http://127\.0\.0\.1:\d+)")


def chromium_path() -> str | None:
    """The system Chromium: ``$SHOPFLOOR_CHROMIUM``, else ``chromium`` on the PATH."""
    given = os.environ.get("SHOPFLOOR_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


class DemoServer:
    """``shopfloor demo --port 0`` in a subprocess, with its API at hand."""

    def __init__(self, state_dir: Path, *, speed: str = "60", start: str | None = None) -> None:
        self.state_dir = state_dir
        command = [
            sys.executable,
            "-m",
            "shopfloor",
            "demo",
            "--speed",
            speed,
            "--port",
            "0",
            "--no-live",
            "--state-dir",
            str(state_dir),
            "--db",
            str(state_dir / "h.duckdb"),
        ]
        if start is not None:
            command += ["--start", start]
        env = {**os.environ, "SHOPFLOOR_ADMIN_PASSWORD": ADMIN_PASSWORD, "COLUMNS": "200"}
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: deque[str] = deque(maxlen=200)
        self._draining: threading.Thread | None = None
        self.url = self._read_url(timeout_s=120)
        # Keep reading stderr: a full pipe would stall the demo.
        self._draining = threading.Thread(target=self._drain, daemon=True)
        self._draining.start()
        self.admin_token = self.login("admin", ADMIN_PASSWORD)["token"]

    def _read_url(self, timeout_s: float) -> str:
        assert self.process.stderr is not None
        deadline = time.monotonic() + timeout_s
        for line in self.process.stderr:
            self.log.append(line)
            found = _URL.search(line)
            if found:
                return found.group(1)
            if time.monotonic() > deadline:
                break
        self.stop()
        raise RuntimeError("the demo printed no dashboard address:\n" + "".join(self.log))

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def call(self, method: str, path: str, body: object = None, token: str | None = None) -> Any:
        """One API call; JSON in and out; raises ``urllib.error.HTTPError`` on failure."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def login(self, user: str, password: str) -> dict[str, Any]:
        session: dict[str, Any] = self.call(
            "POST", "/api/login", {"username": user, "password": password}
        )
        return session

    def add_user(self, name: str, role: str, password: str) -> None:
        """Create a user as admin; like every new user, they must change the password first."""
        body = {"name": name, "password": password, "role": role}
        self.call("POST", "/api/users", body, self.admin_token)

    def set_own_password(self, name: str, current: str, new: str) -> None:
        token = self.login(name, current)["token"]
        self.call("POST", "/api/me/password", {"current": current, "new": new}, token)

    def session_context(self, browser: Browser, user: str, password: str) -> BrowserContext:
        """A browser context holding ``user``'s session cookie, as a login would set it."""
        token = self.login(user, password)["token"]
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies(
            [{"name": "shopfloor_session", "value": token, "url": self.url, "httpOnly": True}]
        )
        return context

    def stop(self, timeout_s: float = 20) -> float:
        """Ask the demo to stop (SIGTERM) and wait; returns the seconds it took."""
        began = time.monotonic()
        took = 0.0
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
                took = time.monotonic() - began
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                took = float("inf")
        if self._draining is not None:
            self._draining.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return took


def http_status(url: str, headers: dict[str, str] | None = None) -> int:
    """The status of a GET, without raising for 4xx and 5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
