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


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)


@settings(max_examples=1000, deadline=None)
@given(WORDS.filter(lambda word: " " not in word), st.data())
def test_a_word_new_only_in_its_digits_is_masked_as_its_shape_was(word: str, data: st.DataObject) -> None:
    # Masking remembers a word's mask under its shape (its digits as "0") when the mask keeps no digit.
    other = "".join(data.draw(DIGITS) if c in "0123456789" else c for c in word)
    first = masking._mask_other_word(word)
    if not any(c in "0123456789" for c in first):
        assert masking._mask_other_word(other) == first


def test_corpus_words_of_one_shape_are_masked_alike() -> None:
    from bench.lambda_corpus import generate

    words = {word for event in generate(seed=7, events=20_000) for word in event.message.split(" ")}
    by_shape: dict[str, list[str]] = {}
    for word in words:
        shape = word.translate(masking._DIGITS_AS_ZERO)
        if shape != word and "\n" not in word:
            by_shape.setdefault(shape, []).append(word)
    compared = 0
    for group in by_shape.values():
        masks = [masking._mask_other_word(word) for word in group]
        shown = [mask for mask in masks if not any(c in "0123456789" for c in mask)]
        if len(group) > 1 and shown:
            compared += len(group)
            assert set(masks) == {shown[0]}, group
    assert compared > 1000


def test_a_new_number_in_a_known_shape_gets_the_shapes_mask_but_a_kept_code_its_own() -> None:
    assert masking.mask("order ord_19198389 failed after 297.64 ms") == "order <*> failed after <*> ms"
    assert masking.mask("order ord_94194000 failed after 101.79 ms") == "order <*> failed after <*> ms"
    assert masking.mask("error at app.py:42 in s3") == "error at app.py:42 in s3"
    assert masking.mask("error at app.py:57 in s4") == "error at app.py:57 in s4"
    assert masking.mask("upstream said 502 Bad Gateway") == "upstream said 502 Bad Gateway"
    assert masking.mask("upstream said 602 Bad Gateway") == "upstream said <*> Bad Gateway"
