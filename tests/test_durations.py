from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import DurationError, DurationTooLong, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), (" 2H ", 7200), (45, 45)],
)
def test_durations_people_write_are_understood(text: object, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5 minutes", "", "m", "0s", "-5m", "1x", True, None, [1]])
def test_anything_else_is_refused_with_an_example(text: object) -> None:
    with pytest.raises(DurationError, match="30s, 5m, 1h"):
        parse_duration(text)


@given(st.text(max_size=20))
def test_arbitrary_text_either_parses_or_raises_duration_error(text: str) -> None:
    try:
        assert parse_duration(text).total_seconds() > 0
    except DurationError:
        pass


def test_durations_render_compactly() -> None:
    assert format_duration(timedelta(seconds=42)) == "42s"
    assert format_duration(timedelta(minutes=65)) == "1h 5m"
    assert format_duration(timedelta(days=3, hours=4, minutes=5)) == "3d 4h"


@pytest.mark.parametrize("text", ["999999999999d", "99999999999999999999w", "3651d", 10.0**20])
def test_a_duration_past_the_longest_is_refused_not_overflowed(text: object) -> None:
    with pytest.raises(DurationTooLong, match="longer than 3650d"):
        parse_duration(text)


def test_a_place_can_take_less_than_the_longest() -> None:
    assert parse_duration("30d", at_most=timedelta(days=30)) == timedelta(days=30)
    with pytest.raises(DurationTooLong, match='"31d" is longer than 30d'):
        parse_duration("31d", at_most=timedelta(days=30))


@pytest.mark.parametrize("text", ["²s", "١٥m", float("nan"), float("-inf")])
def test_only_ascii_digits_and_real_numbers_make_a_duration(text: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)
