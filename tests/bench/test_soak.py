"""The soak benchmark's judgement: RSS read from /proc, and growth measured within the run's last half only."""

from __future__ import annotations

import os

from bench.soak import rss_mb, verdict


def test_rss_is_read_for_a_live_process_and_none_for_one_gone() -> None:
    mine = rss_mb(os.getpid())
    assert mine is not None and 10 < mine < 4096
    assert rss_mb(2**22 + 1) is None


def test_warm_up_growth_in_the_first_half_is_not_counted_but_late_growth_is() -> None:
    warming = [(float(t), 50.0 + min(t, 50)) for t in range(100)]
    peak, third, fourth = verdict(warming)
    assert peak == 100.0 and fourth - third == 0.0

    leaking = [(float(t), 100.0 + t / 5) for t in range(100)]
    peak, third, fourth = verdict(leaking)
    assert fourth - third > 4.5
