from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.blocks.digest import digest_message
from bot.blocks.limits import MESSAGE_BLOCKS
from bot.views.digest import CheckTrouble, DigestData, ErrorGroupLine, OpenIncident, Percentiles

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
END = START + timedelta(days=1)
QUIET = DigestData(
    start=START, end=END, project=None, opened=0, resolved=0, still_open=[], mtta=None, mttr=None,
    new_errors=[], regressed_errors=[], noisiest=[], checks=[],
)  # fmt: skip
BUSY = replace(
    QUIET,
    opened=3,
    resolved=2,
    still_open=[OpenIncident(7, "Alarm <!channel> orders-api-errors", "critical", "acknowledged", START)],
    mtta=Percentiles(2, timedelta(minutes=4, seconds=30), timedelta(minutes=9)),
    mttr=Percentiles(2, timedelta(hours=1, minutes=2), timedelta(hours=3)),
    new_errors=[ErrorGroupLine("/aws/lambda/orders-api", "KeyError: 'sku'", 42)],
    regressed_errors=[ErrorGroupLine("/aws/lambda/payments", "TimeoutError", 1)],
    noisiest=[("orders-api", 5), ("payments", 1)],
    checks=[CheckTrouble("log_errors", 3, "AccessDenied: logs:FilterLogEvents", START, stale=True)],
)


def texts(blocks: list[dict]) -> str:
    return str(blocks)


def test_a_quiet_period_is_one_line() -> None:
    text, blocks = digest_message(QUIET)
    assert len(blocks) == 1 and blocks[0]["type"] == "section"
    assert "Quiet since <!date^" in text and "no incidents" in text


def test_a_project_digest_names_its_project() -> None:
    text, _ = digest_message(replace(QUIET, project="shop"))
    assert "for project `shop`" in text
    _, blocks = digest_message(replace(BUSY, project="shop"))
    assert blocks[0]["text"]["text"] == "Boltwatch digest · shop"


def test_counts_and_response_times_lead_the_digest() -> None:
    text, blocks = digest_message(BUSY)
    assert text.startswith("Boltwatch digest: 3 opened, 2 resolved, 1 still open since")
    assert blocks[2]["text"]["text"] == "*Incidents:* 3 opened · 2 resolved · 1 still open"
    mtta, mttr = (field["text"] for field in blocks[3]["fields"])
    assert mtta == "*MTTA*\nmedian 4m · p90 9m\n(2 incidents acknowledged)"
    assert mttr == "*MTTR*\nmedian 1h 2m · p90 3h\n(2 incidents resolved)"


def test_no_answers_say_so_instead_of_showing_zero() -> None:
    _, blocks = digest_message(replace(BUSY, mtta=None))
    assert blocks[3]["fields"][0]["text"] == "*MTTA*\nno incident acknowledged"


def test_every_section_shows_with_what_came_from_outside_escaped() -> None:
    rendered = texts(digest_message(BUSY)[1])
    assert "#7 Alarm &lt;!channel&gt; orders-api-errors — critical, acknowledged" in rendered
    assert "*New errors* (1)\\n• KeyError: 'sku' — 42 events in `/aws/lambda/orders-api`" in rendered
    assert "*Regressed errors* (1)\\n• TimeoutError — 1 event in" in rendered
    assert "• `orders-api` — 5 alerts\\n• `payments` — 1 alert" in rendered
    assert "*log_errors* — :x: failing (3 in a row): AccessDenied" in rendered and ":warning: stale" in rendered


def test_empty_sections_are_left_out() -> None:
    _, blocks = digest_message(replace(BUSY, new_errors=[], regressed_errors=[], noisiest=[], checks=[]))
    rendered = texts(blocks)
    assert "errors*" not in rendered and "Noisiest" not in rendered and "Checks" not in rendered


def test_a_storm_stays_within_slack_limits() -> None:
    many = [OpenIncident(i, "x" * 500, "warning", "open", START) for i in range(300)]
    errors = [ErrorGroupLine("/aws/lambda/a", "y" * 500, i) for i in range(50)]
    _, blocks = digest_message(replace(BUSY, still_open=many, new_errors=errors))
    assert len(blocks) <= MESSAGE_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert "…and 290 more: `/boltwatch incidents`" in texts(blocks) and "…and 45 more" in texts(blocks)
