"""The Slack Web API client: slack_sdk's, on one shared HTTP session whose every call is counted in metrics.

Bolt builds a fresh client for each request but hands it the app client's session, so counting at the session
covers the calls listeners make as well as the outbox drainer's. Errors are counted by API method and error code:
HTTP errors, failed connections, and Slack's `ok: false` answers, which come as HTTP 200.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import aiohttp

from bot.runtime.metrics import Metrics

FILE_UPLOAD = "file_upload"
"""The label of a file's upload URL (`files.getUploadURLExternal` hands out one per file): not an API method."""


def api_method(path: str) -> str:
    """The Web API method a request's path calls (`/api/chat.postMessage`); any other path is a file upload."""
    folder, _, method = path.rpartition("/")
    return method if folder.endswith("/api") and method else FILE_UPLOAD


def counting_session(metrics: Metrics) -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()

    async def on_end(
        _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        method = api_method(params.url.path)
        metrics.slack_calls.labels(method).inc()
        if params.response.status >= 400:
            metrics.slack_errors.labels(method, f"http_{params.response.status}").inc()

    async def on_exception(
        _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        method = api_method(params.url.path)
        metrics.slack_calls.labels(method).inc()
        metrics.slack_errors.labels(method, type(params.exception).__name__).inc()

    class CountedResponse(aiohttp.ClientResponse):
        """Counts Slack's `ok: false` answers (HTTP 200) by their error code once the body has been read."""

        counted = False

        async def read(self) -> bytes:
            body = await super().read()
            if not self.counted and self.status < 400 and self.content_type == "application/json":
                self.counted = True
                _count_refusal(metrics, api_method(self.url.path), body)
            return body

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return aiohttp.ClientSession(
        trace_configs=[trace], timeout=aiohttp.ClientTimeout(total=30), response_class=CountedResponse
    )


def _count_refusal(metrics: Metrics, method: str, body: bytes) -> None:
    try:
        answer = json.loads(body)
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("ok") is False:
        metrics.slack_errors.labels(method, str(answer.get("error") or "unknown")).inc()
