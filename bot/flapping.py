"""Flap detection, Nagios's method: an alert's last 21 state samples, its state changes weighted from 0.75 (the
oldest) to 1.25 (the newest), and hysteresis between a start and a stop threshold.

A history is a string of "1" (firing) and "0" (not firing), oldest first. None stands for a steady history: the
alert held its present state for the last 21 samples, so a steady alert (nearly all of them) stores nothing and
costs a run nothing. An alert's first observation is not a change: before it, it is taken to have been steady.
"""

from __future__ import annotations

from enum import StrEnum

SAMPLES = 21
DEFAULT_START, DEFAULT_STOP = 30.0, 20.0
STRIP = {"1": "▇", "0": "▁"}


class FlapChange(StrEnum):
    STARTED = "started flapping"
    STOPPED = "stopped flapping"


def percent_state_change(history: str | None) -> float:
    """Nagios's curved percent state change: the change between samples x-1 and x (x = 1..20) weighs
    0.75 + (x - 1) × 0.5 / 19, and their sum is a share of the 20 changes 21 samples can hold.

    Summed in whole units of 1/76 (a weight is (57 + 2(x - 1)) / 76) so that a threshold is met exactly, not
    missed by a rounding error."""
    if history is None:
        return 0.0
    samples = history[-SAMPLES:]
    offset = SAMPLES - len(samples)  # a shorter history is the newest part of one
    units = sum(
        57 + 2 * (index + offset - 1) for index in range(1, len(samples)) if samples[index] != samples[index - 1]
    )
    return units * 100 / (76 * (SAMPLES - 1))


def add_sample(history: str | None, *, was_firing: bool, firing: bool) -> str | None:
    """The history with one more observation; None again once the last 21 samples agree."""
    base = history if history is not None else ("1" if was_firing else "0") * SAMPLES
    samples = (base + ("1" if firing else "0"))[-SAMPLES:]
    return None if len(set(samples)) == 1 else samples


def still_flapping(*, was_flapping: bool, percent: float, start: float, stop: float) -> bool:
    """It starts flapping above `start` and stops below `stop` (both in percent)."""
    return percent >= stop if was_flapping else percent > start


def flap_change(*, was_flapping: bool, flapping: bool) -> FlapChange | None:
    if flapping == was_flapping:
        return None
    return FlapChange.STARTED if flapping else FlapChange.STOPPED


def strip(history: str | None, *, firing: bool) -> str:
    """The last 21 samples as a bar strip, oldest first: ▇ firing, ▁ not."""
    samples = history if history is not None else ("1" if firing else "0") * SAMPLES
    return "".join(STRIP[sample] for sample in samples)
