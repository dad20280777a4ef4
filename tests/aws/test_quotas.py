from __future__ import annotations

import threading
import time

import boto3

from bot.aws.quotas import LogsQuota, TokenBucket, interactive_reads
from bot.aws.sessions import AwsSessions
from bot.aws.settings import AwsSettings
from sandbox.aws.server import MotoHandle


def test_a_bucket_lets_a_burst_through_then_holds_to_its_rate() -> None:
    bucket = TokenBucket(5.0)
    started = time.monotonic()
    for _ in range(10):
        bucket.acquire()
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.5, elapsed


def test_callers_queued_for_a_token_are_counted() -> None:
    bucket = TokenBucket(2.0, burst=1)
    bucket.acquire()
    threads = [threading.Thread(target=bucket.acquire) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    assert bucket.waiting == 3
    for thread in threads:
        thread.join()
    assert bucket.waiting == 0


def test_filter_log_events_calls_share_one_bucket_per_account_and_region(moto: MotoHandle) -> None:
    logs = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
    logs.create_log_group(logGroupName="/app")
    sessions = AwsSessions(AwsSettings(max_attempts=1), endpoint_url=moto.endpoint, guard_event_loop=False)
    sessions.logs_quota = LogsQuota({"FilterLogEvents": 4.0})
    client = sessions.client("logs")
    started = time.monotonic()
    for _ in range(8):
        client.filter_log_events(logGroupName="/app")
    assert time.monotonic() - started >= 0.9
    assert sessions.logs_quota.bucket("default", "us-east-1").waiting == 0


def test_a_persons_read_takes_the_next_token_before_scheduled_reads_queued_earlier(moto: MotoHandle) -> None:
    logs = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
    logs.create_log_group(logGroupName="/app")
    sessions = AwsSessions(AwsSettings(max_attempts=1), endpoint_url=moto.endpoint, guard_event_loop=False)
    sessions.logs_quota = LogsQuota({"FilterLogEvents": 4.0})
    client = sessions.client("logs")
    bucket = sessions.logs_quota.bucket("default", "us-east-1")
    finished: list[str] = []

    def scheduled() -> None:
        client.filter_log_events(logGroupName="/app")
        finished.append("scheduled")

    def person() -> None:
        with interactive_reads():
            client.filter_log_events(logGroupName="/app")
        finished.append("person")

    for _ in range(4):
        client.filter_log_events(logGroupName="/app")  # the burst is spent
    check = [threading.Thread(target=scheduled) for _ in range(6)]
    for thread in check:
        thread.start()
    while bucket.waiting + len(finished) < 6:
        time.sleep(0.01)
    person_thread = threading.Thread(target=person)
    person_thread.start()
    ahead = len(finished)
    for thread in [*check, person_thread]:
        thread.join()

    # Queued behind five or six scheduled reads, it goes next (or after the one that had its token already).
    assert finished.index("person") <= ahead + 1
    assert len(finished) == 7 and ahead <= 2
