"""moto taught to stream StartLiveTail (sandbox/aws/live_tail.py), through boto3 over HTTP: the response stream is
iterated as botocore decodes AWS's event stream, events arrive as they are put, only from the groups, streams and
filter asked for, and a session ends with the exceptions AWS ends it with."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, EventStreamError

from sandbox.aws import live_tail
from sandbox.aws.server import MotoHandle, sandbox_client

STREAM = "2026/12/05/[$LATEST]abc"


@pytest.fixture
def logs(moto: MotoHandle) -> Iterator[BaseClient]:
    client = sandbox_client(moto.endpoint, "logs")
    for group in ("/aws/lambda/orders", "/aws/lambda/billing", "/aws/lambda/other"):
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName=STREAM)
        client.create_log_stream(logGroupName=group, logStreamName="audit/1")
    yield client
    live_tail.reset()
    live_tail.break_sessions("test over")


def put(logs: BaseClient, group: str, *messages: str, stream: str = STREAM) -> None:
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


class Reader:
    """Iterates a response stream in a thread (as the bot does), so the test can put events meanwhile."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.stream = response["responseStream"]
        self.events: queue.Queue[dict[str, Any] | BaseException] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event)
        except BaseException as exc:  # handed to the test
            self.events.put(exc)

    def next(self, seconds: float = 5) -> dict[str, Any] | BaseException:
        return self.events.get(timeout=seconds)

    def messages_until(self, wanted: int, seconds: float = 5) -> list[str]:
        found: list[str] = []
        deadline = time.monotonic() + seconds
        while len(found) < wanted and time.monotonic() < deadline:
            try:
                event = self.next(max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            assert isinstance(event, dict), event
            found += [r["message"] for r in event.get("sessionUpdate", {}).get("sessionResults", [])]
        return found


def test_a_session_starts_then_streams_events_as_they_are_put(logs: BaseClient) -> None:
    put(logs, "/aws/lambda/orders", "ERROR before the session: never streamed")
    reader = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders", "/aws/lambda/billing"]))
    start = reader.next()
    assert isinstance(start, dict)
    assert [g.split(":log-group:")[1] for g in start["sessionStart"]["logGroupIdentifiers"]] == [
        "/aws/lambda/orders", "/aws/lambda/billing"
    ]  # fmt: skip
    put(logs, "/aws/lambda/orders", "ERROR one", "INFO two")
    put(logs, "/aws/lambda/billing", "ERROR three")
    put(logs, "/aws/lambda/other", "ERROR not tailed")
    assert sorted(reader.messages_until(3)) == ["ERROR one", "ERROR three", "INFO two"]
    put(logs, "/aws/lambda/orders", "later")
    assert reader.messages_until(1) == ["later"]
    reader.stream.close()
    assert live_until(lambda: live_tail.open_sessions() == 0)


def test_an_update_comes_every_second_even_without_events(logs: BaseClient) -> None:
    reader = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"]))
    reader.next()
    started = time.monotonic()
    updates = [reader.next(3) for _ in range(2)]
    assert all(isinstance(u, dict) and u["sessionUpdate"]["sessionResults"] == [] for u in updates)
    assert 1.5 < time.monotonic() - started < 3.5
    reader.stream.close()


def test_stream_names_prefixes_and_filter_terms_narrow_the_session(logs: BaseClient) -> None:
    by_name = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"], logStreamNames=["audit/1"]))
    by_filter = Reader(
        logs.start_live_tail(
            logGroupIdentifiers=["/aws/lambda/orders"], logEventFilterPattern='ERROR -retrying "db down"'
        )
    )
    either = Reader(
        logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"], logEventFilterPattern="?Timeout ?FATAL")
    )
    for reader in (by_name, by_filter, either):
        reader.next()
    put(logs, "/aws/lambda/orders", "ERROR db down", "ERROR db down, retrying", "error db down", "FATAL x", "Timeout y")
    put(logs, "/aws/lambda/orders", "audit entry", stream="audit/1")
    assert by_name.messages_until(1) == ["audit entry"]
    assert by_filter.messages_until(1) == ["ERROR db down"]
    assert sorted(either.messages_until(2)) == ["FATAL x", "Timeout y"]
    assert by_filter.messages_until(1, seconds=1.5) == []  # nothing else matched


def test_requests_aws_refuses_are_refused_with_its_errors(logs: BaseClient) -> None:
    eleven = [f"/aws/lambda/orders-{i}" for i in range(11)]
    with pytest.raises(ClientError) as too_many:
        logs.start_live_tail(logGroupIdentifiers=eleven)
    assert too_many.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as unknown:
        logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/nope"])
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as two_groups_with_streams:
        logs.start_live_tail(
            logGroupIdentifiers=["/aws/lambda/orders", "/aws/lambda/billing"], logStreamNamePrefixes=["audit"]
        )
    assert two_groups_with_streams.value.response["Error"]["Code"] == "InvalidParameterException"


def test_a_session_ends_with_a_timeout_at_its_limit(logs: BaseClient) -> None:
    live_tail.set_session_limit(1.5)
    reader = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"]))
    events = [reader.next(4) for _ in range(3)]  # start, one update, then the end
    assert isinstance(events[-1], EventStreamError)
    assert events[-1].response["Error"]["Code"] == "SessionTimeoutException"


def test_a_broken_session_ends_with_a_streaming_exception_and_new_ones_can_be_refused(logs: BaseClient) -> None:
    reader = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"]))
    reader.next()
    live_tail.refuse_sessions("ServiceUnavailableException")
    assert live_tail.break_sessions() == 1
    ended = reader.next()
    while isinstance(ended, dict):
        ended = reader.next()
    assert isinstance(ended, EventStreamError)
    assert ended.response["Error"]["Code"] == "SessionStreamingException"
    with pytest.raises(ClientError) as refused:
        logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"])
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailableException"


def test_a_reset_ends_every_session_so_the_next_test_counts_only_its_own(logs: BaseClient, moto: MotoHandle) -> None:
    """A client gone away leaves its session open until the next update fails to send: a reset (every test's `moto`
    fixture) ends it, and AWS's behaviour comes back; sessions counted from a mark are only the ones started since."""
    left_behind = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"]))
    left_behind.next()
    live_tail.refuse_sessions("ServiceUnavailableException")
    mark = live_tail.sessions_started()
    assert live_tail.open_sessions() == 1 and live_tail.open_sessions(started_after=mark) == 0

    moto.reset()
    assert live_tail.open_sessions() == 0
    logs = sandbox_client(moto.endpoint, "logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    own = Reader(logs.start_live_tail(logGroupIdentifiers=["/aws/lambda/orders"]))  # not refused any more
    own.next()
    assert live_tail.open_sessions(started_after=mark) == 1
    own.stream.close()


def live_until(condition: Any, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
