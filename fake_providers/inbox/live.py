"""The live channel: journal events pushed to every open inbox page as server-sent events.
A page refreshes its live regions when told something happened, so an event only needs to
say what kind of thing changed; a slow page whose queue is full misses events it would only
have refreshed for anyway. Each stream ends after a while (the browser reconnects), so a
server stopping never waits long on an open page."""
from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..journal import Journal, Message

QUEUE_SIZE = 256
KEEP_ALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0


def summary(kind: str, item: Any) -> dict:
    if isinstance(item, Message):
        return {"kind": "message", "id": item.id, "provider": item.provider,
                "direction": item.direction}
    if kind == "entry":
        return {"kind": item["kind"], "id": item["id"], "provider": item["provider"]}
    return {"kind": kind}


class Live:
    """Listens to the journal only while a page is open: the journal builds every entry's dict
    (bodies decoded) for its listeners, a cost on every send that no one would read."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.pages: set[asyncio.Queue] = set()

    def watch(self, queue: asyncio.Queue) -> None:
        if not self.pages:
            self.journal.listeners.append(self.publish)
        self.pages.add(queue)

    def unwatch(self, queue: asyncio.Queue) -> None:
        self.pages.discard(queue)
        if not self.pages and self.publish in self.journal.listeners:
            self.journal.listeners.remove(self.publish)

    def publish(self, kind: str, item: Any) -> None:
        if not self.pages:
            return
        event = summary(kind, item)
        for queue in self.pages:
            if not queue.full():
                queue.put_nowait(event)

    async def stream(self, request: Request) -> StreamingResponse:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self.watch(queue)
        return StreamingResponse(self._events(queue), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def _events(self, queue: asyncio.Queue) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        try:
            yield "retry: 1000\n\n"
            while loop.time() < ends:
                try:
                    async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                        events = [await queue.get()]
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                while not queue.empty():  # one message for a burst
                    events.append(queue.get_nowait())
                yield f"data: {json.dumps(events)}\n\n"
        finally:
            self.unwatch(queue)
