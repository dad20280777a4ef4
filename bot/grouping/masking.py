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

WILDCARD = "<*>"

_KEEP_EXTENSIONS = r"(?:py|js|mjs|cjs|ts|java|go|kt|rb|cs|scala)"
_PARAMETER = re.compile(
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
_NAME_WITH_DIGITS = re.compile(r"[A-Za-z]{1,8}\d{1,3}|[a-zA-Z]\d{1,2}[a-zA-Z]{1,3}")
_CODE_LOCATION = re.compile(rf"[\w$/.-]*\.{_KEEP_EXTENSIONS}(?::\d+){{1,2}}")
_EDGE = ".:/-+@"
_WILDCARD_RUN = re.compile(r"<\*>(?:[\s,;:/.=-]*<\*>)+")
_DECODER = json.JSONDecoder()
_OPENERS = re.compile(r"\{|\[(?=\s*[\[{\"'\d\]ntf-])")
_BRACKETS = re.compile(r"[\[\]{}]")
# A parameter that can span a space: a quoted value, a code after its name ("status 502"), an HTTP status before
# its reason ("502 Bad Gateway"). Without one, the text masks word by word, each distinct word once.
_CODE_NAMES = ("status", "code", "errno", "signal", "http")
_CODE_SPANS = re.compile(r"(?:status|code|errno|signal|http)[\s:=]{0,3}\d")  # over the lower-cased text
_HTTP_SPANS = re.compile(r"[1-5]\d\d [A-Z][a-z]")
_WORDS_KEPT = 1 << 16
_masked_words: dict[str, str] = {}


def mask(text: str) -> str:
    """The template of a message: every parameter replaced by the wildcard, runs of them by one."""
    return _mask(text) if len(text) < 2048 else _mask_uncached(text)


@lru_cache(maxsize=1 << 14)
def _mask(text: str) -> str:
    return _mask_uncached(text)


def _mask_uncached(text: str) -> str:
    if "{" in text or "[" in text:
        text = mask_documents(text)
    if not _spans_words(text):
        # No match crosses a space and no lookaround sees past one, so masking each word alone is the same.
        masked = " ".join([_masked_word(word) for word in text.split(" ")])
    else:
        masked = _PARAMETER.sub(_replace, text)
    return _WILDCARD_RUN.sub(WILDCARD, masked) if "<*>" in masked else masked


def _spans_words(text: str) -> bool:
    """True when a parameter may span a space: a quoted value, ``status 502``, ``502 Bad Gateway``."""
    if "'" in text or '"' in text:
        return True
    lowered = text.lower()
    if any(name in lowered for name in _CODE_NAMES) and _CODE_SPANS.search(lowered):
        return True
    return _HTTP_SPANS.search(text) is not None


def _masked_word(word: str) -> str:
    masked = _masked_words.get(word)
    if masked is None:
        if len(_masked_words) >= _WORDS_KEPT:
            _masked_words.clear()
        masked = _masked_words[word] = _PARAMETER.sub(_replace, word)
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
        return _DECODER.raw_decode(text, start)[1]
    except ValueError:
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
    if kind != "token":
        return WILDCARD
    token = match.group()
    core = token.strip(_EDGE)
    if _NAME_WITH_DIGITS.fullmatch(core) or _CODE_LOCATION.fullmatch(core):
        return token
    return WILDCARD
