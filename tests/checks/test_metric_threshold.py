"""The metric_threshold check: M-of-N evaluation as a pure function, and the GetMetricData path against moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from sandbox.aws.server import MotoHandle
from scheduler.checks.metric_threshold import (
    MetricRule,
    MetricThresholdParams,
    Verdict,
    evaluate,
    metric_threshold,
    period_starts,
)
from scheduler.registry import CheckContext
from tests.checks.moto_clients import Clients

ACCOUNT_ID = "123456789012"
NOW = datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)
QUEUE = {"QueueName": "orders"}
BACKLOG = {
    "name": "orders-backlog",
    "namespace": "AWS/SQS",
    "metric": "ApproximateNumberOfMessagesVisible",
    "dimensions": QUEUE,
    "statistic": "Average",
    "comparison": ">",
    "threshold": 100,
    "datapoints_to_alarm": 3,
    "evaluation_periods": 5,
}


def rule(**fields: Any) -> MetricRule:
    return MetricRule.model_validate(BACKLOG | fields)


def verdict(values: list[float | None], **fields: Any) -> Verdict:
    return evaluate(values, rule(**fields)).verdict


# The evaluation, as a pure function.


def test_m_of_n_fires_at_exactly_m_breaching_periods_and_not_one_fewer() -> None:
    assert verdict([150, 90, 150, 90, 150]) is Verdict.FIRING
    assert verdict([150, 90, 150, 90, 90]) is Verdict.OK


def test_breaching_periods_need_not_be_consecutive_nor_recent() -> None:
    assert verdict([150, 150, 150, 90, 90]) is Verdict.FIRING


@pytest.mark.parametrize(
    ("comparison", "below", "equal", "above"),
    [(">", False, False, True), (">=", False, True, True), ("<", True, False, False), ("<=", True, True, False)],
)
def test_each_comparison_breaches_on_its_side_of_the_threshold(
    comparison: str, below: bool, equal: bool, above: bool
) -> None:
    def fires(value: float) -> bool:
        return verdict([value], comparison=comparison, datapoints_to_alarm=1, evaluation_periods=1) is Verdict.FIRING

    assert (fires(99.5), fires(100), fires(100.5)) == (below, equal, above)


def test_missing_data_counts_as_breaching_when_told() -> None:
    assert verdict([150, None, None, 90, 90], missing_data="breaching") is Verdict.FIRING
    assert evaluate([150, None, None, 90, 90], rule(missing_data="breaching")).breaching == 3
    assert verdict([None] * 5, missing_data="breaching") is Verdict.FIRING


def test_missing_data_counts_as_fine_when_not_breaching_so_no_data_resolves() -> None:
    assert verdict([150, None, None, 150, 90], missing_data="not_breaching") is Verdict.OK
    assert verdict([None] * 5, missing_data="not_breaching") is Verdict.OK


def test_ignored_missing_data_counts_neither_way_and_no_data_at_all_gives_no_verdict() -> None:
    assert verdict([150, None, 150, None, 150]) is Verdict.FIRING
    assert verdict([150, None, None, 150, 90]) is Verdict.OK
    assert verdict([None] * 5) is Verdict.NO_DATA


def test_the_evaluation_counts_breaching_and_missing_periods() -> None:
    evaluation = evaluate([150, None, 90, 150, None], rule())

    assert (evaluation.breaching, evaluation.missing) == (2, 2)


def test_periods_are_the_last_complete_ones_aligned_to_the_period() -> None:
    assert period_starts(NOW, timedelta(minutes=1), 3) == [
        datetime(2026, 11, 27, 11, 57, tzinfo=UTC),
        datetime(2026, 11, 27, 11, 58, tzinfo=UTC),
        datetime(2026, 11, 27, 11, 59, tzinfo=UTC),
    ]
    assert period_starts(NOW.replace(minute=7), timedelta(minutes=5), 2) == [
        datetime(2026, 11, 27, 11, 55, tzinfo=UTC),
        datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    ]


def test_the_rule_reads_as_a_sentence() -> None:
    assert rule().in_words() == (
        "Average of AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=orders) > 100 for 3 of 5 minutes"
    )
    five_minutes = rule(period="5m", dimensions={}, statistic="Sum", comparison="<=", threshold=0.5)
    assert (
        five_minutes.in_words() == "Sum of AWS/SQS ApproximateNumberOfMessagesVisible <= 0.5 for 3 of 5 periods of 5m"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"statistic": "p99"}, "statistic"),
        ({"period": "90s"}, "whole number of minutes"),
        ({"datapoints_to_alarm": 6}, "cannot exceed evaluation_periods"),
        ({"comparison": "=="}, "comparison"),
        ({"missing_data": "missing"}, "missing_data"),
        ({"treshold": 5}, "treshold"),
    ],
)
def test_rules_name_what_is_wrong(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule(**fields)


def test_two_rules_may_not_share_a_name() -> None:
    with pytest.raises(ValueError, match="two metrics share the name 'orders-backlog'"):
        MetricThresholdParams.model_validate({"metrics": [BACKLOG, BACKLOG]})


# The check against moto.


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    return Clients(moto)


def put(clients: Clients, values: list[float], *, metric: str = BACKLOG["metric"], queue: str = "orders") -> None:
    """One datapoint a minute, the last in the minute before NOW, oldest first."""
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "QueueName", "Value": queue}],
                "Timestamp": NOW.replace(second=10) - timedelta(minutes=len(values) - n),
                "Value": value,
            }
            for n, value in enumerate(values)
        ],
    )


def run(clients: Clients, *rules: dict[str, Any], **params: Any) -> CheckResult:
    ctx = CheckContext(account="default", account_id=ACCOUNT_ID, region="us-east-1", now=NOW, client_for=clients)
    return metric_threshold(ctx, MetricThresholdParams.model_validate({"metrics": list(rules or [BACKLOG])} | params))


def by_rule(result: CheckResult) -> dict[str, Finding]:
    return {f.labels["rule"]: f for f in result.findings}


def test_a_backlog_over_the_threshold_for_3_of_5_minutes_fires_with_its_values(clients: Clients) -> None:
    put(clients, [40, 150, 90, 220, 340])

    finding = by_rule(run(clients))["orders-backlog"]

    assert finding.firing
    assert finding.title == "orders-backlog: ApproximateNumberOfMessagesVisible > 100 for 3 of 5 minutes"
    assert finding.fingerprint == f"metric_threshold:{ACCOUNT_ID}:us-east-1:orders-backlog"
    assert finding.severity is Severity.WARNING
    assert finding.resource == "orders"
    assert finding.labels == {
        "QueueName": "orders",
        "namespace": "AWS/SQS",
        "metric": "ApproximateNumberOfMessagesVisible",
        "rule": "orders-backlog",
    }
    assert finding.evidence["Rule"] == (
        "Average of AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=orders) > 100 for 3 of 5 minutes"
    )
    assert finding.evidence["Values"] == (
        "11:55 40, 11:56 150 (breaching), 11:57 90, 11:58 220 (breaching), 11:59 340 (breaching)"
    )
    assert finding.evidence["Window"] == "11:55–12:00 UTC"
    assert "Missing data" not in finding.evidence
    assert (
        "#metricsV2:graph=~();search=ApproximateNumberOfMessagesVisible;namespace=AWS%2FSQS"
        in (finding.links["console"])
    )


def test_two_breaching_minutes_of_five_do_not_fire_and_say_so(clients: Clients) -> None:
    put(clients, [40, 150, 90, 90, 340])

    finding = by_rule(run(clients))["orders-backlog"]

    assert not finding.firing
    assert finding.title == "orders-backlog: ApproximateNumberOfMessagesVisible > 100 for 2 of 5 minutes"


def test_the_current_incomplete_minute_is_not_evaluated(clients: Clients) -> None:
    put(clients, [40, 40, 40, 40, 40])
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[{"MetricName": BACKLOG["metric"], "Dimensions": [{"Name": "QueueName", "Value": "orders"}],
                     "Timestamp": NOW.replace(second=5), "Value": 10_000}],
    )  # fmt: skip

    assert not by_rule(run(clients, BACKLOG | {"datapoints_to_alarm": 1}))["orders-backlog"].firing


def test_each_rule_reads_its_own_dimensions(clients: Clients) -> None:
    put(clients, [500, 500, 500, 500, 500], queue="orders")
    put(clients, [1, 1, 1, 1, 1], queue="refunds")
    refunds = BACKLOG | {"name": "refunds-backlog", "dimensions": {"QueueName": "refunds"}, "severity": "critical"}

    findings = by_rule(run(clients, BACKLOG, refunds))

    assert findings["orders-backlog"].firing
    assert not findings["refunds-backlog"].firing
    assert findings["refunds-backlog"].severity is Severity.CRITICAL


def test_a_rule_without_data_is_not_reported_when_missing_data_is_ignored_so_its_alert_stays(
    clients: Clients,
) -> None:
    result = run(clients)

    assert result.findings == []
    assert not result.covers(f"metric_threshold:{ACCOUNT_ID}:us-east-1:orders-backlog")


def test_a_rule_without_data_fires_when_missing_data_is_breaching_and_resolves_when_not(clients: Clients) -> None:
    put(clients, [150, 150])
    breaching = by_rule(run(clients, BACKLOG | {"missing_data": "breaching"}))["orders-backlog"]
    fine = by_rule(run(clients, BACKLOG | {"missing_data": "not_breaching"}))["orders-backlog"]

    assert breaching.firing
    assert breaching.evidence["Values"].startswith("11:55 no data, 11:56 no data, 11:57 no data, 11:58 150")
    assert breaching.evidence["Missing data"] == "3 of 5 periods, counted as breaching"
    assert not fine.firing
    assert fine.evidence["Missing data"] == "3 of 5 periods, counted as fine"


def test_rules_are_fetched_in_one_get_metric_data_call_per_distinct_period(clients: Clients) -> None:
    minutely = [BACKLOG | {"name": f"queue-{n}", "dimensions": {"QueueName": f"queue-{n}"}} for n in range(4)]
    five_minutely = [rule | {"name": f"{rule['name']}-5m", "period": "5m"} for rule in minutely[:2]]

    run(clients, *minutely, *five_minutely)

    assert sorted(clients.metric_calls) == [2, 4]


def test_five_minute_periods_aggregate_the_minutes_within_them(clients: Clients) -> None:
    put(clients, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    summed = BACKLOG | {"statistic": "Sum", "period": "5m", "threshold": 300, "datapoints_to_alarm": 1}

    finding = by_rule(run(clients, summed | {"evaluation_periods": 2}))["orders-backlog"]

    assert finding.firing
    assert finding.evidence["Values"] == "11:50 150, 11:55 400 (breaching)"
    assert finding.title == "orders-backlog: ApproximateNumberOfMessagesVisible > 300 for 1 of 2 periods of 5m"


def test_a_check_pinned_to_another_region_queries_and_resolves_nothing_here(clients: Clients) -> None:
    result = run(clients, region="eu-west-1")

    assert result.findings == []
    assert clients.metric_calls == []
