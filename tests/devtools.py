"""Drive headless Chromium over the DevTools protocol, for tests that type into pages.

Chromium is started with ``--remote-debugging-pipe``: commands go to it on file
descriptor 3 and answers come back on 4, as NUL-terminated JSON (no network port, no
websocket library). It runs with the same no-network flags as :mod:`browser`.

    with Chromium() as chrome:
        page = chrome.open(url, width=390, height=900)
        page.type_into("input[data-symbol=H]", "9")
        page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from browser import BrowserError, chromium_path

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--remote-debugging-pipe",
)


def _high_pipe() -> tuple[int, int]:
    """A pipe whose two ends are numbered above 4, so that neither is already the child's fd 3 or 4."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


class Chromium:
    """One headless Chromium, spoken to over its DevTools pipe."""

    def __init__(self, timeout: float = 60) -> None:
        self.timeout = timeout
        self._next = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:  # noqa: PYI034  (typing.Self is Python 3.11+)
        self._profile = tempfile.TemporaryDirectory(prefix="symcnn-cdp-")
        to_chrome = _high_pipe()
        from_chrome = _high_pipe()
        self._to_chrome, self._from_chrome = to_chrome[1], from_chrome[0]
        cmd = [chromium_path(), *_FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        # posix_spawn, not fork: nothing runs in the child before exec (safe beside the tests' server threads).
        # Its fd 3 reads our commands and fd 4 writes its answers; every other descriptor Python opened is
        # close-on-exec (PEP 446), so nothing else reaches Chromium.
        self._pid = os.posix_spawn(cmd[0], cmd, dict(os.environ), file_actions=[
            (os.POSIX_SPAWN_DUP2, to_chrome[0], 3),
            (os.POSIX_SPAWN_DUP2, from_chrome[1], 4),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ])
        os.close(to_chrome[0])
        os.close(from_chrome[1])
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        deadline = time.monotonic() + 10
        while os.waitpid(self._pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                break
            time.sleep(0.05)
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self._profile.cleanup()

    # ---- the protocol ------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == ident:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._read_message(deadline))

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.resize(width, height)
        page.goto(url)
        return page


class Page:
    """One tab."""

    def __init__(self, chrome: Chromium, session: str) -> None:
        self.chrome = chrome
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.chrome.send(method, params, self.session)

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.chrome.wait_for("Page.loadEventFired", self.session)

    def resize(self, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values only)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"page script failed: {result['exceptionDetails'].get('text')}: "
                               f"{result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the field, select what it holds, and type ``text`` over it, key by key."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " if (!e) return false; e.focus(); e.select(); return true; })()")
        if not found:
            raise BrowserError(f"no element matches {selector!r}")
        if not text:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace",
                                                 "windowsVirtualKeyCode": 8})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace",
                                                 "windowsVirtualKeyCode": 8})
        for ch in text:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch})

    def emulate_media(self, media: str) -> None:
        self.send("Emulation.setEmulatedMedia", {"media": media})

    def screenshot(self, path: Path, selector: str | None = None, *, margin: int = 16) -> Path:
        """A PNG of the whole page (not only the window), or of the box of the first element ``selector`` matches."""
        if selector is None:
            box = self.evaluate("({x: 0, y: 0, width: document.documentElement.scrollWidth,"
                                " height: document.documentElement.scrollHeight})")
        else:
            box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                                f" return {{x: Math.max(0, r.left - {margin}), y: Math.max(0, r.top + window.scrollY - {margin}),"
                                f" width: Math.min(document.documentElement.scrollWidth, r.width + {2 * margin}),"
                                f" height: r.height + {2 * margin}}}; }})()")
        data = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": 1},
        })["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def print_pdf(self, path: Path) -> Path:
        """The page as the browser prints it (A4, print media), saved as a PDF."""
        data = self.send("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": False,
                                             "preferCSSPageSize": True})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
