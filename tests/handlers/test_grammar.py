from __future__ import annotations

import shlex
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import CommandNames
from handlers.grammar import Scope, did_you_mean, parse_errors, parse_logs, parse_wait, split_words
from handlers.usage import UsageError


def test_logs_takes_target_since_filter_limit_and_scope_in_any_order() -> None:
    request = parse_logs('orders-api 2h filter "connection reset" limit 50 region eu-west-1 account prod')
    assert request.target == "orders-api"
    assert request.since == timedelta(hours=2)
    assert request.filter_text == "connection reset"
    assert request.limit == 50
    assert request.scope == Scope(account="prod", region="eu-west-1")


def test_logs_defaults_to_the_last_15_minutes_and_100_events() -> None:
    request = parse_logs("/aws/lambda/orders-api")
    assert (request.since, request.limit, request.filter_text) == (timedelta(minutes=15), 100, None)


def test_logs_live_streams_for_five_minutes_unless_told_and_takes_a_filter() -> None:
    request = parse_logs('orders-api live filter "db down" region eu-west-1')
    assert (request.target, request.live_for, request.filter_text) == ("orders-api", timedelta(minutes=5), "db down")
    assert request.scope.region == "eu-west-1"
    assert parse_logs("orders-api LIVE for 12m").live_for == timedelta(minutes=12)
    assert parse_logs("orders-api 1h").live_for is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("orders-api live for 2h", "`2h` is longer than 30m, the longest live tail there is."),
        ("orders-api live for soon", "`soon` is not a live tail like 15m, 2h, 1d."),
        ("orders-api live 10m", "Say how long with `for`, like `live for 10m`."),
        ("orders-api 1h for 10m", "`for` goes with `live`"),
        ("orders-api live limit 5", "`limit` is for a past window"),
    ],
)
def test_logs_live_mistakes_get_specific_messages(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_logs(text)
    assert problem in raised.value.text()


def test_smart_quotes_from_slack_clients_work_like_plain_ones() -> None:
    assert parse_logs("orders filter \u201cout of memory\u201d").filter_text == "out of memory"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "TARGET is missing"),
        ("orders-api soon", "`soon` is not a time span like 15m, 2h, 1d."),
        ("orders-api 1h extra", "`extra` is not understood here."),
        ("orders-api limit 0", "`limit` takes a number from 1 to 1000, not `0`."),
        ("orders-api limit", "`limit` needs a value after it."),
        ("orders-api region mars", "`mars` is not an AWS region like us-east-1."),
        ('orders-api filter "open', "A quote is not closed"),
        ("orders-api region us-east-1 region eu-west-1", "`region` is given twice."),
    ],
)
def test_each_mistake_gets_a_specific_problem_and_the_usage(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_logs(text)
    assert problem in caught.value.problem
    assert caught.value.usage is not None and caught.value.usage.startswith("/logs TARGET")


def test_errors_defaults_to_the_last_hour() -> None:
    assert parse_errors("payments-worker").since == timedelta(hours=1)


def test_wait_takes_service_waiter_ids_and_a_timeout() -> None:
    request = parse_wait("ec2 instance_running i-1 i-2 timeout 10m")
    assert (request.service, request.waiter, request.ids) == ("ec2", "instance_running", ("i-1", "i-2"))
    assert request.timeout == timedelta(minutes=10)


@pytest.mark.parametrize(("text", "missing"), [("", "SERVICE"), ("ec2", "WAITER"), ("ec2 instance_running", "ID")])
def test_wait_names_what_is_missing(text: str, missing: str) -> None:
    with pytest.raises(UsageError, match=f"{missing} is missing"):
        parse_wait(text)


def test_did_you_mean_offers_close_real_names_only() -> None:
    assert did_you_mean("orders-apl", ["orders-api", "payments-worker"]) == " Did you mean `orders-api`?"
    assert did_you_mean("zzz", ["orders-api"]) == ""


@given(st.text(max_size=80))
def test_no_text_makes_any_parser_raise_anything_but_a_usage_error(text: str) -> None:
    for parse in (parse_logs, parse_errors, parse_wait):
        try:
            parse(text)
        except UsageError:
            pass


@given(st.text(alphabet=st.sampled_from(list("ab1 \t\r\n\"'\\\u201c\u201d\u2018\u2019#;|\xa0\u2003")), max_size=40))
@settings(max_examples=2000)
def test_words_split_as_a_shell_would_with_or_without_quotes(text: str) -> None:
    smart = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
    try:
        expected: list[str] | str = shlex.split(text.translate(smart))
    except ValueError:
        expected = "unclosed quote"
    try:
        got: list[str] | str = split_words(text, "/logs TARGET")
    except UsageError:
        got = "unclosed quote"
    assert got == expected


@pytest.mark.parametrize(
    ("parse", "text", "problem"),
    [
        (parse_logs, "orders-api 999999999999d", "`999999999999d` is longer than 30d, the longest time span there is."),
        (parse_logs, "orders-api 31d", "longer than 30d"),
        (parse_errors, "orders-api 999999d", "longer than 30d"),
        (parse_wait, "ec2 instance_running i-1 timeout 13h", "longer than 12h, the longest timeout there is."),
        (parse_logs, "orders-api limit ²", "`limit` takes a number from 1 to 1000, not `²`."),
        (parse_logs, "orders-api limit ١٠", "`limit` takes a number from 1 to 1000"),
    ],
)
def test_numbers_and_spans_past_their_bounds_are_usage_errors(parse: object, text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)  # type: ignore[operator]
    assert problem in raised.value.problem


def test_free_text_is_length_limited_when_parsed() -> None:
    with pytest.raises(UsageError, match=r"The filter is 2,920 characters long; 500 at most\."):
        parse_logs("orders-api filter " + "x" * 2920)
    with pytest.raises(UsageError, match=r"101 ids is too many for one /wait; 100 at most\."):
        parse_wait("ec2 instance_running " + " ".join(f"i-{n}" for n in range(101)))
    with pytest.raises(UsageError, match=r"is 10,000 characters long; an id is 256 at most\."):
        parse_wait("ec2 instance_running " + "i" * 10_000)


def test_a_usage_error_that_echoes_the_input_cannot_ping_or_link() -> None:
    with pytest.raises(UsageError) as raised:
        parse_logs("orders-api <!channel>")
    assert "<!channel>" not in raised.value.text() and "&lt;!channel&gt;" in raised.value.text()


def test_a_usage_error_names_the_command_as_the_prefix_makes_it() -> None:
    with pytest.raises(UsageError) as raised:
        parse_logs("", CommandNames("bw-"))
    assert raised.value.usage == (
        "/bw-logs TARGET [SINCE | live [for DURATION]] [filter TEXT] [limit N] [account NAME] [region REGION]"
    )
    with pytest.raises(UsageError, match="101 ids is too many for one /bw-wait"):
        parse_wait("ec2 instance_running " + " ".join(f"i-{n}" for n in range(101)), CommandNames("bw-"))
