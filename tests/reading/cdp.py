"""Headless Chromium driven over the DevTools protocol, for tests that click, type and go back.

Debian's ``chromium`` only (no browser download); the network is cut to loopback, so a page
that reaches for any other host fails visibly. Input goes through ``Input.*`` (real mouse and
key events), and the back button is the browser's own history navigation.
"""

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mirror.processes import free_port, stop, wait_for
from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
WAIT_S = 20.0


def require_chromium() -> None:
    """Skips the test without Chromium, or fails it under CI=true (where it must be there)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")


def headless_chromium(profile: Path, *args: str) -> list[str]:
    """The command of a headless Chromium with its own profile that can reach only loopback."""
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        # Cut the network: every host name but the loopback address fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        *args,
    ]


class Page:
    """One Chromium tab: navigate, evaluate, click, type, go back, take screenshots."""

    def __init__(self, profile: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            headless_chromium(profile, f"--remote-debugging-port={self.port}", "about:blank"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._closing = contextlib.ExitStack()
        self._closing.callback(stop, self.process)
        try:
            self._socket = self._closing.enter_context(self._connect())
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable")
        except BaseException:
            self._closing.close()
            raise

    def _connect(self) -> ClientConnection:
        targets: list[dict[str, Any]] = []

        def listed() -> bool:
            nonlocal targets
            try:
                targets = httpx.get(f"http://127.0.0.1:{self.port}/json/list", timeout=1).json()
            except httpx.HTTPError:
                return False
            return any(target["type"] == "page" for target in targets)

        wait_for(listed, timeout=WAIT_S, what="chromium's DevTools endpoint")
        page = next(target for target in targets if target["type"] == "page")
        return connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=WAIT_S)

    def close(self) -> None:
        """Closes the connection and stops the browser."""
        self._closing.close()

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=WAIT_S))
            if message.get("id") == ident:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, what: str) -> Any:
        """Polls an expression until it is truthy; returns its value."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} ({expression})")

    def goto(self, url: str) -> None:
        """Loads a URL as if typed into the address bar, and waits until it has loaded."""
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'", f"{url} to load")

    def click(self, selector: str) -> None:
        """A real left click (mouse pressed and released) in the middle of the element."""
        self.click_node(f"document.querySelector({json.dumps(selector)})", selector)

    def click_node(self, expression: str, what: str) -> None:
        """A real left click in the middle of the element a JavaScript expression finds."""
        x, y = self.wait(
            f"""(() => {{
              const node = {expression};
              if (!node) return null;
              node.scrollIntoView({{block: "nearest"}});  // only when it is out of view
              // The first line's box: a link that wraps has a bounding box wider than its text.
              const r = node.getClientRects()[0];
              if (!(r && r.width && r.height)) return null;
              const [x, y] = [r.x + r.width / 2, r.y + r.height / 2];
              // Only where the element itself is hit: nothing covers it, no overlay in between.
              const hit = document.elementFromPoint(x, y);
              return hit && node.contains(hit) ? [x, y] : null;
            }})()""",
            f"{what} to be visible",
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Clicks into a field, selects what it holds, and types ``text`` over it."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        """Presses and releases the Enter key in the focused element."""
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", type="keyDown", text="\r", **key)
        self.send("Input.dispatchKeyEvent", type="keyUp", **key)

    def back(self) -> None:
        """The browser's back button: the previous entry of the tab's history."""
        history = self.send("Page.getNavigationHistory")
        entry = history["entries"][history["currentIndex"] - 1]
        self.send("Page.navigateToHistoryEntry", entryId=entry["id"])

    def resize(self, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
        """Sets the viewport in CSS pixels (a phone's layout when ``mobile``)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=scale,
            mobile=mobile,
        )

    def screenshot(self, path: Path) -> None:
        """Writes what the viewport shows as a PNG."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def requested_urls(self) -> list[str]:
        """Every URL the page has requested so far."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]

    def errors(self) -> list[str]:
        """Uncaught exceptions, console errors and browser errors (CSP refusals among them)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found
