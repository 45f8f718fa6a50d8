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
