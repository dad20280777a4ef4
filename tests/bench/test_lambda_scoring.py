"""The corpus benchmark's scorer on hand-made examples: detection P/R/F1, GA and FGA."""

from __future__ import annotations

import pytest

from bench.lambda_corpus.scoring import score

TRUTH = ["a", "a", "b", None, "c"]


def test_a_perfect_prediction_scores_one_everywhere() -> None:
    s = score(TRUTH, ["x", "x", "y", None, "z"])
    assert (s.precision, s.recall, s.f1, s.ga, s.fga) == (1, 1, 1, 1, 1)


def test_a_split_group_makes_all_its_events_wrong_for_ga() -> None:
    s = score(TRUTH, ["x", "x2", "y", None, "z"])
    assert s.ga == pytest.approx(2 / 4)
    # Predicted x, x2, y, z: two equal a true group (precision 2/4); of a, b, c two are found (recall 2/3).
    assert s.fga == pytest.approx(4 / 7)


def test_merged_groups_are_wrong_for_both() -> None:
    s = score(TRUTH, ["x", "x", "x", None, "z"])
    assert s.ga == pytest.approx(1 / 4)
    assert s.fga == pytest.approx(0.4)  # precision 1/2, recall 1/3


def test_an_error_predicted_as_no_error_is_wrong_and_breaks_its_group() -> None:
    s = score(TRUTH, [None, "x", "y", None, "z"])
    assert s.recall == pytest.approx(3 / 4)
    assert s.ga == pytest.approx(2 / 4)


def test_a_false_alarm_costs_precision_and_fga_but_not_ga() -> None:
    s = score(TRUTH, ["x", "x", "y", "y", "z"])
    assert s.precision == pytest.approx(4 / 5)
    assert s.ga == 1
    # y holds a non-error, so it equals no true group: precision 2/3, recall 2/3.
    assert s.fga == pytest.approx(2 / 3)


def test_predictions_must_cover_every_event() -> None:
    with pytest.raises(ValueError):
        score(TRUTH, ["x"])
