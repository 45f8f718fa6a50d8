"""Headless Chromium helpers for tests that look at pages as a reader would.

Chromium runs with every host name mapped to "not found" except loopback,
so a page cannot load anything from another host; its NetLog records each
request it tried anyway, which :func:`foreign_page_requests` reports.

Install the browser with
``apt-get install -y --no-install-recommends chromium fonts-lmodern``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

# A heading text that would run JavaScript if a page inserted it unescaped.
INJECTION_PROBE = "<img src=x onerror=\"document.title='pwned'\">"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)


class BrowserError(RuntimeError):
    """Chromium is missing, failed, or timed out."""


def chromium_path() -> str:
    """Path of the Chromium binary; raises BrowserError saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(
        "Chromium not found on PATH; install it with "
        "'apt-get install -y --no-install-recommends chromium fonts-lmodern'"
    )


def _url(target: Path | str) -> str:
    if isinstance(target, Path):
        return target.resolve().as_uri()
    return target


def _run(args: list[str], target: Path | str, netlog: Path | None, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="symcnn-chromium-") as profile:
        cmd = [chromium_path(), *_FLAGS, f"--user-data-dir={profile}", *args]
        if netlog is not None:
            cmd.append(f"--log-net-log={netlog}")
        cmd.append(_url(target))
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"Chromium timed out after {timeout}s on {_url(target)}") from exc
    if done.returncode != 0:
        tail = done.stderr[-2000:]
        raise BrowserError(f"Chromium exited {done.returncode} on {_url(target)}: {tail}")
    return done.stdout


def render_dom(
    target: Path | str, *, netlog: Path | None = None, budget_ms: int = 5000, timeout: float = 90
) -> str:
    """Load a file (Path) or URL (str), let its scripts run, and return the serialised DOM."""
    return _run([f"--virtual-time-budget={budget_ms}", "--dump-dom"], target, netlog, timeout)


def screenshot(
    target: Path | str,
    png_path: Path,
    width: int = 1200,
    height: int = 900,
    *,
    budget_ms: int = 5000,
    timeout: float = 90,
) -> Path:
    """Save a PNG of the page at the given window size and return its path."""
    png_path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        f"--virtual-time-budget={budget_ms}",
        f"--window-size={width},{height}",
        f"--screenshot={png_path.resolve()}",
    ]
    _run(args, target, None, timeout)
    if not png_path.is_file():
        raise BrowserError(f"Chromium wrote no screenshot to {png_path}")
    return png_path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yield its base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class Request:
    url: str
    initiator: str

    @property
    def from_page(self) -> bool:
        # Chromium's own background fetches (updates, time, accounts) have no origin.
        return self.initiator != "not an origin"


def page_requests(netlog: Path) -> list[Request]:
    """Every URL request in a Chromium NetLog, with the origin that started it."""
    data = json.loads(netlog.read_text(encoding="utf-8"))
    start_job = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    found = []
    for event in data["events"]:
        params = event.get("params", {})
        if event["type"] == start_job and "url" in params:
            found.append(Request(params["url"], str(params.get("initiator", ""))))
    return found


def _is_foreign(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("file", "data", "blob", "about") and (
        parts.hostname or ""
    ) not in LOOPBACK_HOSTS


def foreign_page_requests(netlog: Path) -> list[str]:
    """URLs on other hosts that the page (not Chromium itself) tried to load."""
    return [r.url for r in page_requests(netlog) if r.from_page and _is_foreign(r.url)]


@dataclass(frozen=True)
class Reference:
    path: Path
    url: str
    loads: bool  # True: the browser fetches it (src, stylesheet, url()); False: a link to follow.


_LOAD_REL = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "preconnect",
             "dns-prefetch", "manifest", "apple-touch-icon", "shortcut"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


class _RefParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in ("src", "poster", "data", "background"):
            if name in values:
                self.refs.append((values[name], True))
        for candidate in values.get("srcset", "").split(","):
            if candidate.strip():
                self.refs.append((candidate.split()[0], True))
        for name in ("href", "xlink:href"):
            if name in values:
                rels = set(values.get("rel", "").lower().split())
                loads = tag in ("use", "image") or (tag == "link" and bool(rels & _LOAD_REL))
                self.refs.append((values[name], loads))
        for match in _CSS_URL.finditer(values.get("style", "")):
            self.refs.append((match[1] or match[2], True))


def external_references(site_dir: Path) -> list[Reference]:
    """http(s) URLs to other hosts in a built site's HTML and CSS.

    HTML resource attributes and CSS ``url()``/``@import`` count as loads;
    ``<a href>`` and ``rel="canonical"`` are links. Namespace URIs, licence
    comments and strings inside JavaScript are not scanned: what scripts
    fetch is what :func:`foreign_page_requests` sees at run time.
    """
    found: list[Reference] = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix == ".html":
            parser = _RefParser()
            text = path.read_text(encoding="utf-8", errors="replace")
            parser.feed(text)
            refs = parser.refs + [(m[1] or m[2], True) for m in _CSS_URL.finditer(_styles(text))]
        elif path.suffix == ".css":
            css = path.read_text(encoding="utf-8", errors="replace")
            refs = [(m[1] or m[2], True) for m in _CSS_URL.finditer(css)]
        else:
            continue
        found += [Reference(path, url, loads) for url, loads in refs
                  if url.startswith(("http:", "https:", "//")) and _is_foreign(url)]
    return found


def _styles(page_html: str) -> str:
    return "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", page_html, re.DOTALL | re.IGNORECASE))


def injection_is_inert(dom: str) -> bool:
    """True if a page showing INJECTION_PROBE as text kept its title and made no <img>.

    The probe's script would set the title to exactly 'pwned'; a safe page shows
    the tag as literal text instead.
    """
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    kept_title = title is not None and title[1].strip() != "pwned"
    shown_as_text = "&lt;img src=x onerror=" in dom
    no_element = re.search(r"<img[^>]*onerror", dom) is None
    return kept_title and shown_as_text and no_element


# ---- a page at a given width, driven over the DevTools protocol ---------------------------------
#
# Headless Chromium will not make a window narrower than 500 px, so a phone's 390 px is emulated
# with Emulation.setDeviceMetricsOverride. The protocol runs over a pipe (--remote-debugging-pipe):
# no port is opened.

# Every element of the page's article (and the site title) that is wider than its box: outside the
# content column, or clipped/scrolling inside its own box. Returns [] when everything is readable.
LAYOUT_PROBE = r"""
(() => {
  const out = [];
  const say = (el) => {
    const cls = (el.getAttribute('class') || '').split(' ').filter(Boolean).slice(0, 2).join('.');
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
    return `${el.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text}"`;
  };
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1)
    out.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${root.clientWidth} px window`);
  const article = document.querySelector('article.md-content__inner') || document.body;
  const box = article.getBoundingClientRect();
  const style = getComputedStyle(article);
  const left = box.left + parseFloat(style.paddingLeft) - 1, right = box.right - parseFloat(style.paddingRight) + 1;
  for (const el of article.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || s.position === 'absolute') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    // Material lets code blocks run to the screen's edges on a phone: they must stay on the screen.
    const bleed = el.closest('pre, .highlight') !== null;
    const lo = bleed ? -1 : left, hi = bleed ? root.clientWidth + 1 : right;
    if (r.right > hi || r.left < lo)
      out.push(`${say(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px, outside its box ${Math.round(lo)}..${Math.round(hi)}`);
    if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
      out.push(`${say(el)} is cut or scrolls: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
  }
  for (const el of document.querySelectorAll('.md-header__topic .md-ellipsis'))
    if (el.getBoundingClientRect().width > 0 && el.scrollWidth > el.clientWidth + 1)
      out.push(`the site title is cut: ${say(el)}`);
  return JSON.stringify(out);
})()
"""

# The rendered width of each image in the article, with its source.
IMAGE_PROBE = r"""
JSON.stringify([...document.querySelectorAll('article img')].map(i => [i.getAttribute('src'), i.getBoundingClientRect().width]))
"""


class Page:
    """One Chromium tab at a fixed viewport: ``with Page(url, width=390) as page: page.evaluate(js)``.

    ``page.goto(other_url)`` reuses the same browser for another page.
    """

    def __init__(self, url: str, width: int, height: int = 900, *, timeout: float = 120) -> None:
        self.url, self.width, self.height, self.timeout = url, width, height, timeout

    def __enter__(self) -> Page:  # noqa: PYI034
        import os

        self._profile = tempfile.TemporaryDirectory(prefix="symcnn-chromium-", ignore_cleanup_errors=True)
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()

        def fds() -> None:  # Chromium reads commands on fd 3 and answers on fd 4
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._proc = subprocess.Popen(
            [chromium_path(), *_FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-pipe",
             "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # noqa: PLW1509
        )
        os.close(to_child)
        os.close(from_child)
        self._out = os.fdopen(from_parent, "wb", buffering=0)
        self._in = os.fdopen(to_parent, "rb", buffering=0)
        self._buffer = b""
        self._id = 0
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self._call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                   deviceScaleFactor=1, mobile=self.width < 600, session=True)
        self._call("Page.enable", session=True)
        self.goto(self.url)
        return self

    def goto(self, url: str) -> Page:
        """Load ``url`` in this tab and wait until it and its fonts are loaded."""
        self.url = url
        self._call("Page.navigate", url=url, session=True)
        self._wait_loaded()
        return self

    def __exit__(self, *exc: object) -> None:
        import time

        for stream in (self._out, self._in):
            stream.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for _ in range(20):  # Chromium's helper processes may still be writing to the profile
            self._profile.cleanup()
            if not Path(self._profile.name).exists():
                break
            time.sleep(0.1)

    def _call(self, method: str, *, session: bool = False, **params: object) -> dict:
        import time

        self._id += 1
        message: dict[str, object] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._out.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise BrowserError(f"Chromium did not answer {method} within {self.timeout}s")
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _wait_loaded(self) -> None:
        import time

        deadline = time.monotonic() + self.timeout
        time.sleep(0.2)  # let the navigation replace the previous document
        while self.evaluate("location.href") != self.url or self.evaluate("document.readyState") != "complete" \
                or not self.evaluate(
                "document.fonts ? document.fonts.status === 'loaded' : true"):
            if time.monotonic() > deadline:
                raise BrowserError(f"{self.url} did not finish loading")
            time.sleep(0.1)
        time.sleep(0.3)  # one more layout after the last font

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression in the page."""
        result = self._call("Runtime.evaluate", expression=expression, returnByValue=True, session=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def layout_problems(self) -> list[str]:
        """Every element wider than its box (see LAYOUT_PROBE); [] when the page fits."""
        return json.loads(str(self.evaluate("document.querySelectorAll('details').forEach(d => d.open = true);" + LAYOUT_PROBE)))

    def image_widths(self) -> list[tuple[str, float]]:
        return [(src, float(w)) for src, w in json.loads(str(self.evaluate(IMAGE_PROBE)))]

    def screenshot(self, png: Path, *, full_page: bool = True, top: int = 0, height: int | None = None) -> Path:
        """A PNG of the page (all of it, or ``height`` px from ``top``)."""
        import base64

        total = int(self.evaluate("document.documentElement.scrollHeight") or self.height)
        clip = {"x": 0, "y": top, "width": self.width,
                "height": min(height or total, total - top) if full_page or height else self.height, "scale": 1}
        shot = self._call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip,
                          session=True)
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(shot["data"]))
        return png

    # ---- for pages a reader types into, and prints (tests/test_panel_browser.py, tests/test_course.py) ----
    def resize(self, width: int, height: int | None = None) -> Page:
        """Emulate another viewport in the same tab (a phone: width < 600)."""
        self.width, self.height = width, height or self.height
        self._call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                   deviceScaleFactor=1, mobile=self.width < 600, session=True)
        return self

    def type_into(self, selector: str, text: str) -> None:
        """Focus the field, select what it holds, and type ``text`` over it key by key (Backspace if empty)."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " if (!e) return false; e.focus(); e.select(); return true; })()")
        if not found:
            raise BrowserError(f"no element matches {selector!r}")
        keys = [{"key": ch, "text": ch} for ch in text] or [{"key": "Backspace", "code": "Backspace",
                                                              "windowsVirtualKeyCode": 8}]
        for key in keys:
            self._call("Input.dispatchKeyEvent", type="keyDown", session=True, **key)
            self._call("Input.dispatchKeyEvent", type="keyUp", session=True,
                       **{k: v for k, v in key.items() if k != "text"})

    def emulate_media(self, media: str) -> None:
        """Lay the page out for ``"print"`` (or back for ``"screen"``)."""
        self._call("Emulation.setEmulatedMedia", media=media, session=True)

    def print_pdf(self, path: Path) -> Path:
        """The page as the browser prints it (A4, its print stylesheet), saved as a PDF."""
        import base64

        data = self._call("Page.printToPDF", paperWidth=8.27, paperHeight=11.69, preferCSSPageSize=True,
                          session=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def element_screenshot(self, png: Path, selector: str, *, margin: int = 16) -> Path:
        """A PNG of the page from just above the first element ``selector`` matches to just below it."""
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                            " return [r.top + window.scrollY, r.height]; })()")
        top, height = box  # type: ignore[misc]
        return self.screenshot(png, top=max(0, int(top) - margin), height=int(height) + 2 * margin)

