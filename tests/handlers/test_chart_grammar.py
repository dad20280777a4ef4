"""`/boltwatch chart TARGET [METRIC] [SINCE]`: a word that starts with a digit is SINCE, any other is METRIC."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.grammar import ChartAsk, Scope, parse_chart
from handlers.usage import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders", ChartAsk("orders")),
        ("orders 1d", ChartAsk("orders", since=timedelta(days=1))),
        ("orders Errors", ChartAsk("orders", "Errors")),
        ("orders Errors 30m", ChartAsk("orders", "Errors", timedelta(minutes=30))),
        ("shop/web region eu-west-1 6h", ChartAsk("shop/web", None, timedelta(hours=6), Scope(region="eu-west-1"))),
    ],
)
def test_target_metric_and_since_are_told_apart(text: str, expected: ChartAsk) -> None:
    assert parse_chart(text.split()) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "TARGET is missing"),
        ("orders 3x", "`3x` is not a time span like 15m, 2h, 1d."),
        ("orders 15d", "`15d` is longer than 14d"),
        ("orders Errors soon", "`soon` is not a time span like 3h or 1d."),
        ("orders Errors 1h more", "`more` is not understood here."),
        ("orders region mars", "`mars` is not an AWS region"),
    ],
)
def test_mistakes_say_what_is_wrong_with_the_usage(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_chart(text.split())
    assert problem in raised.value.problem
    assert raised.value.usage == "/boltwatch chart TARGET [METRIC] [SINCE] [account NAME] [region REGION]"
