"""The `/logs` answer says how many of the window's events its file holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.blocks.logs import logs_answer

END = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    timestamp: datetime
    message: str


def events(count: int) -> list[Event]:
    return [Event(END - timedelta(seconds=count - i), f"line {i}") for i in range(count)]


def header(shown: int, scanned: int, truncated: bool = False) -> str:
    answer = logs_answer(
        log_group="/aws/lambda/orders-api", events=events(shown), since=timedelta(hours=1), end=END,
        filter_text=None, scanned=scanned, truncated=truncated,
    )  # fmt: skip
    assert answer.file_content is not None
    return answer.blocks[0]["text"]["text"]


def test_a_file_of_the_newest_100_of_149_events_says_so() -> None:
    assert "the newest 100 of 149 events are in the file below" in header(100, 149)


def test_a_file_of_every_event_of_the_window_says_all() -> None:
    assert "all 100 events are in the file below" in header(100, 100)


def test_a_window_cut_short_counts_at_least_what_it_read() -> None:
    assert "the newest 100 of 5000+ events" in header(100, 5000, truncated=True)


def test_with_file_output_off_the_answer_shows_the_newest_lines_that_fit_and_what_it_left_out() -> None:
    answer = logs_answer(
        log_group="/aws/lambda/orders-api", events=events(100), since=timedelta(hours=1), end=END,
        filter_text=None, scanned=149, truncated=False, file_output=False,
    )  # fmt: skip
    assert answer.file_content is None and answer.file_name is None
    shown = [line for line in answer.blocks[1]["text"]["text"].splitlines() if line.startswith("20")]
    assert 0 < len(shown) < 100 and shown[-1].endswith("line 99")
    assert (
        f"the newest {len(shown)} of 149 events; {149 - len(shown)} older ones are left out (file output is off:"
        in answer.blocks[0]["text"]["text"]
    )
