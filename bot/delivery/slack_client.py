"""The Slack Web API client: slack_sdk's, on one shared HTTP session whose every call is counted in metrics.

Bolt builds a fresh client for each request but hands it the app client's session, so counting at the session
covers the calls listeners make as well as the outbox drainer's.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp

from bot.runtime.metrics import Metrics


def counting_session(metrics: Metrics) -> aiohttp.ClientSession:
    trace = aiohttp.TraceConfig()

    async def on_end(
        _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        method = params.url.path.rsplit("/", 1)[-1]
        metrics.slack_calls.labels(method).inc()
        if params.response.status >= 400:
            metrics.slack_errors.labels(method, f"http_{params.response.status}").inc()

    async def on_exception(
        _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        method = params.url.path.rsplit("/", 1)[-1]
        metrics.slack_calls.labels(method).inc()
        metrics.slack_errors.labels(method, type(params.exception).__name__).inc()

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return aiohttp.ClientSession(trace_configs=[trace], timeout=aiohttp.ClientTimeout(total=30))
