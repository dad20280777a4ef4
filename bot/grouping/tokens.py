"""Split a log message into template tokens and mask its parameters (ids, numbers, addresses, times...)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from itertools import chain

WILDCARD = "<*>"
SENTINEL = "\x00"

# A whole word (punctuation around it stripped) that is one value, though delimiters would cut it apart.
_WHOLE_VALUE = re.compile(
    r"""
      [a-zA-Z][a-zA-Z0-9+.-]*://.*                                                   # URL
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                                                   # e-mail address
    | (?:~|\.{1,2})?/[^/]*/.*                                                         # path
    | [\w.-]*\.[\w.-]*/[\w.$/-]+ | [\w.-]+/[\w$/-]*\.[\w.$/-]*                         # relative path
    | (?:[\w-]+\.)+(?:com|net|org|edu|gov|io|aws|local|internal|lan)(?::\d+)?        # host name
    | [\w-]+(?:\.[\w-]+)+\.[a-z]{2}(?::\d+)?                                         # host.cc
    | (?:\d{1,3}\.){3}\d{1,3}(?::\d+)?                                               # IPv4[:port]
    | (?:[0-9a-fA-F]{2}[:-]){5,}[0-9a-fA-F]{2}                                       # MAC, WWN
    | (?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}                                     # IPv6
    """,
    re.VERBOSE,
)
# host:port, or a code location such as Handler.handle:42, written as a word of its own.
_LOCATION = re.compile(r"[\w$-]+(?:\.[\w$-]+)+:\d{1,5}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_QUOTED_VALUE = re.compile(r"""(?<==)"[^"\n]*"|(?<==)'[^'\n]*'""")
_EMPTY_VALUE = re.compile(r"""\(\)|\[\]|\{\}|""|''""")
_PIECES = re.compile(r"""[=,;\[\]{}"'|<>]+""")
_EDGE_PUNCTUATION = "()[]{}<>\"',;:."
_LITERALS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE", "null", "NULL", "None", "nil"})
# Words that belong to the value before them ("30 ms", "12 KB") or after them ("Jun 17", "Fri Jun").
_UNITS = frozenset(
    "B KB MB GB TB KiB MiB GiB kB bytes byte ms us ns sec secs second seconds min mins minute minutes".split()
)
_MONTHS = frozenset(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec January February March April June July August "
    "September October November December".split()
)
_WEEKDAYS = frozenset("Mon Tue Wed Thu Fri Sat Sun Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_JOINERS = _UNITS | _MONTHS | _WEEKDAYS
_WILDCARD_PAIR = WILDCARD + " " + WILDCARD
# Every whole value above holds one of these characters.
_VALUE_MARK = re.compile(r"[/@.:-]")

_DIGIT_RUN = re.compile(r"\d{3}|\x00")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_HEX_ID = re.compile(r"[0-9a-fA-F]{16,}")
_HEX_NUMBER = re.compile(r"[@#]?0[xX][0-9a-fA-F]+")
_READABLE_PIECE = re.compile(r"""[^=,;\[\]{}"'|<>:()]+""")
_WILDCARD_RUN = re.compile(r"<\*>(?:[\s.,:;/-]*<\*>)+")
_DIGITS = re.compile(r"\d+")


def is_parameter(token: str) -> bool:
    """True when a token is a value rather than a word of the message's template.

    A word with a digit or two in it (SOCKS5, ssh2, ec2, utf8, eth0) may be a name, so it stays a word; the
    grouping decides from its column. Numbers, long digit runs and ids mostly made of digits are values.
    """
    if _DIGIT_RUN.search(token) or _HEX_ID.fullmatch(token) or _HEX_NUMBER.fullmatch(token):
        return True
    digits = len(_DIGIT.findall(token))
    return digits > 0 and digits > len(_LETTER.findall(token))


def tokenize(message: str, split_word: Callable[[str], tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """Tokens of a message, every parameter replaced by the wildcard, a run of parameters by one.

    split_word turns one word into tokens; by default a process-wide memo of word_tokens. A batch passes its
    own memo so that its cost does not depend on what ran before it.
    """
    split_word = split_word or memo_word_tokens
    if '="' in message or "='" in message:
        message = _QUOTED_VALUE.sub(SENTINEL, message)
    words = list(chain.from_iterable(map(split_word, message.split())))
    if _JOINERS.isdisjoint(words):
        # Tokens hold no spaces, so collapsing runs of wildcards can work on the joined text.
        text = " ".join(words)
        while _WILDCARD_PAIR in text:
            text = text.replace(_WILDCARD_PAIR, WILDCARD)
        return tuple(text.split(" ")) if text else ()
    tokens: list[str] = []
    for i, token in enumerate(words):
        if token != WILDCARD and (token not in _JOINERS or not _joins_value(words, i)):
            tokens.append(token)
        elif not tokens or tokens[-1] != WILDCARD:
            tokens.append(WILDCARD)
    return tuple(tokens)


def word_tokens(word: str) -> tuple[str, ...]:
    """Tokens of one whitespace-separated word."""
    if word.isalpha():
        return (WILDCARD,) if word in _LITERALS else (word,)
    if _is_whole_value(word) or _LOCATION.fullmatch(word):
        return (WILDCARD,)
    if _EMPTY_VALUE.fullmatch(word.strip(",;:.")):
        return (WILDCARD,)
    tokens: list[str] = []
    for piece in _PIECES.split(word):
        if piece.isalpha():
            tokens.append(WILDCARD if piece in _LITERALS else piece)
            continue
        if _is_whole_value(piece):
            tokens.append(WILDCARD)
            continue
        for part in piece.split(":"):
            part = part.strip("()")
            if part:
                tokens.append(WILDCARD if part in _LITERALS or is_parameter(part) else part)
    return tuple(tokens)


memo_word_tokens = lru_cache(maxsize=1 << 16)(word_tokens)


def _is_whole_value(word: str) -> bool:
    if _VALUE_MARK.search(word) is None:
        return False
    core = word.strip(_EDGE_PUNCTUATION)
    return bool(core) and (_WHOLE_VALUE.fullmatch(core) is not None or _UUID.search(core) is not None)


def _joins_value(words: list[str], i: int) -> bool:
    token = words[i]
    if token in _UNITS:
        return i > 0 and words[i - 1] == WILDCARD
    following = words[i + 1] if i + 1 < len(words) else ""
    if token in _MONTHS:
        return following == WILDCARD
    return token in _WEEKDAYS and following in _MONTHS


def parameterize(message: str) -> str:
    """The message as readable text, every parameter replaced by the wildcard."""
    masked = " ".join(_readable_word(word) for word in message.split())
    return _WILDCARD_RUN.sub(WILDCARD, masked)


@lru_cache(maxsize=1 << 16)
def _readable_word(word: str) -> str:
    if _is_whole_value(word) or _LOCATION.fullmatch(word):
        return WILDCARD
    return _READABLE_PIECE.sub(_readable_piece, word)


def _readable_piece(match: re.Match[str]) -> str:
    piece = match.group()
    return WILDCARD if _is_whole_value(piece) or is_parameter(piece) else piece


def shape(token: str) -> str:
    """A token with its digit runs replaced, so that eth0 and eth1 look alike."""
    return _DIGITS.sub("0", token)
