from __future__ import annotations

import pytest

from bot.grouping.tokens import WILDCARD, is_parameter, parameterize, shape, tokenize


@pytest.mark.parametrize(
    "value",
    [
        "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11",
        "2024-05-01T10:00:00.123Z",
        "10.0.12.7",
        "10.0.12.7:5432",
        "fe80::1ff:fe23:4567:890a",
        "0x7fed806eb5d",
        "ops@example.com",
        "https://api.example.com/v1/orders?id=7",
        "/var/task/app.py",
        "db-1.cluster-abc.us-east-1.rds.amazonaws.com",
        "db.internal:6379",
        "12345",
        "-1.5",
        "1-5759e988-bd862e3fe1be46a994272793",
    ],
)
def test_a_value_becomes_one_wildcard_between_words(value: str) -> None:
    assert tokenize(f"connect to {value} failed") == ("connect", "to", WILDCARD, "failed")


def test_sizes_and_durations_mask_with_their_unit() -> None:
    assert tokenize("took 35 ms to send 1.5 KB") == tokenize("took 1200 ms to send 12 bytes")


def test_syslog_dates_mask_with_their_month_and_weekday() -> None:
    assert tokenize("connection at Fri Jun 17 07:07:00 2005") == ("connection", "at", WILDCARD)


def test_key_value_pairs_split_into_key_and_masked_value() -> None:
    assert tokenize("status=500 retried=true user_id=8812") == (
        "status",
        WILDCARD,
        "retried",
        WILDCARD,
        "user_id",
        WILDCARD,
    )


def test_quoted_value_after_equals_sign_is_one_parameter() -> None:
    assert tokenize('acquire tag="View Lock" ok') == tokenize('acquire tag="RILJ" ok')


def test_names_with_a_digit_stay_words() -> None:
    assert tokenize("uploaded to s3 via ec2 over http2") == (
        "uploaded",
        "to",
        "s3",
        "via",
        "ec2",
        "over",
        "http2",
    )


def test_a_run_of_parameters_is_one_wildcard_so_optional_values_do_not_change_length() -> None:
    assert tokenize("sent 451 bytes (18.4 KB) ok") == tokenize("sent 451 bytes ok")


def test_is_parameter_separates_ids_from_words() -> None:
    assert is_parameter("8812")
    assert is_parameter("req-000123")
    assert not is_parameter("handler")
    assert not is_parameter("SOCKS5")


def test_shape_makes_numbered_names_alike() -> None:
    assert shape("eth0") == shape("eth12")


def test_parameterize_keeps_the_text_readable() -> None:
    assert parameterize("Order 8812 for ops@example.com failed after 30 ms") == (
        "Order <*> for <*> failed after <*> ms"
    )
    assert parameterize("KeyError: 'user_id'") == "KeyError: 'user_id'"
    assert parameterize("invalid memory address or nil pointer dereference") == (
        "invalid memory address or nil pointer dereference"
    )
