"""The live dashboard: a local web server (aiohttp) showing a search journal as it grows.

``GET /`` is the report page of the journal (:mod:`layernas.report.page`) with a script that
polls ``GET /api/page?stamp=S`` every few seconds: the answer is 204 while the journal's
stamp (trial count, latest start and finish, kept rows) is still ``S``, else the page's new
parts, which the browser draws with ``Plotly.react``. The server only reads: the journal is
opened read-only (SQLite ``mode=ro``; a WAL reader never blocks the writer), pages are built
in a worker thread, at most one at a time, and the last one is reused while the stamp holds;
the server runs at a lower CPU priority (nice 10) than the search.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sqlite3
import time
from pathlib import Path

from aiohttp import web

from layernas.errors import LayerNASError
from layernas.journal import read_journal
from layernas.report.data import Units
from layernas.report.page import Rendered, html_page, load, render

#: How often the page asks for news, in milliseconds.
POLL_MS = 2000


def journal_stamp(path: Path) -> str:
    """A cheap fingerprint of the journal's state: changes whenever a trial starts or ends
    or the strategy's snapshot is replaced."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        trials = db.execute(
            "SELECT count(*), max(started), max(finished), count(finished) FROM trials").fetchone()
        kept = db.execute("SELECT count(*), total(reward), total(cost) FROM kept").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LayerNASError(f"{path} is not a readable layernas journal: {exc}") from None
    finally:
        db.close()
    return repr((*trials, *kept))


class Dashboard:
    """The page of one journal, rebuilt in a thread when its stamp changes.

    A rebuild of a large journal takes seconds of CPU, so it never holds a request up (the
    previous page is served meanwhile) and the next one starts no sooner than twice its
    duration later: the dashboard takes at most a third of a core from the search.
    """

    def __init__(self, journal: Path, units: Units = Units(), poll_ms: int = POLL_MS) -> None:
        read_journal(journal)  # a missing or foreign file: a clear error before serving
        self.journal, self.units, self.poll_ms = journal, units, poll_ms
        self._latest: tuple[str, Rendered] | None = None
        self._error: LayerNASError | None = None
        self._refreshing: asyncio.Task | None = None
        self._next = 0.0  # monotonic time before which no rebuild starts

    def _build(self) -> None:
        stamp = journal_stamp(self.journal)
        if self._latest is not None and self._latest[0] == stamp:
            return
        start = time.monotonic()
        self._latest = stamp, render(load(self.journal, self.units))
        self._next = time.monotonic() + 2 * (time.monotonic() - start)

    async def _refresh(self) -> None:
        try:
            await asyncio.to_thread(self._build)
            self._error = None
        except LayerNASError as exc:  # e.g. the journal was deleted: keep the last page
            self._error = exc

    async def latest(self) -> tuple[str, Rendered]:
        """The journal's stamp and page parts (the previous ones while a rebuild runs)."""
        idle = self._refreshing is None or self._refreshing.done()
        if idle and time.monotonic() >= self._next:
            self._refreshing = asyncio.create_task(self._refresh())
        if self._latest is None:
            await self._refreshing
        if self._latest is None:
            raise web.HTTPServiceUnavailable(text=str(self._error))
        return self._latest

    async def index(self, request: web.Request) -> web.Response:
        stamp, parts = await self.latest()
        text = html_page(parts, live=True, poll_ms=self.poll_ms, stamp=stamp)
        return web.Response(text=text, content_type="text/html")

    async def api_page(self, request: web.Request) -> web.Response:
        stamp, parts = await self.latest()
        if request.query.get("stamp") == stamp:
            return web.Response(status=204)
        return web.Response(text=parts.json(stamp), content_type="application/json")

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([web.get("/", self.index), web.get("/api/page", self.api_page),
                        web.get("/favicon.ico", lambda request: web.Response(status=204))])
        return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port), or a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise LayerNASError(
                f"port {port} on {host} is in use (another dashboard?); pass --port with a free "
                "port, or --port 0 for any") from None
        raise LayerNASError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def serve(journal: Path, host: str, port: int, units: Units = Units(),
          announce=print) -> None:
    """Serve the dashboard of ``journal`` until interrupted; ``announce`` gets its URL."""
    dashboard = Dashboard(journal, units)
    sock = bind(host, port)
    os.nice(10)  # a viewer: the search it watches comes first for the CPU
    shown = f"[{host}]" if ":" in host else host
    announce(f"dashboard of {journal} at http://{shown}:{sock.getsockname()[1]}/ "
             "(read-only; Ctrl-C stops it)")
    web.run_app(dashboard.app(), sock=sock, print=None, handle_signals=True)
