"""The terms the log scans send to CloudWatch let (nearly) every error of the development corpus through."""

from __future__ import annotations

import re

from bench.lambda_corpus import generate
from bot.aws.logs import ERROR_TERMS

TERMS = {term.lstrip("?") for term in ERROR_TERMS.split()}


def passes_the_filter(message: str) -> bool:
    """CloudWatch's term match: any of the terms as a whole word (words split at anything but letters and digits)."""
    return not TERMS.isdisjoint(re.split(r"[^A-Za-z0-9]+", message))


def test_the_scan_filter_lets_through_all_but_a_few_of_the_corpus_errors() -> None:
    errors = [event for event in generate(seed=1, events=20_000) if event.is_error]
    missed = [event for event in errors if not passes_the_filter(event.message)]

    assert len(missed) <= 0.02 * len(errors), [event.message[:120] for event in missed[:5]]
    assert {event.kind for event in missed} <= {"runtime error report"}
