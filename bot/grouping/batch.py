"""Offline log grouping: every message of a batch gets the id of its template."""

from __future__ import annotations

from collections import Counter, defaultdict

from bot.grouping.tokens import WILDCARD, shape, tokenize, word_tokens

Tokens = tuple[str, ...]
# A column with this many different words or fewer separates templates; with more, it is a parameter.
SPLIT_MAX = 4


def group_messages(messages: list[str]) -> list[str]:
    """Group messages by mined template; the group id is the template text."""
    index: dict[str, int] = {}
    order = [index.setdefault(message, len(index)) for message in messages]
    split_word = _WordMemo().__getitem__
    token_lists = [tokenize(message, split_word) for message in index]
    templates = mine_templates(Counter(token_lists))
    keys_by_tokens = {tokens: " ".join(_collapse(template)) for tokens, template in templates.items()}
    keys = [keys_by_tokens[tokens] for tokens in token_lists]
    return [keys[i] for i in order]


class _WordMemo(dict[str, tuple[str, ...]]):
    """The tokens of each word of one batch, computed once per word."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        tokens = self[word] = word_tokens(word)
        return tokens


def mine_templates(weights: Counter[Tokens]) -> dict[Tokens, Tokens]:
    """Map each distinct token tuple to its template; weights count the distinct messages behind a tuple."""
    by_length: dict[int, list[Tokens]] = defaultdict(list)
    for tokens in weights:
        by_length[len(tokens)].append(tokens)
    result: dict[Tokens, Tokens] = {}
    for bucket in by_length.values():
        for group in _initial_groups(bucket, weights):
            _refine(group, result)
    return result


def _initial_groups(bucket: list[Tokens], weights: Counter[Tokens]) -> list[list[Tokens]]:
    """Brain's first step: a message joins the group of its largest set of words sharing one frequency."""
    freq: Counter[tuple[int, str]] = Counter()
    for tokens in bucket:
        weight = weights[tokens]
        for position in enumerate(tokens):
            if position[1] != WILDCARD:
                freq[position] += weight
    groups: dict[tuple[tuple[int, str], ...], list[Tokens]] = defaultdict(list)
    for tokens in bucket:
        by_freq: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for i, t in enumerate(tokens):
            if t != WILDCARD:
                by_freq[freq[i, t]].append((i, t))
        best = max(by_freq, key=lambda f: (len(by_freq[f]), f), default=0)
        groups[tuple(by_freq.get(best, ()))].append(tokens)
    return list(groups.values())


def _refine(group: list[Tokens], result: dict[Tokens, Tokens]) -> None:
    """Split a group on its column with the fewest different words, while that column has few of them."""
    width = len(group[0])
    columns = [Counter(tokens[i] for tokens in group) for i in range(width)]
    split_at, fewest = -1, SPLIT_MAX + 1
    for i, values in enumerate(columns):
        shapes = {shape(value) for value in values}
        if 1 < len(shapes) < fewest and WILDCARD not in values:
            split_at, fewest = i, len(shapes)
    if split_at >= 0:
        parts: dict[str, list[Tokens]] = defaultdict(list)
        for tokens in group:
            parts[shape(tokens[split_at])].append(tokens)
        for part in parts.values():
            _refine(part, result)
        return
    template = tuple(next(iter(values)) if len(values) == 1 else WILDCARD for values in columns)
    for tokens in group:
        result[tokens] = template


def _collapse(template: Tokens) -> Tokens:
    out: list[str] = []
    for token in template:
        if not (token == WILDCARD and out and out[-1] == WILDCARD):
            out.append(token)
    return tuple(out)
