from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.store.models import Alert, CheckHealth, DigestRun, Incident, OutboxItem, Silence
from bot.views.status import BlockedLine, CheckLine, LastDigest
from bot.views.status_queries import (
    active_silences,
    blocked_lines,
    check_lines,
    last_digest,
    open_incidents,
    silence_lines,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


def incident(title: str, *, status: str, opened: float, firing: int, resolved: int = 0) -> Incident:
    row = Incident(group_key=title, route="default", channel="#alerts", status=status, title=title)
    row.opened_at = hours(opened)
    row.alerts = [
        Alert(fingerprint=f"{title}-{i}", check_name="alarms", status="firing" if i < firing else "resolved")
        for i in range(firing + resolved)
    ]
    return row


def test_open_incidents_are_the_unresolved_ones_newest_first_with_their_firing_alerts(session: Session) -> None:
    session.add_all(
        [
            incident("older", status="acknowledged", opened=-5, firing=2, resolved=1),
            incident("newer", status="open", opened=-1, firing=1),
            incident("quiet", status="open", opened=-3, firing=0, resolved=2),
            incident("done", status="resolved", opened=-2, firing=0, resolved=1),
        ]
    )
    session.flush()

    lines = open_incidents(session)

    assert [(line.title, line.status, line.alerts_firing) for line in lines] == [
        ("newer", "open", 1),
        ("quiet", "open", 0),
        ("older", "acknowledged", 2),
    ]


def test_check_lines_follow_the_config_order_and_a_check_never_run_shows_no_run(session: Session) -> None:
    session.add(
        CheckHealth(
            name="logs", check_type="log_errors", last_run_at=hours(-0.1), last_ok_at=hours(-1),
            last_error="AccessDenied", consecutive_failures=3, findings_firing=0,
        )
    )  # fmt: skip
    session.flush()
    configured = [("alarms", "cloudwatch_alarms", timedelta(seconds=30)), ("logs", "log_errors", timedelta(minutes=1))]

    assert check_lines(session, configured) == [
        CheckLine("alarms", "cloudwatch_alarms", timedelta(seconds=30), None, None, None, 0, 0),
        CheckLine("logs", "log_errors", timedelta(minutes=1), hours(-0.1), hours(-1), "AccessDenied", 3, 0),
    ]


def silence(reason: str, *, starts: float, ends: float, expired: bool = False) -> Silence:
    return Silence(
        matchers=[{"label": "resource", "value": reason}], starts_at=hours(starts), ends_at=hours(ends),
        reason=reason, author="U1", expired_at=hours(starts) if expired else None,
    )  # fmt: skip


def test_only_silences_in_force_are_active(session: Session) -> None:
    session.add_all(
        [
            silence("in force", starts=-1, ends=1),
            silence("ended", starts=-2, ends=-1),
            silence("not yet", starts=1, ends=2),
            silence("expired early", starts=-1, ends=1, expired=True),
            silence("ends now", starts=-1, ends=0),
        ]
    )
    session.flush()

    assert [s.reason for s in active_silences(session, NOW)] == ["in force"]
    [line] = silence_lines(session, NOW)
    assert (line.reason, line.until, line.author, line.matchers) == (
        "in force",
        hours(1),
        "U1",
        [{"label": "resource", "value": "in force"}],
    )


def test_the_last_digest_is_the_newest_one_posted(session: Session) -> None:
    assert last_digest(session) is None

    def run(channel: str, period: str, created: float, *, posted: bool) -> DigestRun:
        return DigestRun(
            channel=channel, period=period, period_start=hours(created - 24), period_end=hours(created),
            created_at=hours(created), message_ts="1.2" if posted else None,
        )  # fmt: skip

    session.add_all(
        [
            run("C0OPS", "p1", -48, posted=True),
            run("#alerts", "p2", -24, posted=True),
            run("C0OPS", "p3", -1, posted=False),  # claimed, never posted
        ]
    )
    session.flush()

    assert last_digest(session) == LastDigest("#alerts", hours(-24))


def test_blocked_lines_are_the_blocked_items_longest_blocked_first(session: Session) -> None:
    def item(status: str, channel: str, error: str | None, since: float | None) -> OutboxItem:
        return OutboxItem(
            ordering_key="incident:1", operation="post_incident", channel=channel, status=status, last_error=error,
            blocked_since=None if since is None else hours(since),
        )  # fmt: skip

    session.add_all(
        [
            item("blocked", "#new", "not_in_channel", -1),
            item("blocked", "#old", "channel_not_found", -3),
            item("pending", "#alerts", "HTTP 500 internal_error", None),
            item("done", "#alerts", "not_in_channel", -5),
        ]
    )
    session.flush()

    lines = blocked_lines(session)
    recent_excluded = blocked_lines(session, since_before=hours(-2))

    assert [(line.channel, line.error, line.since) for line in lines] == [
        ("#old", "channel_not_found", hours(-3)),
        ("#new", "not_in_channel", hours(-1)),
    ]
    assert recent_excluded == [lines[0]] and isinstance(lines[0], BlockedLine)
