"""The s3_arrival check against moto: which period's file is expected, when its absence fires, when it resolves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from sandbox.aws.server import MotoHandle
from scheduler.checks.s3_arrival import S3ArrivalParams, periods, s3_arrival
from scheduler.registry import CheckContext

ACCOUNT_ID = "123456789012"
BUCKET = "acme-etl"
DAILY = "exports/%Y/%m/%d/orders.csv"
FRIDAY = datetime(2026, 11, 27, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def s3(moto: MotoHandle) -> BaseClient:
    client = boto3.client(
        "s3", endpoint_url=moto.endpoint, region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def put(s3: BaseClient, key: str, body: bytes = b"id,total\n1,9.99\n") -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def run(s3: BaseClient, now: datetime, **params: Any) -> CheckResult:
    ctx = CheckContext(
        account="default", account_id=ACCOUNT_ID, region="us-east-1", now=now, client_for=lambda _service: s3
    )
    settings = {"bucket": BUCKET, "key": DAILY, "deadline": "06:30"} | params
    return s3_arrival(ctx, S3ArrivalParams.model_validate(settings))


def by_period(result: CheckResult) -> dict[str, Finding]:
    return {f.labels["period"]: f for f in result.findings}


def test_a_file_missing_past_its_deadline_fires_with_how_late_it_is(s3: BaseClient) -> None:
    put(s3, "exports/2026/11/26/orders.csv")

    finding = by_period(run(s3, FRIDAY.replace(hour=7, minute=15)))["2026-11-27"]

    assert finding.firing
    assert finding.title == f"s3://{BUCKET}/exports/2026/11/27/orders.csv has not arrived (due 06:30 UTC)"
    assert finding.fingerprint == f"s3_arrival:{ACCOUNT_ID}:us-east-1:{BUCKET}/{DAILY}:2026-11-27"
    assert finding.labels == {"bucket": BUCKET, "key": DAILY, "period": "2026-11-27"}
    assert finding.severity is Severity.WARNING
    assert finding.started_at == FRIDAY.replace(hour=6, minute=30)
    assert finding.evidence["Expected"] == f"s3://{BUCKET}/exports/2026/11/27/orders.csv, at least 1 B"
    assert finding.evidence["Deadline"] == "Fri 2026-11-27 06:30 UTC (06:30 UTC)"
    assert finding.evidence["Late by"] == "45m"
    assert finding.evidence[f"Newest under s3://{BUCKET}/exports/2026/11/27/"] == "nothing"
    assert finding.links["console"].endswith(
        f"/s3/buckets/{BUCKET}?region=us-east-1&prefix=exports%2F2026%2F11%2F27%2F"
    )


def test_the_newest_object_beside_a_missing_file_is_in_the_evidence(s3: BaseClient) -> None:
    put(s3, "exports/orders-20261126.csv")

    finding = by_period(run(s3, FRIDAY.replace(hour=8), key="exports/orders-%Y%m%d.csv"))["2026-11-27"]

    assert finding.firing
    newest = finding.evidence[f"Newest under s3://{BUCKET}/exports/"]
    assert newest.startswith("exports/orders-20261126.csv (16 B), ")


def test_a_file_that_has_arrived_does_not_fire(s3: BaseClient) -> None:
    put(s3, "exports/2026/11/27/orders.csv")

    finding = by_period(run(s3, FRIDAY.replace(hour=9)))["2026-11-27"]

    assert not finding.firing
    assert finding.title == f"s3://{BUCKET}/exports/2026/11/27/orders.csv arrived"
    assert finding.evidence["Arrived"].startswith("exports/2026/11/27/orders.csv (16 B) at ")


def test_before_the_deadline_todays_file_is_not_due_but_yesterdays_missing_file_keeps_firing(s3: BaseClient) -> None:
    findings = by_period(run(s3, FRIDAY.replace(hour=6)))

    assert not findings["2026-11-27"].firing
    assert findings["2026-11-27"].title == f"s3://{BUCKET}/exports/2026/11/27/orders.csv is not due until 06:30 UTC"
    assert findings["2026-11-26"].firing
    assert findings["2026-11-26"].evidence["Late by"] == "23h 30m"


def test_yesterdays_alert_resolves_when_its_file_finally_arrives(s3: BaseClient) -> None:
    put(s3, "exports/2026/11/26/orders.csv")

    assert not by_period(run(s3, FRIDAY.replace(hour=6)))["2026-11-26"].firing


def test_the_run_covers_older_periods_of_the_same_file_so_their_alerts_resolve(s3: BaseClient) -> None:
    result = run(s3, FRIDAY.replace(hour=9))
    scope = f"s3_arrival:{ACCOUNT_ID}:us-east-1:{BUCKET}/{DAILY}:"

    assert set(by_period(result)) == {"2026-11-27", "2026-11-26"}
    assert result.covers(scope + "2026-11-24")
    assert not result.covers(f"s3_arrival:{ACCOUNT_ID}:us-east-1:{BUCKET}/other/%Y.csv:2026-11-24")
    assert not result.covers(f"s3_arrival:{ACCOUNT_ID}:eu-west-1:{BUCKET}/{DAILY}:2026-11-24")


def test_a_deadline_in_new_york_is_due_at_its_utc_instant_and_expands_the_new_york_date(s3: BaseClient) -> None:
    early = by_period(run(s3, FRIDAY.replace(hour=11), timezone="America/New_York"))["2026-11-27"]
    late = by_period(run(s3, FRIDAY.replace(hour=11, minute=45), timezone="America/New_York"))["2026-11-27"]
    put(s3, "exports/2026/11/27/orders.csv")
    # 02:00 UTC on Saturday is still Friday evening in New York: Friday's file is the current one.
    evening = by_period(run(s3, SATURDAY.replace(hour=2), timezone="America/New_York"))

    assert not early.firing
    assert late.firing
    assert late.title.endswith("(due 06:30 America/New_York)")
    assert late.evidence["Deadline"] == "Fri 2026-11-27 06:30 America/New_York (11:30 UTC)"
    assert late.evidence["Late by"] == "15m"
    assert set(evening) == {"2026-11-27", "2026-11-26"}
    assert not evening["2026-11-27"].firing


def test_a_weekdays_schedule_expects_nothing_on_saturday_and_looks_back_to_friday_on_monday(s3: BaseClient) -> None:
    saturday = by_period(run(s3, SATURDAY.replace(hour=10), schedule="weekdays"))
    monday = by_period(run(s3, MONDAY.replace(hour=3), schedule="weekdays"))

    assert set(saturday) == {"2026-11-27", "2026-11-26"}
    assert saturday["2026-11-27"].firing
    assert set(monday) == {"2026-11-30", "2026-11-27"}
    assert not monday["2026-11-30"].firing
    assert monday["2026-11-27"].firing


def test_an_object_smaller_than_min_size_does_not_count_as_arrived(s3: BaseClient) -> None:
    put(s3, "exports/2026/11/27/orders.csv", b"")

    empty = by_period(run(s3, FRIDAY.replace(hour=7)))["2026-11-27"]
    allowed = by_period(run(s3, FRIDAY.replace(hour=7), min_size=0))["2026-11-27"]

    assert empty.firing
    assert empty.evidence["Too small"] == "exports/2026/11/27/orders.csv (0 B): under min_size 1 B"
    assert not allowed.firing


def test_an_exact_key_is_not_satisfied_by_a_longer_key_that_starts_with_it(s3: BaseClient) -> None:
    put(s3, "exports/2026/11/27/orders.csv.tmp")

    finding = by_period(run(s3, FRIDAY.replace(hour=7)))["2026-11-27"]

    assert finding.firing
    assert finding.evidence[f"Newest under s3://{BUCKET}/exports/2026/11/27/"].startswith(
        "exports/2026/11/27/orders.csv.tmp (16 B), "
    )


def test_a_prefix_arrives_with_any_object_under_it_big_enough(s3: BaseClient) -> None:
    prefix = "warehouse/dt=%Y-%m-%d/"
    put(s3, "warehouse/dt=2026-11-27/_SUCCESS", b"")
    marker_only = by_period(run(s3, FRIDAY.replace(hour=7), key=prefix))["2026-11-27"]
    put(s3, "warehouse/dt=2026-11-27/part-0000.parquet")
    with_data = by_period(run(s3, FRIDAY.replace(hour=7), key=prefix))["2026-11-27"]

    assert marker_only.firing
    assert marker_only.evidence["Expected"] == f"an object of at least 1 B under s3://{BUCKET}/warehouse/dt=2026-11-27/"
    assert "_SUCCESS (0 B)" in marker_only.evidence["Too small"]
    assert not with_data.firing


def test_grace_delays_firing_but_lateness_counts_from_the_deadline(s3: BaseClient) -> None:
    within = by_period(run(s3, FRIDAY.replace(hour=6, minute=45), grace="30m"))["2026-11-27"]
    after = by_period(run(s3, FRIDAY.replace(hour=7, minute=5), grace="30m"))["2026-11-27"]

    assert not within.firing
    assert after.firing
    assert after.evidence["Late by"] == "35m"
    assert after.evidence["Deadline"].endswith(", plus 30m grace")
    assert after.started_at == FRIDAY.replace(hour=7)


def test_an_hourly_file_is_expected_minutes_past_each_hour(s3: BaseClient) -> None:
    key = "events/%Y%m%d/%H.json"
    put(s3, "events/20261127/13.json")

    before = by_period(run(s3, FRIDAY.replace(hour=14, minute=10), key=key, schedule="hourly", deadline=":15"))
    after = by_period(run(s3, FRIDAY.replace(hour=14, minute=20), key=key, schedule="hourly", deadline=":15"))

    assert set(after) == {"2026-11-27T14:00+00:00", "2026-11-27T13:00+00:00"}
    assert not before["2026-11-27T14:00+00:00"].firing
    assert after["2026-11-27T14:00+00:00"].firing
    assert (
        after["2026-11-27T14:00+00:00"].title
        == f"s3://{BUCKET}/events/20261127/14.json has not arrived (due 14:15 UTC)"
    )
    assert not after["2026-11-27T13:00+00:00"].firing


def test_hourly_periods_stay_distinct_across_the_repeated_hour_when_clocks_go_back() -> None:
    params = S3ArrivalParams(
        bucket=BUCKET, key="%H.json", deadline=":15", schedule="hourly", timezone="America/New_York"
    )

    # 06:30 UTC on 1 November 2026 is 01:30 EST, the second 01:00 hour of the day in New York.
    current, previous = periods(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), params)

    assert (current.key, previous.key) == ("01.json", "01.json")
    assert (current.id, previous.id) == ("2026-11-01T01:00-05:00", "2026-11-01T01:00-04:00")
    assert current.due == datetime(2026, 11, 1, 6, 15, tzinfo=UTC)


def test_a_check_pinned_to_another_region_reports_and_resolves_nothing_here(s3: BaseClient) -> None:
    result = run(s3, FRIDAY.replace(hour=9), region="eu-west-1")

    assert result.findings == []
    assert not result.covers(f"s3_arrival:{ACCOUNT_ID}:us-east-1:{BUCKET}/{DAILY}:2026-11-27")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timezone": "Europe/Atlantis"}, "unknown time zone 'Europe/Atlantis'"),
        ({"deadline": ":15"}, "does not fit the daily schedule"),
        ({"deadline": "06:30", "schedule": "hourly"}, "does not fit the hourly schedule"),
        ({"deadline": "24:00"}, "does not fit the daily schedule"),
        ({"grace": "1d"}, "grace must be shorter than one daily period"),
        ({"deadlin": "06:30"}, "deadlin"),
    ],
)
def test_params_name_what_is_wrong(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S3ArrivalParams.model_validate({"bucket": BUCKET, "key": DAILY, "deadline": "06:30"} | settings)
