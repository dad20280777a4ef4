"""The lambda_errors check against moto: what fires, over which window, in how few GetMetricData calls."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.aws.metrics import MetricQuery, metric_data
from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from sandbox.aws import break_function, seed_estate
from sandbox.aws.server import MotoHandle, use_lambda_without_docker
from scheduler.checks.lambda_errors import LambdaErrorsParams, lambda_errors
from scheduler.registry import CheckContext
from tests.checks.moto_clients import Clients
from tests.checks.moto_clients import create_function as make_function
from tests.harness import FakeClock, running_bot

ACCOUNT_ID = "123456789012"
NOW = datetime.now(UTC).replace(second=30, microsecond=0)


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    use_lambda_without_docker(moto.endpoint)
    return Clients(moto)


def create_function(clients: Clients, name: str, *, timeout: int = 3, runtime: str = "python3.12") -> None:
    make_function(clients, name, Timeout=timeout, Runtime=runtime)


def put_metrics(clients: Clients, function: str, at: datetime, **values: float) -> None:
    """AWS/Lambda datapoints for `function` at `at`: Errors=..., Invocations=..., Throttles=..., Duration=..."""
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": at,
                "Value": value,
            }
            for metric, value in values.items()
        ],
    )


def run(clients: Clients, now: datetime = NOW, **params: Any) -> CheckResult:
    ctx = CheckContext(account="default", account_id=ACCOUNT_ID, region="us-east-1", now=now, client_for=clients)
    return lambda_errors(ctx, LambdaErrorsParams.model_validate(params))


def by_problem(result: CheckResult) -> dict[tuple[str, str], Finding]:
    return {(f.labels["function"], f.labels["problem"]): f for f in result.findings}


def test_errors_over_the_threshold_fire_with_their_numbers_and_a_completeness_note(clients: Clients) -> None:
    create_function(clients, "orders-api")
    put_metrics(clients, "orders-api", NOW - timedelta(minutes=2), Errors=7, Invocations=58, Duration=120)

    finding = by_problem(run(clients))["orders-api", "errors"]

    assert finding.firing
    assert finding.title == "orders-api: 7 errors in 5m (12% of 58 invocations)"
    assert finding.severity is Severity.WARNING
    assert finding.fingerprint == f"lambda_errors:{ACCOUNT_ID}:us-east-1:orders-api:errors"
    assert finding.resource == "orders-api"
    assert finding.labels == {"function": "orders-api", "runtime": "python3.12", "problem": "errors"}
    assert finding.links["console"].endswith("#/functions/orders-api?tab=monitoring")
    assert finding.evidence["Errors"] == "7 of 58 invocations (12%)"
    complete = NOW - timedelta(minutes=3, seconds=3)
    assert finding.evidence["Data"].startswith(f"Complete up to {complete:%H:%M} UTC")
    assert "arrive up to 3m late" in finding.evidence["Data"]


def test_errors_below_min_errors_do_not_fire_and_are_left_to_the_runs_scope(clients: Clients) -> None:
    create_function(clients, "orders-api")
    put_metrics(clients, "orders-api", NOW - timedelta(minutes=1), Errors=3, Invocations=40)

    result = run(clients, min_errors=5)

    assert result.findings == []
    assert result.covers(f"lambda_errors:{ACCOUNT_ID}:us-east-1:orders-api:errors")
    assert by_problem(run(clients, min_errors=3))["orders-api", "errors"].title == (
        "orders-api: 3 errors in 5m (8% of 40 invocations)"
    )


def test_error_rate_gates_firing_and_a_majority_failing_is_critical(clients: Clients) -> None:
    for name in ("busy", "broken"):
        create_function(clients, name)
    put_metrics(clients, "busy", NOW - timedelta(minutes=1), Errors=2, Invocations=100)
    put_metrics(clients, "broken", NOW - timedelta(minutes=1), Errors=6, Invocations=10)

    findings = by_problem(run(clients, error_rate=0.05))

    assert ("busy", "errors") not in findings
    assert findings["broken", "errors"].firing
    assert findings["broken", "errors"].severity is Severity.CRITICAL


def test_throttles_fire_at_their_threshold_and_zero_turns_them_off(clients: Clients) -> None:
    create_function(clients, "payments-worker")
    put_metrics(clients, "payments-worker", NOW - timedelta(minutes=2), Throttles=4, Invocations=9)

    finding = by_problem(run(clients, throttles=3))["payments-worker", "throttles"]
    assert finding.firing
    assert finding.title == "payments-worker: 4 throttles in 5m"
    assert ("payments-worker", "throttles") not in by_problem(run(clients, throttles=5))
    assert ("payments-worker", "throttles") not in by_problem(run(clients, throttles=0))


def test_an_invocation_near_its_timeout_fires_the_duration_finding(clients: Clients) -> None:
    create_function(clients, "slow", timeout=10)
    create_function(clients, "fine", timeout=10)
    put_metrics(clients, "slow", NOW - timedelta(minutes=1), Invocations=5, Duration=9_500)
    put_metrics(clients, "fine", NOW - timedelta(minutes=1), Invocations=5, Duration=5_000)

    findings = by_problem(run(clients))

    assert findings["slow", "duration"].firing
    assert findings["slow", "duration"].title == "slow: slowest invocation 9.5s of its 10s timeout in 5m"
    assert ("fine", "duration") not in findings
    assert ("slow", "duration") not in by_problem(run(clients, duration_ratio=0))


def test_the_window_reaches_back_the_timeout_plus_the_metric_delay_so_late_data_still_counts(
    clients: Clients,
) -> None:
    create_function(clients, "quick", timeout=3)
    create_function(clients, "batch", timeout=900)
    for name in ("quick", "batch"):
        put_metrics(clients, name, NOW - timedelta(minutes=10), Errors=2, Invocations=2)

    findings = by_problem(run(clients))

    assert ("quick", "errors") not in findings
    assert findings["batch", "errors"].firing
    assert findings["batch", "errors"].title == "batch: 2 errors in 18m (100% of 2 invocations)"
    complete = NOW - timedelta(minutes=18)
    assert findings["batch", "errors"].evidence["Data"].startswith(f"Complete up to {complete:%H:%M} UTC")


def test_only_functions_matching_the_globs_are_queried_and_reported(clients: Clients) -> None:
    for name in ("orders-api", "orders-worker", "payments-worker"):
        create_function(clients, name)
        put_metrics(clients, name, NOW - timedelta(minutes=1), Errors=1, Invocations=1)

    result = run(clients, functions=["orders-*"])

    assert {f.labels["function"] for f in result.findings} == {"orders-api", "orders-worker"}
    assert clients.metric_calls == [8]


def test_every_function_is_fetched_in_one_get_metric_data_call(clients: Clients) -> None:
    names = [f"fn-{i}" for i in range(5)]
    for name in names:
        create_function(clients, name)

    put_metrics(clients, "fn-3", NOW - timedelta(minutes=1), Errors=1, Invocations=1)

    result = run(clients)

    assert [f.resource for f in result.findings] == ["fn-3"]
    assert len(clients.metric_calls) == math.ceil(4 * len(names) / 500)


def test_metric_data_splits_520_queries_into_two_calls_and_maps_values_back_by_id(clients: Clients) -> None:
    put_metrics(clients, "fn-129", NOW - timedelta(minutes=2), Errors=4)
    metrics = ("Errors", "Throttles", "Invocations", "Duration")
    queries = [
        MetricQuery(f"f{i}_{metric.lower()}", "AWS/Lambda", metric, "Sum", {"FunctionName": f"fn-{i}"})
        for i in range(130)
        for metric in metrics
    ]

    series = metric_data(
        clients("cloudwatch"), queries, start=NOW - timedelta(minutes=5), end=NOW, period=timedelta(minutes=1)
    )

    assert clients.metric_calls == [500, 20]
    assert len(series) == 520
    assert [point.value for point in series["f129_errors"]] == [4.0]
    assert series["f0_errors"] == []


def test_metric_data_refuses_ids_that_cloudwatch_would_reject(clients: Clients) -> None:
    query = MetricQuery("orders-api", "AWS/Lambda", "Errors", "Sum", {"FunctionName": "orders-api"})

    with pytest.raises(ValueError, match="orders-api"):
        metric_data(
            clients("cloudwatch"), [query], start=NOW - timedelta(minutes=5), end=NOW, period=timedelta(minutes=1)
        )
    assert clients.metric_calls == []


def test_the_run_covers_every_function_of_the_region_so_a_deleted_functions_alerts_resolve(clients: Clients) -> None:
    result = run(clients)

    assert result.findings == []
    assert result.covers(f"lambda_errors:{ACCOUNT_ID}:us-east-1:deleted-fn:errors")
    assert not result.covers(f"lambda_errors:{ACCOUNT_ID}:eu-west-1:deleted-fn:errors")


def test_params_reject_unknown_keys_and_windows_shorter_than_a_minute() -> None:
    with pytest.raises(ValueError, match="treshold"):
        LambdaErrorsParams.model_validate({"treshold": 1})
    with pytest.raises(ValueError, match="window"):
        LambdaErrorsParams.model_validate({"window": "30s"})
    assert LambdaErrorsParams.model_validate({"window": "15m"}).window == timedelta(minutes=15)


async def test_a_broken_function_posts_one_incident_message_through_the_whole_bot(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    # The seeded hour ends long before the window, so only the breakage counts.
    await asyncio.to_thread(seed_estate, moto.endpoint, now=clock.now - timedelta(hours=2))
    await asyncio.to_thread(break_function, moto.endpoint, "orders-api", failures=3, now=clock.now, seed=1)
    config = {
        "slack": {"channel": "#alerts"},
        "aws": {"regions": ["us-east-1"], "max_attempts": 1},
        "checks": [{"type": "lambda_errors", "every": "1h"}],
    }

    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock) as bot:
        await bot.run_checks()
        await bot.drain()
        await bot.run_checks()
        await bot.drain()

        [message] = bot.slack.channel_messages("#alerts")
        assert "orders-api: 3 errors in 5m (100% of 3 invocations)" in str(message.blocks)
        posts = [call for call in bot.slack.calls_to("chat.postMessage") if not call.params.get("thread_ts")]
        assert len(posts) == 1  # its chart (charts are on by default) is a reply in its thread
