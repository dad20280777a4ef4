"""Streaming template mining for the bot: one miner per log source, fed one event at a time."""

from __future__ import annotations

from collections import defaultdict

from bot.grouping.batch import SPLIT_MAX
from bot.grouping.signature import (
    ErrorSignature,
    readable_title,
    strip_line_prefix,
    structured_signature,
    template_signature,
)
from bot.grouping.tokens import WILDCARD, shape, tokenize

Tokens = tuple[str, ...]


class TemplateMiner:
    """Gives each event the signature of its error group, learning templates as events arrive.

    A free-text line's template is its token list with parameters masked. Once more than SPLIT_MAX
    different words have been seen in one position of otherwise equal templates, that position becomes a
    parameter too (the rule the batch grouping uses). Keys are hashes of template text, so a restarted
    miner gives the same template the same key.
    """

    def __init__(self, max_tracked: int = 100_000) -> None:
        # For a template with one position masked: the word shapes seen in that position. Bounded, so that a
        # source of endless unique lines cannot grow it without limit; past the bound, only known ones learn.
        self._variants: dict[Tokens, set[str]] = {}
        self._max_tracked = max_tracked
        # Templates with learned parameter positions, by token count.
        self._learned: dict[int, set[Tokens]] = defaultdict(set)

    def add(self, message: str) -> ErrorSignature:
        """The signature of one event; free-text templates are learned from it."""
        signature = structured_signature(message)
        if signature is not None:
            return signature
        text = strip_line_prefix(message)
        tokens = tokenize(text)
        template = self._generalize(tokens)
        title = readable_title(text) if template == tokens else " ".join(template)
        return template_signature(template, title)

    def _generalize(self, tokens: Tokens) -> Tokens:
        matches = [
            learned
            for learned in self._learned[len(tokens)]
            if all(word in (WILDCARD, token) for word, token in zip(learned, tokens, strict=True))
        ]
        if matches:
            # The most specific match, ties broken by text, so the choice does not depend on set order.
            return min(matches, key=lambda learned: (learned.count(WILDCARD), learned))
        for position, token in enumerate(tokens):
            if token == WILDCARD:
                continue
            masked = (*tokens[:position], WILDCARD, *tokens[position + 1 :])
            variants = self._variants.get(masked)
            if variants is None:
                if len(self._variants) >= self._max_tracked:
                    continue
                variants = self._variants[masked] = set()
            if len(variants) <= SPLIT_MAX:
                variants.add(shape(token))
            if len(variants) > SPLIT_MAX:
                self._learned[len(tokens)].add(masked)
                return masked
        return tokens
