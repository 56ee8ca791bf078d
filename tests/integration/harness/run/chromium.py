"""Headless Chromium (Debian's ``chromium``, which ``make setup`` installs), driven through the Chrome
DevTools Protocol over its WebSocket with aiohttp: no browser download, no driver, nothing more to
install than the browser.

    with Chromium(log_path) as browser:
        async with await browser.page(width=1280) as page:
            seen = await page.open(Path("index.html"))   # load, then what the page shows
            await page.screenshot(Path("index.png"))

``open`` waits for the load event and returns ``Seen``: the script errors and console errors the
page raised, and the answer of ``PROBE``, a script that measures the page (horizontal overflow,
the charts' axes, the legend, every link). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import tempfile
from collections import abc
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

from client.tasks import stop_task
from harness.infra.processes import ManagedProcess

CHROMIUM = os.environ.get("FAULTLINE_CHROMIUM", "/usr/bin/chromium")
# As the machine's notes say: headless, as root, and no background traffic (the network is closed).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
WAIT_S = 15.0

# What the page shows, measured in the page: JSON-able.
PROBE = """(() => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
    .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || ''));
  const charts = [...document.querySelectorAll('svg.chart')];
  return {
    title: document.title,
    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, height: root.scrollHeight,
    wide,
    charts: charts.map(c => ({
      label: c.getAttribute('aria-label'),
      ticks: c.querySelectorAll('.time-axis .tick').length,
      tickLabels: c.querySelectorAll('.time-axis text').length,
    })),
    legend: document.querySelectorAll('.legend li').length,
    box: (document.querySelector('.what-happened') || {}).innerText || '',
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
})()"""


def available() -> str | None:
    """Why the browser cannot run here, or None."""
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} not found: make setup installs Debian's chromium (or set FAULTLINE_CHROMIUM)"
    return None


@dataclass
class Seen:
    """What a page raised while loading, and what ``PROBE`` measured."""

    errors: list[str] = field(default_factory=list)
    probe: dict[str, Any] = field(default_factory=dict)


class Chromium:
    def __init__(self, log_path: Path) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="faultline-chromium-")
        argv = [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        self.process = ManagedProcess(
            argv, ready_pattern=r"DevTools listening on (ws://\S+)", name="chromium", log_path=log_path
        )
        self.url = ""

    def __enter__(self) -> Self:
        self.url = self.process.start().group(1)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.process.stop()
        self._profile.cleanup()

    async def page(self, width: int) -> Page:
        return await Page.open_on(self.url, width)


class Page:
    """One tab, its own CDP session over the browser's WebSocket."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, width: int) -> None:
        self.http, self.ws, self.width = http, ws, width
        self.session = ""
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open_on(cls, url: str, width: int) -> Page:
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(
                url, max_msg_size=64 * 2**20, timeout=aiohttp.ClientWSTimeout(ws_close=5)
            )
        except BaseException:
            await http.close()
            raise
        page = cls(http, ws, width)
        target = await page.call("Target.createTarget", url="about:blank")
        attached = await page.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            await page.call(f"{domain}.enable")
        await page.resize(900)
        return page

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await stop_task(self._reader)
        await self.ws.close()
        await self.http.close()

    async def _read(self) -> None:
        async for message in self.ws:
            body = json.loads(message.data)
            waiter = self._waiting.pop(body.get("id", -1), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(body)
            elif "method" in body:
                self.events.append(body)
        for waiter in self._waiting.values():  # the browser went away
            waiter.set_exception(ConnectionError("chromium closed the DevTools connection"))

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        waiter = self._waiting[ident] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(json.dumps(message))
        async with asyncio.timeout(WAIT_S):
            answer = await waiter
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def resize(self, height: int) -> None:
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def open(self, path: Path) -> Seen:
        """Load the page at ``path`` (absolute) and measure it."""
        start = len(self.events)
        await self.call("Page.navigate", url=path.as_uri())
        async with asyncio.timeout(WAIT_S):
            while not any(e["method"] == "Page.loadEventFired" for e in self.events[start:]):  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # events arrive on the reader task; this only looks
        evaluated = await self.call("Runtime.evaluate", expression=PROBE, returnByValue=True)
        return Seen(errors(self.events[start:]), evaluated["result"]["value"])

    async def screenshot(self, path: Path, height: int) -> None:
        await self.resize(min(max(height, 600), 6000))  # the whole page, as tall as it is
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        await self.resize(900)


def errors(events: abc.Iterable[dict[str, Any]]) -> list[str]:
    """Script errors, console errors and failed loads among CDP events."""
    found = []
    for e in events:
        params = e.get("params", {})
        if e["method"] == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            found.append(
                f"script error: {details.get('exception', {}).get('description') or details.get('text')}"
            )
        elif e["method"] == "Runtime.consoleAPICalled" and params.get("type") == "error":
            found.append(
                "console error: " + " ".join(str(a.get("value", "")) for a in params.get("args", []))
            )
        elif e["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"{entry.get('source')} error: {entry.get('text')} {entry.get('url', '')}".strip())
    return found
