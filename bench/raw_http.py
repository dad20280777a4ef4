"""A light HTTP/1.1 load generator for the ack-latency benchmark.

Requests are encoded to bytes before a burst and written by bare asyncio protocols; the clock stops in the callback
that receives the last byte of the answer, not when the awaiting coroutine next runs. On a 2-core machine the sender
shares the CPUs with the app it measures, so what the sender spends per request shows up as the app's latency:
aiohttp's client spends ~0.6 ms per request here, this one a fraction of that.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Answer:
    status: int  # 0 when the connection failed or timed out
    body: bytes
    elapsed_ms: float


def encode(host: str, port: int, path: str, body: bytes, headers: dict[str, str], *, keep_alive: bool) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Exchange(asyncio.Protocol):
    """One connection carrying one request at a time; `answer` resolves when a whole response has arrived."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answer: asyncio.Future[tuple[int, bytes, float]] | None = None
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.open = transport, True  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def send(self, payload: bytes) -> asyncio.Future[tuple[int, bytes, float]]:
        assert self.transport is not None
        self.buffer.clear()
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self.answer

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        done = complete(self.buffer)
        if done is not None and self.answer is not None and not self.answer.done():
            self.answer.set_result((*done, time.perf_counter()))

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("the server closed the connection before answering"))


def complete(buffer: bytearray) -> tuple[int, bytes] | None:
    """(status, body) once `buffer` holds a whole response with a Content-Length, else None."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buffer[:head_end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = bytes(buffer[head_end + 4 : head_end + 4 + length])
    return (status, body) if len(body) == length else None


async def connect(host: str, port: int) -> Exchange:
    _transport, protocol = await asyncio.get_running_loop().create_connection(Exchange, host, port)
    return protocol


async def one_shot(host: str, port: int, payload: bytes) -> Answer:
    """Connect, send, read the whole answer, close: the time covers all of it but the close."""
    started = time.perf_counter()
    exchange: Exchange | None = None
    try:
        exchange = await asyncio.wait_for(connect(host, port), TIMEOUT_SECONDS)
        status, body, ended = await asyncio.wait_for(exchange.send(payload), TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        return Answer(0, b"", (time.perf_counter() - started) * 1000)
    finally:
        if exchange is not None and exchange.transport is not None:
            exchange.transport.close()
    return Answer(status, body, (ended - started) * 1000)


async def over(exchange: Exchange, payload: bytes) -> Answer:
    """Send over an open connection (kept alive from an earlier request)."""
    started = time.perf_counter()
    try:
        status, body, ended = await asyncio.wait_for(exchange.send(payload), TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        return Answer(0, b"", (time.perf_counter() - started) * 1000)
    return Answer(status, body, (ended - started) * 1000)


class Pool:
    """Connections kept open between bursts, one per concurrent request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Exchange] = []

    async def burst(self, payloads: list[bytes]) -> list[Answer]:
        self.idle = [e for e in self.idle if e.open]
        missing = len(payloads) - len(self.idle)
        if missing > 0:
            self.idle += await asyncio.gather(*(connect(self.host, self.port) for _ in range(missing)))
        exchanges, self.idle = self.idle[: len(payloads)], self.idle[len(payloads) :]
        try:
            return await asyncio.gather(*(over(e, p) for e, p in zip(exchanges, payloads, strict=True)))
        finally:
            self.idle += exchanges

    def close(self) -> None:
        for exchange in self.idle:
            if exchange.transport is not None:
                exchange.transport.close()
        self.idle = []
