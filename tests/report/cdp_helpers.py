"""A tiny Chrome DevTools Protocol client: headless Chromium opens a page, we listen.

Collects console errors, uncaught exceptions, log errors, failed requests and JavaScript
dialogs (an ``alert`` that ran) while a page loads; evaluates expressions; takes
screenshots, also at a phone's width.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import websocket

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-allow-origins=*"]


class Browser:
    """Headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, profile: Path, timeout_s: float = 30.0):
        assert CHROMIUM, "chromium is not installed (bash .ci/run installs it)"
        self.timeout_s = timeout_s
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        url = None
        deadline = time.monotonic() + timeout_s
        while url is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            url = m.group(1) if m else None
        assert url, "chromium did not start its DevTools endpoint"
        self.ws = websocket.create_connection(url, timeout=timeout_s)
        self._ids = itertools.count(1)
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, session: bool = False, **params) -> dict:
        """Send a command and return its result (events meanwhile are kept)."""
        msg_id = next(self._ids)
        msg = {"id": msg_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        """Wait for an event of the page."""
        deadline = time.monotonic() + self.timeout_s
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        while time.monotonic() < deadline:
            ev = json.loads(self.ws.recv())
            self.events.append(ev)
            if ev.get("method") == method:
                return ev
        raise AssertionError(f"no {method} within {self.timeout_s} s")

    def open(self, url: str) -> None:
        """Navigate and wait for the load event, then let the page settle."""
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => setTimeout(r, 300))")

    def evaluate(self, expression: str):
        """Evaluate a JavaScript expression in the page and return its value."""
        res = self.call("Runtime.evaluate", session=True, expression=expression,
                        returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in res, res["exceptionDetails"]
        return res["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, exceptions, error log entries, failed requests, dialogs."""
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails')}")
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out.append(f"request failed: {p.get('errorText')}")
            elif m == "Page.javascriptDialogOpening":
                out.append(f"dialog: {p.get('message')}")
        return out

    def requests(self) -> list[str]:
        """URLs the page requested."""
        return [ev["params"]["request"]["url"] for ev in self.events
                if ev.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path, width: int = 1000, mobile: bool = False,
                   max_height: int = 12000) -> bytes:
        """Save a full-page PNG (at most ``max_height`` tall) at ``width`` CSS pixels."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=900, deviceScaleFactor=1, mobile=mobile)
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        png = base64.b64decode(self.call(
            "Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": min(height, max_height),
                  "scale": 1})["data"])
        Path(path).write_bytes(png)
        return png

    def close(self) -> None:
        """Close the browser and wait for it."""
        try:
            self.call("Browser.close")
        except Exception:
            pass
        self.ws.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
