"""What `/boltwatch status` and App Home show: blocked items (what, where, Slack's answer, for how long, the fix),
under the distributed engine the workers and the queue's lag, and which incidents flap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.home import home_view
from bot.blocks.status import BLOCKED_SHOWN, blocked_blocks, incidents_blocks, status_blocks
from bot.views.status import BlockedLine, CheckLine, IncidentLine, LeaderLine, QueueLine

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def blocked(n: int = 1, *, channel: str = "#db-alerts", error: str = "channel_not_found") -> list[BlockedLine]:
    since = NOW - timedelta(minutes=5)
    return [BlockedLine(i, i, "post_incident", channel, error, since, f"incident:{i}") for i in range(1, n + 1)]


def text(blocks: list[dict]) -> str:
    return "\n".join(block["text"]["text"] for block in blocks if block.get("text"))


def test_nothing_blocked_shows_nothing() -> None:
    assert blocked_blocks([], now=NOW) == []


def test_a_blocked_item_says_what_where_why_since_when_and_the_fix() -> None:
    shown = text(blocked_blocks(blocked(), now=NOW))

    assert shown == (
        ":warning: *Not delivered* (1), kept and retried\n"
        "• incident #1 message for #db-alerts: Slack answers `channel_not_found` (for 5m) — "
        "create the channel, or route these alerts to another one"
    )


def test_a_blocked_digest_or_wait_says_what_it_is() -> None:
    since = NOW - timedelta(minutes=2)
    lines = [
        BlockedLine(1, None, "post_incident", "#ops", "not_in_channel", since, "digest:#ops::2026-11-27T08:00"),
        BlockedLine(2, None, "update_incident", "#ops", "not_in_channel", since, "wait:7"),
    ]
    shown = text(blocked_blocks(lines, now=NOW))

    assert "• digest message for #ops" in shown and "• wait #7 update for #ops" in shown


def test_a_channel_id_is_a_link_and_a_name_from_config_is_escaped() -> None:
    by_id = text(blocked_blocks(blocked(channel="C0SECRET", error="not_in_channel"), now=NOW))
    by_name = text(blocked_blocks(blocked(channel="#<!channel>"), now=NOW))

    assert "message for <#C0SECRET>" in by_id and "`/invite @boltwatch`" in by_id
    assert "for #&lt;!channel&gt;:" in by_name


def test_many_blocked_items_show_the_longest_blocked_and_count_the_rest() -> None:
    shown = text(blocked_blocks(blocked(BLOCKED_SHOWN + 3), now=NOW))

    assert shown.count("• incident #") == BLOCKED_SHOWN and shown.endswith("…and 3 more")


def test_status_and_home_lead_with_blocked_items() -> None:
    status = status_blocks([], [], now=NOW, blocked=blocked())
    home = home_view([], [], now=NOW, blocked=blocked())["blocks"]

    assert "*Not delivered* (1)" in status[1]["text"]["text"]
    assert "*Not delivered* (1)" in home[1]["text"]["text"]


def queue(**fields: object) -> QueueLine:
    values: dict[str, object] = {
        "workers_alive": 2, "workers_gone": 0, "last_beat": timedelta(seconds=1), "waiting": 0,
        "oldest_waiting": timedelta(0), "running": 3, "stalled": 0,
    }  # fmt: skip
    values.update(fields)
    return QueueLine(**values)  # type: ignore[arg-type]


def status_text(line: QueueLine | None, *, every: timedelta = timedelta(seconds=30)) -> str:
    check = CheckLine("alarms", "cloudwatch_alarms", every, None, None, None, 0, 0)
    blocks = status_blocks([], [check], now=NOW, queue=line, distributed=True)
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def test_the_embedded_engine_shows_no_workers() -> None:
    blocks = status_blocks([], [], now=NOW)
    assert "Workers" not in str(blocks)


def test_status_says_how_many_workers_run_and_the_queues_lag() -> None:
    text = status_text(queue(waiting=4, oldest_waiting=timedelta(seconds=3)))
    assert "*Workers*: 2 alive · queue: 4 waiting (oldest waiting 3s), 3 running" in text
    assert ":warning:" not in text


def test_jobs_waiting_longer_than_the_shortest_interval_ask_for_more_workers() -> None:
    text = status_text(queue(waiting=40, oldest_waiting=timedelta(seconds=95), workers_gone=1, stalled=2))
    assert "2 alive, 1 gone in the last hour" in text
    assert ":warning: queue: 40 waiting (oldest waiting 1m)" in text
    assert "2 stalled on gone workers" in text
    assert "longer than the shortest check interval (30s): add workers" in text


def test_no_worker_alive_or_none_started_says_checks_do_not_run() -> None:
    assert "none has started: checks do not run until a `boltwatch worker` does" in status_text(None)
    dead = status_text(queue(workers_alive=0, workers_gone=1, last_beat=timedelta(minutes=4)))
    assert ":x: *Workers*: none alive (the last beat 4m ago): checks do not run" in dead


def test_status_names_the_replica_that_runs_the_checks_or_says_none_does() -> None:
    running = text(status_blocks([], [], now=NOW, leader=LeaderLine("host-a:3000")))
    nobody = text(status_blocks([], [], now=NOW, leader=LeaderLine(None)))
    escaped = text(status_blocks([], [], now=NOW, leader=LeaderLine("<!channel>`")))

    assert "*Checks* run on `host-a:3000`" in running
    assert ":x: *Checks*: no replica holds the scheduler lock, so none runs them" in nobody
    assert "<!channel>" not in escaped and "&lt;!channel&gt;" in escaped
    assert "*Checks*" not in text(status_blocks([], [], now=NOW)), "in-memory or distributed: nothing to say"


def test_a_flapping_incident_is_marked_and_counted_even_while_its_alert_is_clear() -> None:
    since = NOW - timedelta(hours=1)
    incidents = [
        IncidentLine(2, "Alarm orders-api-errors", "warning", "open", since, alerts_firing=0, alerts_flapping=1),
        IncidentLine(1, "Alarm payments-api-errors", "critical", "open", since, alerts_firing=1),
    ]
    flapping, steady = [b["text"]["text"] for b in incidents_blocks(incidents) if b["type"] == "section"]
    assert flapping.startswith("*#2 Alarm orders-api-errors · FLAPPING* — warning, open, 0 firing, :repeat: 1 flapping")
    assert "FLAPPING" not in steady and "flapping" not in steady and "1 firing, since" in steady

    assert "incidents (:repeat: 1 flapping) ·" in text(status_blocks(incidents, [], now=NOW))
    assert "*Open incidents* (2, :repeat: 1 flapping)" in text(home_view(incidents, [], now=NOW)["blocks"])
    assert "flapping" not in text(status_blocks(incidents[1:], [], now=NOW))
    assert "*Open incidents* (1)" in text(home_view(incidents[1:], [], now=NOW)["blocks"])
