"""fingerprint and the miner must take any text a log can hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grouping import TemplateMiner, fingerprint, group_messages, is_error

FRAGMENTS = st.sampled_from(
    [
        "[ERROR] ",
        "Traceback (most recent call last):\n",
        '  File "/var/task/a.py", line 1, in h\n',
        "    at f (file:///var/task/i.mjs:1:2)\n",
        "\tat com.x.Y.z(Y.java:1)\n",
        "panic: x\n\ngoroutine 1 [running]:\n",
        '{"errorType":',
        '"errorMessage":',
        "}",
        "{",
        "Task timed out after 1.00 seconds",
        "INIT_REPORT ",
        "Status: error",
        "Caused by: ",
        "\t",
        "\n",
        "=",
        '"',
        "'",
        "()",
        "0x1f",
        "10.0.0.1:80",
        "/a/b",
    ]
)
LOG_TEXT = st.lists(st.one_of(st.text(max_size=40), FRAGMENTS), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(LOG_TEXT)
def test_fingerprint_never_raises_and_gives_a_short_key(message: str) -> None:
    signature = fingerprint(message)
    assert len(signature.key) == 16
    assert signature.kind in ("exception", "platform", "template")
    assert isinstance(is_error(message), bool)


@settings(max_examples=100, deadline=None)
@given(st.lists(LOG_TEXT, max_size=20))
def test_miner_and_batch_grouping_never_raise(messages: list[str]) -> None:
    miner = TemplateMiner()
    for message in messages:
        miner.add(message)
    assert len(group_messages(messages)) == len(messages)
