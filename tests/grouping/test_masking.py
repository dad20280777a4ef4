"""Masking piece by piece gives the template that masking the whole text gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grouping import masking

WORDS = st.sampled_from(
    [
        "status", "Status:", "code=", "exit", "502", "Bad", "Gateway", "ord_123", "a@b.io", "x1.y@z.com:443",
        "null", "None.", "https://h.io/v1/7", "arn:aws:sns:eu-west-1:1:t", "s3", "app.py:42", "'k'", '"v w"',
        "[]", "{}", "0x1f", "7.5", "ms", "Error:", "a-b", "+c@d.org", ":8080", "1.0", "\t", "",
        # Parameters that span spaces, and what stands around them.
        "'alpha", "beta'", "can't", 'say"', '"', "'", "exited", "with", "Code:", "400,", "403", "Server", "Gateway:",
        "http", "HTTP", "errno", "signal", "9", "Request", "ID:", "status_code", "http_status", "R2XV9", "cus_6e39",
        "true", "nil", "undefined", "TRUE", "x_1", "v2", "ec2", "1_000", "4xx", "(Service:", "DynamoDb,", "é", "ms,",
        # Words that are one token, or nearly.
        "null.v1", "v1.null", "true-1", "x.py:3", "app.js:4:2", "1.2.3.4", "a/b/3", "1:", "s3:", "status:", "code.5",
        "http-5", "arn:5", "5:", "7:x", "-3", "+4.", "nil/9", "None1", "٣", "ab٣",
        # Words masked by a shape of their own: led by a digit, a URL, a token before closing punctuation.
        "09:48:51.385", "10.0.0.7:443", "7:status", "1@b.io", "1e3)", "https://h.io/v1/7:", "s3://b/k.json",
        "http://x'y", "https://h.io/a<b", "259)", "ord_17,", "x.py:3)", "None1)", "null.5;", "a:5)", "7),",
    ]
)  # fmt: skip


def whole_text(text: str) -> str:
    if "{" in text or "[" in text:
        text = masking.mask_documents(text)
    masked = masking._PARAMETER.sub(masking._replace, text)
    return masking._WILDCARD_RUN.sub(masking.WILDCARD, masked) if "<*>" in masked else masked


@settings(max_examples=1000, deadline=None)
@given(st.lists(WORDS, max_size=10))
def test_masking_piece_by_piece_is_whole_text_masking(words: list[str]) -> None:
    text = " ".join(words)
    assert masking._mask_uncached(text) == whole_text(text)


def test_a_quoted_value_and_a_status_code_span_their_words() -> None:
    text = "Lock 'blue whale' held, status 502 Bad Gateway (Service: S3, Status Code: 403, Request ID: R2XV9)"
    template = "Lock <*> held, status 502 Bad Gateway (Service: S3, Status Code: 403, Request ID: <*>)"
    assert masking.mask(text) == template
