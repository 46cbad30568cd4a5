"""A real browser for the tests: headless Chromium driven over the DevTools protocol.

Chromium is started with a fresh profile and ``--remote-debugging-port=0``; the
port it picked is read from ``DevToolsActivePort`` in the profile. One page is
driven through a websocket (aiohttp's client): console messages, uncaught
exceptions, log entries (CSP violations, failed loads) and every network
request are collected while a file loads, then the DOM is queried and a
full-page screenshot taken.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import attrs

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(
        "no Chromium on PATH: the HTML report is tested in a real browser "
        "(apt-get install -y chromium; .ci/run installs it)"
    )


@attrs.define
class PageLoad:
    errors: list[str] = attrs.field(factory=list)
    """Console errors, uncaught exceptions and error log entries, as text."""
    requests: list[str] = attrs.field(factory=list)
    """Every URL the page asked for (the file itself included)."""


class Page:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        self.load = PageLoad()

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"])
                if "error" in data:
                    future.set_exception(AssertionError(f"DevTools: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
            else:
                self._observe(data)
                await self._events.put(data)

    def _observe(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            text = " ".join(str(arg.get("value", arg.get("description"))) for arg in params["args"])
            self.load.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.load.errors.append(
                f"exception: {details.get('exception', {}).get('description', details['text'])}"
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.load.errors.append(f"log: {params['entry']['text']}")
        elif method == "Network.requestWillBeSent":
            self.load.requests.append(params["request"]["url"])

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        command = {"id": self._next, "method": method, "params": params}
        await self._socket.send_str(json.dumps(command))
        return await asyncio.wait_for(future, 60)

    async def open(self, path: Path, *, width: int = 1280, height: int = 900) -> PageLoad:
        """Load ``path`` and wait for its load event; what happened while loading."""
        self.load = PageLoad()
        for domain in ("Runtime", "Log", "Network", "Page"):
            await self.send(f"{domain}.enable")
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        while not self._events.empty():
            self._events.get_nowait()
        await self.send("Page.navigate", url=path.resolve().as_uri())
        while (await asyncio.wait_for(self._events.get(), 120)).get("method") != (
            "Page.loadEventFired"
        ):
            pass
        await asyncio.sleep(0.2)  # late console messages and exceptions of the load
        return self.load

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def click(self, selector: str) -> None:
        """Click the element ``selector`` finds as a mouse does: scrolled into view, pressed
        and released at its centre (the browser decides what is under the pointer)."""
        box = await self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        if box is None:
            raise AssertionError(f"nothing to click: no element matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    async def screenshot(self, path: Path, *, max_height: int = 4000) -> Path:
        """A full-page PNG (up to ``max_height`` pixels tall) for a person to look at."""
        metrics = await self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": size["width"],
            "height": min(size["height"], max_height),
            "scale": 1,
        }
        shot = await self.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


@asynccontextmanager
async def chromium() -> AsyncIterator[Page]:
    """A headless Chromium with one blank page, closed (and its profile removed) afterwards."""
    profile = Path(tempfile.mkdtemp(prefix="ob-async-chromium-"))
    process = subprocess.Popen(
        [chromium_binary(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if process.poll() is not None:
                raise AssertionError(f"chromium exited with {process.returncode} on start")
            if time.monotonic() > deadline:
                raise AssertionError("chromium did not open its DevTools port within 60 s")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page_target = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page_target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                try:
                    yield page
                finally:
                    await page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)
