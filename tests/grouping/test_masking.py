"""Masking word by word gives the template that masking the whole text gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grouping import masking

WORDS = st.sampled_from(
    [
        "status", "Status:", "code=", "exit", "502", "Bad", "Gateway", "ord_123", "a@b.io", "x1.y@z.com:443",
        "null", "None.", "https://h.io/v1/7", "arn:aws:sns:eu-west-1:1:t", "s3", "app.py:42", "'k'", '"v w"',
        "[]", "{}", "0x1f", "7.5", "ms", "Error:", "a-b", "+c@d.org", ":8080", "1.0", "\t", "",
    ]
)  # fmt: skip


def whole_text(text: str) -> str:
    if "{" in text or "[" in text:
        text = masking.mask_documents(text)
    masked = masking._PARAMETER.sub(masking._replace, text)
    return masking._WILDCARD_RUN.sub(masking.WILDCARD, masked) if "<*>" in masked else masked


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=8))
def test_word_by_word_masking_is_whole_text_masking(words: list[str]) -> None:
    text = " ".join(words)
    assert masking._mask_uncached(text) == whole_text(text)
