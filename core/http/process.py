"""Which server process answered: the ``X-Aigc-Worker`` header (its process id) on every response,
for telling apart the workers of ``aigc serve --workers N`` behind one port."""

from __future__ import annotations

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Aigc-Worker"


class WorkerHeader:
    """ASGI middleware adding this process's id as the ``X-Aigc-Worker`` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (HEADER.lower().encode(), str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)
