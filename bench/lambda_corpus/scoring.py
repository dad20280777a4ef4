"""Scores of a grouper against the labels: detection P/R/F1, grouping accuracy (GA) and F1 of groups (FGA).

A prediction is one group id per event (None: not an error), ids already scoped to their log group. Linear in the
number of events, so scoring 50,000 events takes well under a second.

- Detection compares "is an error" with the truth over all events.
- GA: a true error is right iff the set of true errors carrying its predicted id is exactly its true group (an
  error predicted as not-an-error is wrong). Big groups weigh most.
- FGA: F1 of group precision (predicted groups, over every event they hold, equal to a true group) and group
  recall (true groups some predicted group equals). Every group weighs the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    ga: float
    fga: float
    predicted_groups: int
    true_groups: int


def score(truth: Sequence[str | None], predicted: Sequence[str | None]) -> Scores:
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} labels but {len(predicted)} predictions")
    precision, recall, f1 = detection(truth, predicted)
    true_sizes = Counter(t for t in truth if t is not None)
    pairs = Counter((p, t) for t, p in zip(truth, predicted, strict=True) if t is not None and p is not None)
    errors_in = Counter(p for p, _ in pairs.elements())
    members = Counter(p for p in predicted if p is not None)
    # A predicted id whose true errors are exactly one true group: right for GA; for FGA it must hold nothing else.
    exact = [(p, t) for (p, t), n in pairs.items() if n == true_sizes[t] == errors_in[p]]
    errors = sum(true_sizes.values())
    ga = sum(true_sizes[t] for _, t in exact) / errors if errors else 1.0
    equal = sum(1 for p, _ in exact if members[p] == errors_in[p])
    group_precision = equal / len(members) if members else 0.0
    group_recall = equal / len(true_sizes) if true_sizes else 0.0
    return Scores(precision, recall, f1, ga, _f1(group_precision, group_recall), len(members), len(true_sizes))


def detection(truth: Sequence[str | None], predicted: Sequence[str | None]) -> tuple[float, float, float]:
    """Precision, recall and F1 of "is an error"."""
    both = sum(1 for t, p in zip(truth, predicted, strict=True) if t is not None and p is not None)
    said = sum(1 for p in predicted if p is not None)
    real = sum(1 for t in truth if t is not None)
    precision = both / said if said else 0.0
    recall = both / real if real else 0.0
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
