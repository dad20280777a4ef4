"""A far side that accepts connections and never answers: an AWS endpoint or a Slack whose calls hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HangingServer:
    def __init__(self) -> None:
        self.connected = asyncio.Event()
        """Set once a client has connected (and is now waiting for an answer that never comes)."""
        self._writers: list[asyncio.StreamWriter] = []

    async def _hold(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.connected.set()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Listen on an ephemeral port; yields its base URL."""
        server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            for writer in self._writers:
                writer.close()
            server.close()
