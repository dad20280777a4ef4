"""A message's template by Sentry's rules: values become ``<*>``, the words that tell failures apart stay.

Parameters: numbers, durations, timestamps, ids with digits, UUIDs, hex and memory addresses, e-mails, IPs,
URLs and S3 URIs, ARNs, quoted values, and an embedded JSON document of any size or shape (one parameter).
Not parameters: words, exception types, HTTP status codes, AWS/SDK error codes, exit statuses and signals, and
code locations (``app.py:42``), since each of these names a different failure.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Final

WILDCARD: Final = "<*>"

_KEEP_EXTENSIONS: Final = r"(?:py|js|mjs|cjs|ts|java|go|kt|rb|cs|scala)"
_PARAMETER: Final = re.compile(
    r"""
      (?P<url>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]*)
    | (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    | (?P<arn>\barn:aws[\w-]*:[^\s"',)]*)
    | (?P<literal>\b(?:true|false|null|undefined|None|nil)\b|\[\]|\{\})
    | (?P<quoted>(?<![\w\\])'[^'\n]{0,300}'(?!\w)|"[^"\n]{0,300}")
    | (?P<code>(?i:\b(?:status|status_?code|http_?status(?:_?code)?|code|errno|signal|exit\ status|exit\ code|http
        |exited\ with\ code)\b["']?[\s:=]{0,3})\d+\b)
    | (?P<http>\b[1-5]\d\d(?=\ [A-Z][a-z]))
    | (?P<token>[\w./@:+-]*\d[\w./@:+-]*)
    """,
    re.VERBOSE,
)
# Names with a digit or two stay words: s3, ec2, utf8, base64, http2, v2, sha256, k8s, i18n.
_NAME_WITH_DIGITS: Final = re.compile(r"[A-Za-z]{1,8}\d{1,3}|[a-zA-Z]\d{1,2}[a-zA-Z]{1,3}")
_LONGEST_NAME: Final = 11
_CODE_LOCATION: Final = re.compile(rf"[\w$/.-]*\.{_KEEP_EXTENSIONS}(?::\d+){{1,2}}")
_EDGE: Final = ".:/-+@"
_WILDCARD_RUN: Final = re.compile(r"<\*>(?:[\s,;:/.=-]*<\*>)+")
_DECODER: Final = json.JSONDecoder()
_scan_json: Final = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not in its stub
_OPENERS: Final = re.compile(r"\{|\[(?=\s*[\[{\"'\d\]ntf-])")
_BRACKETS: Final = re.compile(r"[\[\]{}]")
# These read ASCII texts only (others are masked whole), so [0-9] and [A-Za-z0-9_] say what \d and \w would, quicker.
# A parameter that can span a space: a quoted value, a code after its name ("status 502", "exited with code 1"), and
# an HTTP status whose lookahead sees its reason past one ("502 Bad Gateway"). The words such a parameter may take
# are masked together; every other word alone, each distinct word once.
# One pattern a name (over the lower-cased text), each searched only when its name is in the text: a pattern that
# starts with a word is found by a quick search for the word, where one alternation of the names tries every position.
_CODE_NAMES: Final = ("status", "code", "errno", "signal", "http")
_CODE_SPANS: Final = tuple((name, re.compile(name + r"[\"']?[\s:=]{0,3}[0-9]").finditer) for name in _CODE_NAMES)
_CODE_LEAD: Final = len("exited with ")  # the longest phrase before a code's name
_HTTP_SPAN: Final = re.compile(r"[0-9] [A-Z][a-z]")
# A word that is one token: the characters of `token` without those the other parameters need ("@", quotes, a ":"
# but the last), a digit, and no literal where a literal could match first.
_TOKEN_WORD: Final = re.compile(r"[A-Za-z0-9_./+-]*[0-9][A-Za-z0-9_./+-]*:?")
_LITERALS: Final = ("true", "false", "null", "undefined", "None", "nil")
# Other words `_PARAMETER` masks in one piece, each found by one match instead of a pass of every alternative:
# - led by a digit, ":" and all ("09:48:51.385", "10.0.0.7:443"): no other alternative starts with a digit;
# - a URL: the first alternative, which takes the word to its end when no quote or angle bracket stops it;
# - a token before closing punctuation ("259)", "ord_17,"), which no alternative matches.
_ASCII_DIGITS: Final = "0123456789"
_DIGIT_LED: Final = re.compile(r"[0-9][A-Za-z0-9_./:+-]*")
_URL_WORD: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]*")
_TOKEN_THEN_CLOSE: Final = re.compile(r"([A-Za-z0-9_./+-]*[0-9][A-Za-z0-9_./+-]*:?)[),;]+")
_WORDS_KEPT: Final = 1 << 16
_REMEMBERED_WORD: Final = 256


def mask(text: str) -> str:
    """The template of a message: every parameter replaced by the wildcard, runs of them by one."""
    return _mask(text) if len(text) < 2048 else _mask_uncached(text)


@lru_cache(maxsize=1 << 14)
def _mask(text: str) -> str:
    return _mask_uncached(text)


def _mask_uncached(text: str) -> str:
    if "{" in text or "[" in text:
        text = mask_documents(text)
    if text.isascii():
        masked = _masked_pieces(text)
    else:
        masked = _PARAMETER.sub(_replace, text)  # lower-casing could move what _spanned finds
    return _WILDCARD_RUN.sub(WILDCARD, masked) if masked.count(WILDCARD) > 1 else masked


def _masked_pieces(text: str) -> str:
    """The text's space-separated pieces masked one by one: words, and the runs of words a parameter may span.

    No parameter starts at a space, and none crosses a space outside the runs, so masking the pieces alone gives
    what masking the whole text gives (tests/grouping/test_masking.py checks it).
    """
    spanned = _spanned(text)
    if not spanned:
        return " ".join(map(_masked_word, text.split(" ")))
    pieces: list[str] = []
    position = 0
    for start, end in spanned:
        if start > position:
            pieces += map(_masked_word, text[position : start - 1].split(" "))
        pieces.append(_masked_word(text[start:end]))
        position = end + 1
    if position <= len(text):
        pieces += map(_masked_word, text[position:].split(" "))
    return " ".join(pieces)


def _spanned(text: str) -> list[tuple[int, int]]:
    """Where a parameter may span spaces, widened to whole words and merged, in order."""
    ranges: list[tuple[int, int]] = []
    first = text.find("'")
    if first != -1 and (last := text.rfind("'")) > first:
        ranges.append((first, last + 1))
    first = text.find('"')
    if first != -1 and (last := text.rfind('"')) > first:
        ranges.append((first, last + 1))
    lowered = text.lower()
    for name, spans in _CODE_SPANS:
        if name in lowered:
            ranges += [(max(m.start() - _CODE_LEAD, 0), m.end()) for m in spans(lowered)]
    if _HTTP_SPAN.search(text):
        ranges += [m.span() for m in _HTTP_SPAN.finditer(text)]
    if not ranges:
        return ranges
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        start = text.rfind(" ", 0, start) + 1
        end = text.find(" ", end)
        end = len(text) if end == -1 else end
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class _MaskedWords(dict[str, str]):
    """Each word's (or run of words') mask, made the first time the word is seen."""

    def __missing__(self, word: str) -> str:
        return _mask_word(word)


_masked_words: Final = _MaskedWords()
_masked_word: Final = _masked_words.__getitem__  # a C call a word; a miss calls _mask_word


# A word's digits as "0": in a word without a space, masking reads a digit only as a digit (`\\d`, [0-9]; an HTTP
# status's [1-5] needs the space before its reason), and the shape keeps the word's length and every other character.
# So words of one shape are masked alike, each digit kept or masked in both: a mask that keeps no ASCII digit is the
# mask of every word of its shape ("ord_19198389" and "ord_94194000", "52.41" and "37.09"), and a parameter that is
# new only in its digits costs a translation and a lookup (tests/grouping/test_masking.py checks it).
_DIGITS_AS_ZERO: Final = "".join(map(chr, range(48))) + "0" * 10 + "".join(map(chr, range(58, 128)))  # by code point
_ASCII_DIGIT: Final = re.compile(r"[0-9]")
_masked_shapes: Final[dict[str, str]] = {}


def _mask_word(word: str) -> str:
    if len(_masked_words) >= _WORDS_KEPT:
        _masked_words.clear()
        _masked_shapes.clear()
    # Most words are letters (a literal or kept), or one token (an id, a number, a path, a host).
    if word.isalpha():
        masked = WILDCARD if word in _LITERALS else word
    else:
        shape = word.translate(_DIGITS_AS_ZERO)
        known = _masked_shapes.get(shape)
        if known is not None:
            masked = known
        else:
            masked = _mask_other_word(word)
            # Kept only with the word itself (below), so that emptying the words' memo bounds both.
            if shape != word and " " not in word and len(word) <= _REMEMBERED_WORD:
                if masked == WILDCARD or _ASCII_DIGIT.search(masked) is None:
                    _masked_shapes[shape] = masked
    if len(word) <= _REMEMBERED_WORD:  # a run of words between two quotes can be long, and rarely repeats
        _masked_words[word] = masked
    return masked


def _mask_other_word(word: str) -> str:
    """A word (or run of words) that is not all letters, masked."""
    if _TOKEN_WORD.fullmatch(word) and not word.startswith(_LITERALS):
        masked = _token(word)
    elif word[:1] in _ASCII_DIGITS and _DIGIT_LED.fullmatch(word):
        masked = _token(word)
    elif "://" in word and _URL_WORD.fullmatch(word):
        masked = WILDCARD
    elif (token := _TOKEN_THEN_CLOSE.fullmatch(word)) and not word.startswith(_LITERALS):
        masked = _token(token[1]) + word[token.end(1) :]
    else:
        masked = _PARAMETER.sub(_replace, word)
    return masked


def mask_documents(text: str) -> str:
    """The text with each embedded JSON (or JSON-like) document, however large, as one wildcard."""
    out: list[str] = []
    position = 0
    for opener in _OPENERS.finditer(text):
        start = opener.start()
        if start < position:
            continue
        end = _document_end(text, start)
        if end is None:
            continue
        out.append(text[position:start])
        out.append(WILDCARD)
        position = end
    out.append(text[position:])
    return "".join(out)


def _document_end(text: str, start: int) -> int | None:
    """Where the document opened at `start` ends: JSON's own end, else the matching bracket, else the text's."""
    try:
        end: int = _scan_json(text, start)[1]  # raw_decode's own call, without its Python frame
        return end
    except (StopIteration, ValueError):  # raw_decode turns the scanner's StopIteration into a ValueError
        if text[start] == "[" and text[start + 1 : start + 2].isalpha():
            return None  # "[null, 3]" is JSON; "[thread-1]" is a word in brackets
    depth = 0
    for bracket in _BRACKETS.finditer(text, start):
        depth += 1 if bracket.group() in "[{" else -1
        if depth == 0:
            return bracket.end()
    return len(text)  # a document cut short by the logger runs to the end


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind in ("code", "http"):
        return match.group()
    return _token(match.group()) if kind == "token" else WILDCARD


def _token(token: str) -> str:
    """A value, unless it names something (s3, ec2) or a code location (app.py:42)."""
    core = token.strip(_EDGE)
    if len(core) <= _LONGEST_NAME and _NAME_WITH_DIGITS.fullmatch(core):
        return token
    return token if "." in core and ":" in core and _CODE_LOCATION.fullmatch(core) else WILDCARD
