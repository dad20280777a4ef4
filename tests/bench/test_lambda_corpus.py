"""The development corpus: seeded, the size asked, labelled by the written rules."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.lambda_corpus import LabelledEvent, generate


@pytest.fixture(scope="module")
def corpus() -> list[LabelledEvent]:
    return generate(seed=7, events=20_000, functions=30, hours=12)


def test_the_same_seed_gives_the_same_corpus(corpus: list[LabelledEvent]) -> None:
    assert generate(seed=7, events=20_000) == corpus
    assert generate(seed=8, events=20_000) != corpus


def test_the_corpus_has_the_size_asked_in_time_order(corpus: list[LabelledEvent]) -> None:
    assert len(corpus) == 20_000
    assert [e.timestamp for e in corpus] == sorted(e.timestamp for e in corpus)
    assert len({e.log_group for e in corpus}) == 30


def test_crash_dump_continuation_lines_are_not_errors_but_their_header_is(corpus: list[LabelledEvent]) -> None:
    kinds = Counter((e.kind, e.is_error) for e in corpus)
    assert kinds[("crash dump continuation", True)] == 0
    assert kinds[("crash dump header", False)] == 0
    assert kinds[("crash dump header", True)] > 0


def test_a_runtime_notice_of_an_error_already_logged_is_not_an_error(corpus: list[LabelledEvent]) -> None:
    notices = [e for e in corpus if e.kind.startswith("runtime notice")]
    assert notices and not any(e.is_error for e in notices)


def test_noise_is_never_an_error_and_failing_platform_records_are(corpus: list[LabelledEvent]) -> None:
    assert not any(e.is_error for e in corpus if "noise" in e.kind)
    timeouts = [e for e in corpus if "Status: timeout" in e.message or '"status":"timeout"' in e.message]
    assert timeouts and all(e.is_error for e in timeouts)


def test_groups_stay_inside_their_function(corpus: list[LabelledEvent]) -> None:
    functions_of = {}
    for event in corpus:
        if event.group:
            functions_of.setdefault(event.group, set()).add(event.log_group)
    assert all(len(groups) == 1 for groups in functions_of.values())
