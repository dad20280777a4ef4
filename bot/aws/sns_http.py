"""The one HTTP client that reaches Amazon SNS from a delivery: it fetches signing certificates and confirms
subscriptions, over HTTPS only, from an allowed SNS host only, without following redirects, within a timeout.

A URL in a delivery is chosen by whoever sent it; the host check is what keeps a forged message from making the bot
fetch or call anything else.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import aiohttp

from bot.aws.sns_hosts import SnsHosts, UrlNotAllowed

FETCH_TIMEOUT_SECONDS = 5.0
MAX_BODY_BYTES = 64 * 1024


class FetchFailed(Exception):
    """The allowed URL could not be fetched (network, timeout, status, size). `transient`: it may work on a retry
    (no answer, or a 5xx); else the host answered, and will answer the same (a 3xx or 4xx, a body too large)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


def _without_query(text: str, url: str) -> str:
    """`text` without `url`'s query: a subscription's confirmation URL carries its token there."""
    query = urlsplit(url).query
    return text.replace(query, "…") if query else text


class SnsHttp:
    """GETs from allowed SNS hosts; one connection pool, made on first use and closed by `close()`."""

    def __init__(self, hosts: SnsHosts, *, ca_bundle: str | None = None, timeout: float = FETCH_TIMEOUT_SECONDS):
        self.hosts = hosts
        self._ca_bundle = ca_bundle
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._opening = asyncio.Lock()

    async def get(self, url: str, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
        """The body of a 2xx answer to GET `url`; UrlNotAllowed before any connection, FetchFailed after."""
        if problem := self.hosts.problem(url):
            raise UrlNotAllowed(problem)
        session = await self._opened()
        try:
            async with session.get(url, allow_redirects=False) as response:
                if not 200 <= response.status < 300:
                    raise FetchFailed(f"HTTP {response.status}", transient=response.status >= 500)
                body = await response.content.read(max_bytes + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FetchFailed(_without_query(f"{type(exc).__name__}: {exc}", url), transient=True) from None
        if len(body) > max_bytes:
            raise FetchFailed(f"the answer is larger than {max_bytes} bytes", transient=False)
        return body

    async def _opened(self) -> aiohttp.ClientSession:
        async with self._opening:
            if self._session is None:
                # Loading the trusted certificates reads files: not on the event loop.
                context = await asyncio.to_thread(ssl.create_default_context, cafile=self._ca_bundle)
                connector = aiohttp.TCPConnector(ssl=context, limit=16)
                self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
            return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
