"""The outbox on a real database: strict order per incident, Slack's pace per channel, retries, claims that
expire, and updates that coalesce because they render the incident as it is when sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.delivery import outbox
from bot.delivery.outbox import Claimed
from bot.store import Database
from bot.store.models import Incident, OutboxItem
from tests.alerting import NOW

PACE = timedelta(seconds=1)


def new_incident(db: Database, channel: str = "#alerts") -> int:
    with db.transaction() as session:
        incident = Incident(group_key=f"g-{channel}", route="default", channel=channel, opened_at=NOW, updated_at=NOW)
        session.add(incident)
        session.flush()
        return incident.id


def post(db: Database, incident_id: int, *, at: datetime = NOW) -> int:
    with db.transaction() as session:
        channel = session.get_one(Incident, incident_id).channel
        item = outbox.enqueue_post(session, incident_id=incident_id, channel=channel, not_before=at)
        session.flush()
        return item.id


def reply(db: Database, incident_id: int, text: str, *, at: datetime = NOW) -> int:
    with db.transaction() as session:
        channel = session.get_one(Incident, incident_id).channel
        item = outbox.enqueue_reply(session, incident_id=incident_id, channel=channel, text=text, now=at)
        session.flush()
        return item.id


def update(db: Database, incident_id: int, *, at: datetime = NOW) -> int:
    with db.transaction() as session:
        channel = session.get_one(Incident, incident_id).channel
        item = outbox.enqueue_update(session, incident_id=incident_id, channel=channel, not_before=at)
        session.flush()
        return item.id


def claim(db: Database, *, at: datetime = NOW, holder: str = "drainer-a", pace: timedelta = PACE) -> list[Claimed]:
    with db.transaction() as session:
        return outbox.claim_due(session, holder=holder, now=at, interval=pace)


def claimed_ids(db: Database, **kwargs: object) -> list[int]:
    return [item.id for item in claim(db, **kwargs)]  # type: ignore[arg-type]


def complete(db: Database, item_id: int, *, at: datetime = NOW) -> None:
    with db.transaction() as session:
        outbox.complete(session, item_id, now=at, result={"ts": "1.0"})


def row(db: Database, item_id: int) -> OutboxItem:
    with db.transaction() as session:
        return session.get_one(OutboxItem, item_id)


def test_the_items_of_one_incident_are_claimed_one_at_a_time_in_the_order_queued(db: Database) -> None:
    incident = new_incident(db)
    first, second, third = post(db, incident), reply(db, incident, "one"), reply(db, incident, "two")
    order = []
    for _ in range(3):
        # No pace, so that only the order can hold the second drainer back.
        [item] = claim(db, pace=timedelta(0))
        assert claim(db, holder="drainer-b", pace=timedelta(0)) == []
        complete(db, item.id)
        order.append(item.id)

    assert order == [first, second, third]


def test_a_claimed_item_carries_what_the_drainer_needs(db: Database) -> None:
    incident = new_incident(db)
    item_id = reply(db, incident, "Still firing.")

    [item] = claim(db)

    assert item == Claimed(
        item_id,
        outbox.Operation.REPLY,
        "#alerts",
        incident,
        {"text": "Still firing."},
        0,
        f"incident:{incident}",
        None,
    )


def test_an_item_not_yet_due_holds_back_the_items_queued_after_it(db: Database) -> None:
    incident = new_incident(db)
    first = post(db, incident, at=NOW + timedelta(seconds=30))
    reply(db, incident, "queued behind the post")

    assert claim(db, at=NOW + timedelta(seconds=29)) == []
    assert claimed_ids(db, at=NOW + timedelta(seconds=30)) == [first]


def test_a_new_incidents_post_goes_before_a_thread_reply_of_an_older_incident(db: Database) -> None:
    older, newer = new_incident(db), new_incident(db)
    reply(db, older, "Still firing.")
    newer_post = post(db, newer)

    assert claimed_ids(db) == [newer_post]


def test_updates_are_paced_apart_from_posts_so_neither_waits_behind_the_other(db: Database) -> None:
    older, newer, third = new_incident(db), new_incident(db), new_incident(db)
    older_update, third_update = update(db, older), update(db, third)
    newer_post = post(db, newer)

    assert claimed_ids(db) == [newer_post, older_update]
    assert claim(db, at=NOW + PACE / 2) == []
    assert claimed_ids(db, at=NOW + PACE) == [third_update]


def test_a_channel_takes_one_message_per_interval_and_other_channels_are_not_held_up(db: Database) -> None:
    first, second, ops = new_incident(db), new_incident(db), new_incident(db, "#ops")
    first_post, second_post, ops_post = post(db, first), post(db, second), post(db, ops)

    assert claimed_ids(db) == [first_post, ops_post]
    complete(db, first_post)
    assert claim(db, at=NOW + PACE / 2) == []
    assert claimed_ids(db, at=NOW + PACE) == [second_post]


def test_a_channel_with_thousands_of_queued_messages_does_not_delay_another_channels_one(db: Database) -> None:
    with db.transaction() as session:
        rows = [
            outbox.new_row(key=f"digest:{n}", channel="#busy", operation=outbox.Operation.POST, at=NOW)
            for n in range(5_000)
        ]
        outbox.add_rows(session, rows)
    quiet = post(db, new_incident(db, "#quiet"))

    claimed = claim(db)
    assert [item.channel for item in claimed] == ["#busy", "#quiet"]
    assert claimed[1].id == quiet
    complete(db, claimed[0].id)
    assert [item.channel for item in claim(db, at=NOW + PACE)] == ["#busy"]


def test_a_chart_waits_for_its_incidents_update_even_while_that_is_not_yet_due(db: Database) -> None:
    incident = new_incident(db)
    complete(db, post(db, incident))
    later = update(db, incident, at=NOW + timedelta(seconds=30))
    with db.transaction() as session:
        chart = outbox.enqueue_chart(
            session, incident_id=incident, channel="#alerts", request={"metric": "Errors"}, event="fire",
            since=NOW, until=None, not_before=NOW,
        )  # fmt: skip
        session.flush()
        chart_id = chart.id

    assert claim(db, pace=timedelta(0)) == []
    assert claimed_ids(db, at=NOW + timedelta(seconds=30), pace=timedelta(0)) == [later]
    complete(db, later, at=NOW + timedelta(seconds=30))
    assert claimed_ids(db, at=NOW + timedelta(seconds=31), pace=timedelta(0)) == [chart_id]


def test_a_paused_channel_takes_nothing_until_the_pause_ends(db: Database) -> None:
    item_id = post(db, new_incident(db))
    with db.transaction() as session:
        outbox.channel_paused(session, ref="#alerts", until=NOW + timedelta(seconds=7))

    assert claim(db, at=NOW + timedelta(seconds=6)) == []
    assert claimed_ids(db, at=NOW + timedelta(seconds=7)) == [item_id]


def test_a_channel_addressed_by_name_and_by_id_shares_one_pace(db: Database) -> None:
    item_id = post(db, new_incident(db, "C0ALERTS"))
    with db.transaction() as session:
        outbox.channel_written(session, ref="#alerts", channel_id="C0ALERTS", next_send_at=NOW + PACE)

    assert claim(db, at=NOW + PACE / 2) == []
    assert claimed_ids(db, at=NOW + PACE) == [item_id]


def test_a_second_update_request_brings_the_waiting_update_forward_and_never_back(db: Database) -> None:
    incident = new_incident(db)
    first = update(db, incident, at=NOW + timedelta(seconds=10))
    sooner = update(db, incident, at=NOW + timedelta(seconds=2))
    later = update(db, incident, at=NOW + timedelta(seconds=20))

    assert first == sooner == later
    assert row(db, first).next_attempt_at == NOW + timedelta(seconds=2)


def test_an_update_requested_while_the_post_waits_is_the_post(db: Database) -> None:
    incident = new_incident(db)
    posted = post(db, incident)

    assert update(db, incident) == posted
    with db.transaction() as session:
        assert outbox.pending_count(session) == 1


def test_an_update_requested_while_another_is_being_sent_is_queued_behind_it(db: Database) -> None:
    incident = new_incident(db)
    sending = update(db, incident)
    [claimed] = claim(db)

    queued = update(db, incident)

    assert claimed.id == sending and queued != sending
    complete(db, sending)
    assert claimed_ids(db, at=NOW + PACE) == [queued]


def test_a_retried_item_waits_until_its_time_and_counts_the_attempt(db: Database) -> None:
    item_id = post(db, new_incident(db))
    claim(db)
    with db.transaction() as session:
        outbox.retry_later(session, item_id, at=NOW + timedelta(seconds=4), error="HTTP 500 internal_error")

    assert claim(db, at=NOW + timedelta(seconds=3)) == []
    [again] = claim(db, at=NOW + timedelta(seconds=4))
    assert (again.id, again.attempts) == (item_id, 1)
    assert row(db, item_id).last_error == "HTTP 500 internal_error"


def test_a_rate_limited_retry_does_not_count_as_an_attempt(db: Database) -> None:
    item_id = post(db, new_incident(db))
    claim(db)
    with db.transaction() as session:
        outbox.retry_later(session, item_id, at=NOW + PACE, error="ratelimited", count_attempt=False)

    assert row(db, item_id).attempts == 0


def test_a_given_up_item_is_kept_with_its_error_and_the_next_item_goes(db: Database) -> None:
    incident = new_incident(db)
    refused, following = post(db, incident), reply(db, incident, "next")
    claim(db)
    with db.transaction() as session:
        outbox.give_up(session, refused, now=NOW, error="channel_not_found")

    kept = row(db, refused)
    assert (kept.status, kept.last_error, kept.attempts) == ("failed", "channel_not_found", 1)
    assert claimed_ids(db, at=NOW + PACE) == [following]


def test_a_claim_left_by_a_crashed_drainer_expires_and_another_takes_the_item(db: Database) -> None:
    item_id = post(db, new_incident(db))
    claim(db, holder="crashed")

    assert claim(db, at=NOW + timedelta(seconds=outbox.CLAIM_SECONDS - 1), holder="drainer-b") == []
    assert claimed_ids(db, at=NOW + timedelta(seconds=outbox.CLAIM_SECONDS), holder="drainer-b") == [item_id]
    assert row(db, item_id).claimed_by == "drainer-b"


def test_pending_count_leaves_out_what_was_sent_or_given_up(db: Database) -> None:
    incident, other = new_incident(db), new_incident(db, "#ops")
    sent, refused = post(db, incident), post(db, other)
    reply(db, incident, "waiting")
    complete(db, sent)
    with db.transaction() as session:
        outbox.give_up(session, refused, now=NOW, error="not_in_channel")

    with db.transaction() as session:
        assert outbox.pending_count(session) == 1
        statuses = sorted(session.scalars(select(OutboxItem.status)))
    assert statuses == ["done", "failed", "pending"]
