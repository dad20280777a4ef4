"""`/wait` jobs on a real database: what one replica claims, another takes at once when it is given back."""

from __future__ import annotations

from datetime import timedelta

from bot.core import wait_jobs
from bot.store import Database
from bot.store.models import OutboxItem
from tests.alerting import NOW


def start_wait(db: Database) -> int:
    with db.transaction() as session:
        job = wait_jobs.create(
            session, service="ec2", waiter="instance_running", params={"InstanceIds": ["i-1"]}, account="1",
            region="us-east-1", requester="U0ALICE", channel="C0ALERTS", delay_seconds=15, max_attempts=40,
            deadline=NOW + timedelta(minutes=10), now=NOW,
        )  # fmt: skip
        return job.id


def test_a_new_wait_queues_its_message_in_the_outbox(db: Database) -> None:
    job_id = start_wait(db)
    with db.transaction() as session:
        [item] = session.query(OutboxItem).all()
        assert (item.ordering_key, item.operation, item.channel) == (f"wait:{job_id}", "post_incident", "C0ALERTS")


def test_a_job_given_back_by_a_stopping_replica_is_polled_by_another_at_once(db: Database) -> None:
    job_id = start_wait(db)
    with db.transaction() as session:
        assert [job.id for job in wait_jobs.claim_due(session, holder="a:8080", now=NOW)] == [job_id]
    with db.transaction() as session:
        assert wait_jobs.claim_due(session, holder="b:8080", now=NOW) == []
        assert wait_jobs.release_claims(session, holder="a:8080") == 1
    with db.transaction() as session:
        assert [job.id for job in wait_jobs.claim_due(session, holder="b:8080", now=NOW)] == [job_id]


def test_the_last_poll_ends_the_job_and_queues_its_outcome_in_the_thread(db: Database) -> None:
    job_id = start_wait(db)
    with db.transaction() as session:
        ended = wait_jobs.record_poll(session, job_id=job_id, state="Name: running", verdict="success", now=NOW)
        assert ended is not None and ended.status == "success"
    with db.transaction() as session:
        items = session.query(OutboxItem).order_by(OutboxItem.id).all()
        assert [(i.operation, i.payload) for i in items] == [
            ("post_incident", {}),
            ("thread_reply", {"outcome": True}),
        ], "the update rides on the post still waiting; the outcome follows in its thread"
