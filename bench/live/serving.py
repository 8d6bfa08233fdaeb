"""Start and stop the benchmark's server process, and read its CPU time from ``/proc``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from pathlib import Path
from types import TracebackType

ADMIN_PASSWORD = "bench live admin password"
_URL = re.compile(r"dashboard and API: (http://127\.0\.0\.1:\d+)")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BenchServer:
    """``python -m bench.live.server`` in a subprocess: its URL, an admin token, its CPU."""

    def __init__(self, state_dir: Path, probe_hz: float, profile: Path | None = None) -> None:
        self.state_dir = state_dir
        env = {**os.environ, "SHOPFLOOR_ADMIN_PASSWORD": ADMIN_PASSWORD}
        command = [sys.executable, "-m", "bench.live.server", "--state-dir", str(state_dir)]
        command += ["--probe-hz", str(probe_hz)]
        if profile is not None:
            command += ["--profile", str(profile)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.log: deque[str] = deque(maxlen=100)
        self.url = self._read_url()
        self._draining = threading.Thread(target=self._drain, daemon=True)
        self._draining.start()
        self.token = self._login()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_url(self) -> str:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            found = _URL.search(line)
            if found:
                return found.group(1)
        raise RuntimeError("the benchmark server did not start:\n" + "".join(self.log))

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def _login(self) -> str:
        body = json.dumps({"username": "admin", "password": ADMIN_PASSWORD}).encode()
        request = urllib.request.Request(
            self.url + "/api/login", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token: str = json.load(response)["token"]
        return token

    def stop(self) -> dict[int, int]:
        """Stop the server; the probe's stamps (sequence number to wall-clock ns)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._draining.join(5)
        assert self.process.stderr is not None
        self.process.stderr.close()
        stamps = self.state_dir / "probe.jsonl"
        if not stamps.exists():
            return {}
        rows = [json.loads(line) for line in stamps.read_text().splitlines() if line]
        return {int(r["seq"]): int(r["ns"]) for r in rows}

    def __enter__(self) -> BenchServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def settle(seconds: float) -> None:
    """Let the server reach its steady state (first requests, imports, caches)."""
    time.sleep(seconds)
