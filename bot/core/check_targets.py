"""Check targets: what each (check, account, region) last recorded, and the check's health summed over them.

A target's run is recorded in one transaction keyed by (check, target, tick): the first statement moves the
target's tick forward with a compare-and-set, so that a second run of the same tick (a job retried after its worker
died between our commit and the queue's) or of an older one finds the tick taken and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import rows_changed
from bot.store.models import CheckHealth, CheckTarget


def take_tick(
    session: Session, *, check: str, account: str, region: str, tick: datetime | None, now: datetime
) -> CheckTarget | None:
    """The target's row, its tick moved to `tick`; None when `tick` (or a later one) is recorded already. A run
    never delivered twice (in-process, a Re-check: `tick` None) is not keyed and leaves the tick alone."""
    where = [CheckTarget.check_name == check, CheckTarget.account == account, CheckTarget.region == region]
    if tick is not None:
        moved = session.execute(
            update(CheckTarget)
            .where(*where, or_(CheckTarget.tick.is_(None), CheckTarget.tick < tick))
            .values(tick=tick, ran_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(moved) == 0 and session.scalar(select(CheckTarget.check_name).where(*where)) is not None:
            return None
    row = session.scalars(select(CheckTarget).where(*where)).one_or_none()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = CheckTarget(
                check_name=check, account=account, region=region, tick=tick, ran_at=now, consecutive_failures=0,
                findings_firing=0,
            )  # fmt: skip
            session.add(row)
    except IntegrityError:
        return None  # another run of this target recorded it first
    return row


def recorded_targets(session: Session, *, check: str, tick: datetime) -> set[tuple[str, str]]:
    """(account, region) of the targets of `check` that recorded `tick` or a later one."""
    query = select(CheckTarget.account, CheckTarget.region).where(
        CheckTarget.check_name == check, CheckTarget.tick >= tick
    )
    return {(account, region) for account, region in session.execute(query)}


def record_target(row: CheckTarget, *, now: datetime, error: str | None, firing: int) -> None:
    """One run of the target: a failure counts one more in a row (its findings are unknown, so the firing count
    stays); a success clears them."""
    row.ran_at = now
    if error is not None:
        row.last_error = error
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
    else:
        row.last_error, row.consecutive_failures, row.findings_firing = None, 0, firing


def sum_health(
    session: Session, *, check: str, check_type: str, targets: Sequence[tuple[str, str]], now: datetime
) -> CheckHealth:
    """The check's health from its configured targets' rows: failing while any target fails (as many runs in a
    row as the worst one), the errors of each failing target, the findings firing over all of them."""
    health = _locked_health(session, check=check, check_type=check_type)  # first: then the rows are all committed
    configured = set(targets)
    # Only the rows that fire or fail are read: a job's cost must not grow with the number of targets.
    of_check = CheckTarget.check_name == check
    firing_rows = session.execute(
        select(CheckTarget.account, CheckTarget.region, CheckTarget.findings_firing).where(
            of_check, CheckTarget.findings_firing > 0
        )
    ).all()
    failing = [
        r
        for r in session.execute(
            select(CheckTarget.account, CheckTarget.region, CheckTarget.last_error, CheckTarget.consecutive_failures)
            .where(of_check, CheckTarget.last_error.is_not(None))
            .order_by(CheckTarget.account, CheckTarget.region)
        )
        if (r.account, r.region) in configured
    ]
    health.check_type, health.last_run_at = check_type, now
    health.findings_firing = sum(r.findings_firing for r in firing_rows if (r.account, r.region) in configured)
    health.consecutive_failures = max((r.consecutive_failures for r in failing), default=0)
    if failing:
        health.last_error = "; ".join(f"{r.account}/{r.region}: {r.last_error}" for r in failing)
    else:
        health.last_ok_at, health.last_error = now, None
    return health


def _locked_health(session: Session, *, check: str, check_type: str) -> CheckHealth:
    """The check's health row, locked until the commit: targets of one check recorded at once (workers) sum their
    rows one after the other, the last seeing every other's committed row. Created by the first run of the check,
    whichever target's wins the race."""
    health = session.scalars(select(CheckHealth).where(CheckHealth.name == check).with_for_update()).one_or_none()
    if health is not None:
        return health
    try:
        with session.begin_nested():
            session.add(CheckHealth(name=check, check_type=check_type, consecutive_failures=0, findings_firing=0))
    except IntegrityError:
        pass  # another target's run created it
    return session.scalars(select(CheckHealth).where(CheckHealth.name == check).with_for_update()).one()
