"""Usage errors quote what people typed so that it reads as typed: no ping, no link, no quote ended early."""

from __future__ import annotations

import pytest

from handlers.grammar import parse_logs
from handlers.usage import UsageError


def usage_error(text: str) -> str:
    with pytest.raises(UsageError) as raised:
        parse_logs(text)
    return raised.value.text()


def test_a_typed_word_with_backticks_stays_inside_one_quote() -> None:
    shown = usage_error("orders-api 3`h_*x*`")

    assert shown.startswith("`3ˋh_*x*ˋ` is not a time span like 15m, 2h, 1d.")
    assert shown.count("`") == 4  # the quote's two, and the usage's two


def test_a_typed_ping_is_shown_as_text() -> None:
    shown = usage_error("orders-api <!here>")

    assert "<!here>" not in shown and "`&lt;!here&gt;`" in shown


def test_a_very_long_word_is_cut_in_the_echo() -> None:
    shown = usage_error("orders-api " + "9" * 5000 + "x")

    assert len(shown) < 400 and "…`" in shown
