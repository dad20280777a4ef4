"""What a digest says about one period, read from the database into plain data; and the record of digests posted.

MTTA counts only incidents a person answered: acknowledged, or resolved without an acknowledgement first.
MTTR counts every incident resolved in the period, by a person or because its alerts cleared.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core.best_practices import FINGERPRINT_PREFIX, digest_changes
from bot.enums import AlertStatus, ErrorGroupStatus, IncidentStatus
from bot.store.models import Alert, DigestRun, ErrorGroup, Incident, IncidentEvent
from bot.views.digest import CheckTrouble, DigestData, ErrorGroupLine, OpenIncident, Percentiles
from bot.views.status_queries import all_health

FIRST_DIGEST_LOOKBACK = timedelta(hours=24)
STALE_AFTER_INTERVALS = 3
NOISIEST_SHOWN = 5
HEALTH_CHECK_PREFIX = "health:"


def percentiles(durations: list[timedelta]) -> Percentiles | None:
    """Median, and the nearest-rank 90th percentile: a time that at least 90% of the incidents met."""
    if not durations:
        return None
    ordered = sorted(durations)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    middle = len(ordered) // 2  # statistics.median, spelled out: it is typed for numbers, not timedeltas
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Percentiles(len(ordered), median, p90)


@dataclass(frozen=True)
class IncidentTimes:
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None


def response_times(
    incidents: list[IncidentTimes], *, start: datetime, end: datetime
) -> tuple[list[timedelta], list[timedelta]]:
    """(times to acknowledge, times to resolve) of the answers given within [start, end)."""
    to_ack, to_resolve = [], []
    for incident in incidents:
        answered = incident.acknowledged_at or (incident.resolved_at if incident.resolved_by else None)
        if answered is not None and start <= answered < end:
            to_ack.append(answered - incident.opened_at)
        if incident.resolved_at is not None and start <= incident.resolved_at < end:
            to_resolve.append(incident.resolved_at - incident.opened_at)
    return to_ack, to_resolve


def collect_digest(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    project: str | None,
    checks: list[tuple[str, str, timedelta]],
) -> DigestData:
    """Everything the digest of [start, end) shows; `checks` is (name, type, interval) per configured check."""
    incidents = incidents_between(session, start, end, project)
    to_ack, to_resolve = response_times(
        [IncidentTimes(i.opened_at, i.acknowledged_at, i.resolved_at, i.resolved_by) for i in incidents],
        start=start,
        end=end,
    )
    still_open = [
        OpenIncident(i.id, i.title, i.severity, i.status, i.opened_at)
        for i in incidents
        if i.status != IncidentStatus.RESOLVED and i.opened_at < end
    ]
    # Error groups belong to a log source, not a tagged resource: a project's digest cannot claim them.
    errors = ([], []) if project else _error_groups(session, start, end)
    appeared, fixed = digest_changes(session, start=start, end=end, project=project)
    return DigestData(
        start=start,
        end=end,
        project=project,
        opened=sum(1 for i in incidents if start <= i.opened_at < end),
        resolved=sum(1 for i in incidents if i.resolved_at is not None and start <= i.resolved_at < end),
        still_open=sorted(still_open, key=lambda i: i.opened_at),
        mtta=percentiles(to_ack),
        mttr=percentiles(to_resolve),
        new_errors=errors[0],
        regressed_errors=errors[1],
        noisiest=_noisiest(session, start, end, project),
        checks=_check_troubles(session, checks, end),
        practices_appeared=appeared,
        practices_fixed=fixed,
        flapping=_flapping_now(session, project),
        started_flapping=_flapping_starts(session, start, end, [i.id for i in incidents] if project else None),
    )


def _flapping_now(session: Session, project: str | None) -> int:
    labels = session.scalars(select(Alert.labels).where(Alert.flapping.is_(True))).all()
    return sum(1 for alert_labels in labels if project is None or (alert_labels or {}).get("project") == project)


def _flapping_starts(session: Session, start: datetime, end: datetime, incident_ids: list[int] | None) -> int:
    """The period's "started flapping" events; of the given incidents only, for a project's digest."""
    query = select(func.count()).where(IncidentEvent.kind == "flapping_started", _in(IncidentEvent.at, start, end))
    if incident_ids is not None:
        query = query.where(IncidentEvent.incident_id.in_(incident_ids or [-1]))
    return int(session.scalar(query) or 0)


def _in(column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None], start: datetime,
        end: datetime) -> ColumnElement[bool]:  # fmt: skip
    return and_(column >= start, column < end)


def incidents_between(session: Session, start: datetime, end: datetime, project: str | None) -> list[Incident]:
    """Incidents opened, answered or resolved in [start, end), or open at its end; of `project` only, if given."""
    incidents = session.scalars(
        select(Incident).where(
            or_(
                _in(Incident.opened_at, start, end),
                _in(Incident.acknowledged_at, start, end),
                _in(Incident.resolved_at, start, end),
                and_(Incident.status != IncidentStatus.RESOLVED, Incident.opened_at < end),
            )
        )
    ).all()
    if project is None or not incidents:
        return list(incidents)
    labels = session.execute(
        select(Alert.incident_id, Alert.labels).where(Alert.incident_id.in_([i.id for i in incidents]))
    )
    ours = {incident_id for incident_id, alert_labels in labels if (alert_labels or {}).get("project") == project}
    return [i for i in incidents if i.id in ours]


def _error_groups(
    session: Session, start: datetime, end: datetime
) -> tuple[list[ErrorGroupLine], list[ErrorGroupLine]]:
    rows = session.scalars(
        select(ErrorGroup)
        .where(
            or_(
                and_(ErrorGroup.status == ErrorGroupStatus.NEW, _in(ErrorGroup.first_seen, start, end)),
                and_(ErrorGroup.status == ErrorGroupStatus.REGRESSED, _in(ErrorGroup.last_seen, start, end)),
            )
        )
        .order_by(ErrorGroup.count.desc(), ErrorGroup.id)
    ).all()
    lines: dict[str, list[ErrorGroupLine]] = defaultdict(list)
    for row in rows:
        lines[row.status].append(ErrorGroupLine(row.source, row.title, row.count))
    return lines[ErrorGroupStatus.NEW], lines[ErrorGroupStatus.REGRESSED]


def _noisiest(session: Session, start: datetime, end: datetime, project: str | None) -> list[tuple[str, int]]:
    """Resources by how many of their alerts fired during the period (the bot's own check-health alerts and the
    standing best-practice findings aside)."""
    alerts = session.execute(
        select(Alert.resource, Alert.title, Alert.labels).where(
            # A firing alert's stored last_seen may lag up to LAST_SEEN_STEP: it was seen up to now all the same.
            or_(Alert.last_seen >= start, Alert.status == AlertStatus.FIRING), Alert.first_seen < end,
            Alert.check_name.not_like(f"{HEALTH_CHECK_PREFIX}%"),
            Alert.fingerprint.not_like(f"{FINGERPRINT_PREFIX}%"),
        )
    )  # fmt: skip
    counts = Counter(
        resource or title
        for resource, title, labels in alerts
        if project is None or (labels or {}).get("project") == project
    )
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:NOISIEST_SHOWN]


def _check_troubles(session: Session, checks: list[tuple[str, str, timedelta]], end: datetime) -> list[CheckTrouble]:
    health = all_health(session)
    troubles = []
    for name, _type, every in checks:
        h = health.get(name)
        if h is None or h.last_run_at is None:
            continue
        stale = h.last_ok_at is None or end - h.last_ok_at > STALE_AFTER_INTERVALS * every
        if h.consecutive_failures or h.last_error or stale:
            troubles.append(CheckTrouble(name, h.consecutive_failures, h.last_error, h.last_ok_at, stale))
    return troubles


def claim_period(
    session: Session, *, channel: str, project: str | None, period: str, scheduled: bool, end: datetime, now: datetime
) -> tuple[int, datetime] | None:
    """Record the digest of `period` before it is posted; None when it already was. Returns (run id, start):
    a digest starts where the last scheduled one ended, or a day back for the first."""
    last_end = session.scalar(
        select(DigestRun.period_end)
        .where(DigestRun.channel == channel, DigestRun.project == (project or ""), DigestRun.scheduled.is_(True))
        .order_by(DigestRun.period_end.desc())
        .limit(1)
    )
    start = min(last_end, end) if last_end is not None else end - FIRST_DIGEST_LOOKBACK
    run = DigestRun(
        channel=channel, project=project or "", period=period, scheduled=scheduled, period_start=start,
        period_end=end, created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        return None
    return run.id, start


def record_posted(session: Session, *, run_id: int, message_ts: str) -> None:
    run = session.get(DigestRun, run_id)
    if run is not None:
        run.message_ts = message_ts
