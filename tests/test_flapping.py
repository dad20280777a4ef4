"""Nagios's flap detection, pure: the weighted percent state change of 21 samples and the hysteresis."""

from __future__ import annotations

import pytest

from bot.flapping import FlapChange, add_sample, flap_change, percent_state_change, still_flapping, strip


def history(changes_at: set[int], *, first: str = "0") -> str:
    """21 samples whose state changes between sample x-1 and x for each x in `changes_at` (1..20)."""
    samples = [first]
    for x in range(1, 21):
        previous = samples[-1]
        samples.append(("1" if previous == "0" else "0") if x in changes_at else previous)
    return "".join(samples)


def test_a_steady_alert_changes_0_percent_and_one_that_changes_every_check_100_percent() -> None:
    # Nagios's documented bounds: never changing is 0%, changing on every check is 100% (20 changes averaging 1).
    assert percent_state_change(None) == 0.0
    assert percent_state_change("1" * 21) == 0.0
    assert percent_state_change("01" * 10 + "0") == 100.0


def test_the_newest_change_weighs_1_25_and_the_oldest_0_75_of_the_20_possible() -> None:
    assert percent_state_change(history({20})) == 1.25 / 20 * 100  # 6.25%
    assert percent_state_change(history({1})) == 0.75 / 20 * 100  # 3.75%
    assert percent_state_change(history({10, 11})) == pytest.approx((0.75 + 9 / 38 + 0.75 + 10 / 38) / 20 * 100)


def test_seven_changes_weigh_more_when_recent_than_their_35_percent_unweighted_share() -> None:
    # Nagios's documentation example: 7 state changes in 21 checks, 7/20 = 35% unweighted; weighting moves it
    # below 35% when the changes are old and above it when they are recent.
    old, recent = history({1, 2, 3, 4, 5, 6, 7}), history({14, 15, 16, 17, 18, 19, 20})
    assert percent_state_change(old) == pytest.approx((7 * 0.75 + 21 / 38) / 20 * 100)  # 29.03%
    assert percent_state_change(recent) == pytest.approx((7 * 0.75 + 112 / 38) / 20 * 100)  # 40.99%
    assert percent_state_change(history({1, 4, 7, 10, 13, 16, 19})) == pytest.approx((7 * 0.75 + 63 / 38) / 20 * 100)


def test_an_alert_starts_flapping_only_above_the_start_threshold_and_stops_only_below_the_stop_threshold() -> None:
    exactly_30 = history({1, 2, 3, 18, 19, 20})  # weights 0.75 + 0.776 + 0.803 + 1.197 + 1.224 + 1.25 = 6.0
    assert percent_state_change(exactly_30) == 30.0
    assert not still_flapping(was_flapping=False, percent=30.0, start=30, stop=20)
    just_above_30 = percent_state_change(history({1, 2, 4, 18, 19, 20}))  # 30.07%
    assert still_flapping(was_flapping=False, percent=just_above_30, start=30, stop=20)
    exactly_20 = history({1, 2, 19, 20})  # 0.75 + 0.776 + 1.224 + 1.25 = 4.0
    assert percent_state_change(exactly_20) == 20.0
    assert still_flapping(was_flapping=True, percent=20.0, start=30, stop=20)
    assert still_flapping(was_flapping=True, percent=25.0, start=30, stop=20)  # between: it stays as it was
    assert not still_flapping(was_flapping=False, percent=25.0, start=30, stop=20)
    assert not still_flapping(was_flapping=True, percent=19.99, start=30, stop=20)


def test_a_history_keeps_21_samples_and_is_forgotten_once_they_agree() -> None:
    assert add_sample(None, was_firing=True, firing=True) is None
    changed = add_sample(None, was_firing=True, firing=False)
    assert changed == "1" * 20 + "0"
    assert add_sample(changed, was_firing=False, firing=True) == "1" * 19 + "01"
    settled = changed
    for _ in range(20):
        assert settled is not None
        settled = add_sample(settled, was_firing=False, firing=False)
    assert settled is None


def test_start_and_stop_are_told_once_each() -> None:
    assert flap_change(was_flapping=False, flapping=True) is FlapChange.STARTED
    assert flap_change(was_flapping=True, flapping=False) is FlapChange.STOPPED
    assert flap_change(was_flapping=True, flapping=True) is None


def test_the_strip_shows_the_samples_oldest_first() -> None:
    assert strip("1" * 19 + "01", firing=True) == "▇" * 19 + "▁▇"
    assert strip(None, firing=False) == "▁" * 21
