"""One check run's findings applied as a set: read in a few queries, decided in memory, written in a few statements.

The decisions are those of Alertmanager's dedup stage (`decide_alert`), one alert at a time in the run's order, as
if each were written before the next is decided: a group's first alert opens its incident and the next ones join
it, and the last of an incident's alerts to clear resolves it. What the database would have answered in between (the
open incident of a group, how many of an incident's alerts fire) is kept in memory instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Row, func, insert, or_, select
from sqlalchemy.orm import Session

from bot.core.alert_states import (
    CHUNK,
    JSON_COLUMNS,
    LAST_SEEN_STEP,
    STORED,
    AlertState,
    encoded_as,
    load_by_fingerprint,
    load_inhibited_by,
    load_rows,
    sampled_alerts,
    write_alerts,
)
from bot.core.decisions import IncidentView, Reason, decide_alert, next_update_at
from bot.core.findings import CheckResult, Finding
from bot.core.inhibition import Inhibitor, InhibitRule, SourceAlert
from bot.core.inhibition_sources import stored_sources
from bot.core.routing import Route, route_for
from bot.core.silences import silence_for
from bot.delivery import outbox
from bot.enums import AlertStatus, IncidentStatus, Severity, Source
from bot.flapping import SAMPLES, FlapChange, add_sample, flap_change, percent_state_change, still_flapping
from bot.store.models import Alert, Incident, IncidentEvent, OutboxItem
from bot.views.status_queries import active_silences

BOT_ACTOR = "boltwatch"
PART = 2000
"""Findings (and alerts its scope resolves) a run decides and writes at a time: a run of ten thousand holds the
states of a fifth of them at once, and the statements stay as few (a thousand fingerprints to a statement on SQLite)."""


@dataclass
class Observation:
    """What one check run changed, by reason; for logs, metrics and tests."""

    reasons: Counter[Reason] = field(default_factory=Counter)
    incidents_touched: set[int] = field(default_factory=set)
    source: Source = Source.POLL
    """What saw these changes: a check run, or a delivery from AWS."""


def view_of(incident: Incident, firing_alerts: int) -> IncidentView:
    return IncidentView(
        status=incident.status,
        posted=incident.message_ts is not None,
        snoozed_until=incident.snoozed_until,
        firing_alerts=firing_alerts,
        last_reminded_at=incident.last_reminded_at,
        opened_at=incident.opened_at,
    )


@dataclass(eq=False)
class _Queued:
    """An outbox item this run adds; an update's time may still move earlier, and a reply after an incident
    resolved is dropped if the incident's post turns out to be still waiting (that post will show it resolved)."""

    incident: Incident
    operation: outbox.Operation
    at: datetime
    payload: dict[str, Any] | None = None
    unless_post_waiting: bool = False
    dropped: bool = False


@dataclass
class _Chart:
    """A chart this run asks for: at fire, of the finding's metric from the alert's start; at resolve, the fire's
    chart again over the whole incident."""

    incident: Incident
    event: str
    at: datetime
    request: Mapping[str, Any] | None = None
    since: datetime | None = None


class CheckRun:
    def __init__(
        self,
        session: Session,
        *,
        check: str,
        routes: list[Route],
        now: datetime,
        source: Source,
        charts: bool = True,
        inhibit_rules: Sequence[InhibitRule] = (),
    ) -> None:
        self.session, self.check, self.routes, self.now = session, check, routes, now
        self.inhibit_rules = list(inhibit_rules)
        self.inhibitor: Inhibitor | None = None
        self.charts_on = charts
        self.charts: list[_Chart] = []
        self.observation = Observation(source=source)
        self.silences = active_silences(session, now)
        self.loaded: dict[int, Incident] = {}
        self.open_by_key: dict[str, list[Incident]] = {}
        self.firing_delta: Counter[Incident] = Counter()
        self.firing_stored: dict[int, int] = {}
        self.opened: list[Incident] = []
        self.events: list[tuple[Incident, str, str]] = []
        self.queued: list[_Queued] = []
        self.waiting_update: dict[Incident, _Queued] = {}
        self.touched: list[Incident] = []

    def apply(self, result: CheckResult) -> None:
        """The run's findings in parts of `PART` (their alerts loaded, decided and written, then let go), then the
        alerts its scope resolves, so that what a run holds at once does not grow with its findings."""
        sampled = sampled_alerts(self.session, check=self.check)
        reported = {f.fingerprint for f in result.findings}
        unreported = [fp for fp in sampled if fp not in reported and result.covers(fp)]
        if self.inhibit_rules:
            uncovered = [fp for fp, status in sampled.items() if status == AlertStatus.FIRING and fp not in reported
                         and not result.covers(fp)]  # fmt: skip
            self.inhibitor = self._inhibitor(result.findings, uncovered)
        stopped: list[str] = []
        # A fingerprint reported twice is decided twice against one state: such a run is applied in one part.
        size = PART if len(reported) == len(result.findings) else max(len(result.findings), 1)
        for start in range(0, len(result.findings), size):
            stopped += self._apply_findings(result.findings[start : start + size])
        for start in range(0, len(unreported), PART):
            part = unreported[start : start + PART]
            states = load_by_fingerprint(self.session, part)
            self._load_incidents(states, [])
            ordered = [states[fp] for fp in part if fp in states]  # oldest first, as stored
            for state in ordered:
                self._clear(state)
            stopped += self._write_alerts(ordered)
        if self.inhibitor is not None:
            self._write_alerts(self._release(sorted(stopped), reported.union(sampled)))
        self._write()

    def _apply_findings(self, findings: list[Finding]) -> list[str]:
        """Decide and write one part of the run's findings; the fingerprints of the alerts it stopped."""
        fingerprints = list(dict.fromkeys(f.fingerprint for f in findings))
        rows = load_rows(self.session, fingerprints)
        self._load_incident_ids({row.incident_id for row in rows.values() if row.incident_id is not None})
        # A fingerprint reported twice is decided the second time against the state the first left: no shortcut.
        steady = self._steady(findings, rows) if len(fingerprints) == len(findings) else {}
        findings = [f for f in findings if f.fingerprint not in steady]
        known = {f.fingerprint: AlertState.of(row) for f in findings if (row := rows.get(f.fingerprint)) is not None}
        routed: dict[int, tuple[dict[str, str], Route]] = {}
        for finding in findings:
            if finding.firing:
                labels = finding.all_labels(self.check)
                routed[id(finding)] = labels, route_for(self.routes, labels)
        self._load_incidents(known, [(f.fingerprint, *routed[id(f)]) for f in findings if f.firing])
        for finding in findings:
            state = known.get(finding.fingerprint)
            if finding.firing:
                labels, route = routed[id(finding)]
                known[finding.fingerprint] = self._fire(finding, state, labels, route)
            elif state is not None and (state.firing or state.flap_history is not None):
                self._clear(state)
        seen = [row.id for row in steady.values() if self.now - row.last_seen >= LAST_SEEN_STEP]
        return self._write_alerts([known[fp] for fp in fingerprints if fp in known], seen)  # in the run's order

    def _steady(self, findings: list[Finding], rows: Mapping[str, Row[Any]]) -> dict[str, Row[Any]]:
        """The stored rows of the firing findings that change nothing: their alert fired, notified and held its
        open incident as stored, and reads now as stored (`AlertState.changed` would say no). `_fire` would decide
        each UNCHANGED and write at most its `last_seen`; here the decision costs no state, route or flap sample."""
        if self.inhibitor is not None:
            return {}
        steady: dict[str, Row[Any]] = {}
        firing = AlertStatus.FIRING
        for finding in findings:
            row = rows.get(finding.fingerprint)
            if row is None or not finding.firing or not finding.notify:
                continue
            status, flapping, flap_history, silenced_by, inhibited_by, incident_id, first_seen = _held(row)
            if (
                status != firing or flapping or flap_history is not None or silenced_by is not None
                or inhibited_by is not None or incident_id is None
                or (finding.started_at is not None and finding.started_at < first_seen)
                # The severity is a StrEnum: equal to the text stored.
                or (finding.severity, finding.title, finding.summary, finding.resource, finding.account,
                    finding.region) != _shown_and_scope(row)
            ):  # fmt: skip
                continue
            incident = self.loaded.get(incident_id)
            if incident is None or incident.status == IncidentStatus.RESOLVED:
                continue
            labels = finding.all_labels(self.check)
            if self.silences and silence_for(self.silences, labels) is not None:
                continue
            if not encoded_as([labels, _plain(finding.links), _plain(finding.evidence)], list(_encoded(row))):
                continue
            steady[finding.fingerprint] = row
            self.observation.reasons[Reason.UNCHANGED] += 1
            self.touched.append(incident)
        return steady

    # --- reading ---------------------------------------------------------------------------------------------------

    def _inhibitor(self, findings: list[Finding], uncovered: list[str]) -> Inhibitor:
        """The alerts that may inhibit others once this run is applied: the firing alerts of other checks as
        stored, and this check's as the run leaves them (its firing findings, and the `uncovered` alerts it fires
        without covering)."""
        sources = stored_sources(self.session, self.inhibit_rules, other_than=self.check)
        sources.extend(SourceAlert(f.fingerprint, f.all_labels(self.check)) for f in findings if f.firing)
        for start in range(0, len(uncovered), PART):
            states = load_by_fingerprint(self.session, uncovered[start : start + PART])
            sources.extend(SourceAlert(a.fingerprint, dict(a.decoded().labels)) for a in states.values())
        return Inhibitor.of(self.inhibit_rules, sources)

    def _load_incidents(self, known: dict[str, AlertState], routed: list[tuple[str, dict[str, str], Route]]) -> None:
        """The open incidents of these alerts, and of the groups that their firing findings without one join (those
        the run has not read yet)."""
        self._load_incident_ids({a.incident_id for a in known.values() if a.incident_id is not None})
        for state in known.values():
            state.incident = self.loaded.get(state.incident_id) if state.incident_id is not None else None
        keys = {
            route.group_key(labels)
            for fingerprint, labels, route in routed
            if (alert := known.get(fingerprint)) is None or alert.incident is None
        }
        self._load_groups(sorted(keys - self.open_by_key.keys()))

    def _load_incident_ids(self, ids: set[int]) -> None:
        """These incidents, those of them not resolved, unless the run has read them already."""
        for part in _chunks(sorted(ids - self.loaded.keys())):
            query = select(Incident).where(Incident.id.in_(part), Incident.status != IncidentStatus.RESOLVED)
            self._read(list(self.session.scalars(query)))

    def _load_groups(self, keys: list[str]) -> None:
        for part in _chunks(keys):
            self.open_by_key.update((key, []) for key in part)
            query = (
                select(Incident)
                .where(Incident.group_key.in_(part), Incident.status != IncidentStatus.RESOLVED)
                .order_by(Incident.id)
            )
            incidents = list(self.session.scalars(query))
            for incident in incidents:
                self.open_by_key[incident.group_key].append(incident)
            self._read(incidents)

    def _read(self, incidents: list[Incident]) -> None:
        """Incidents read from the database, and how many of their alerts fire as stored. Those are counted before
        the run writes any of their alerts: a part of the run that writes an incident's alerts has read it first."""
        new = [i for i in incidents if i.id not in self.loaded]
        self.loaded.update((i.id, i) for i in new)
        holding = or_(Alert.status == AlertStatus.FIRING, Alert.flapping.is_(True))  # as `AlertState.notifying`
        for part in _chunks(sorted(i.id for i in new)):
            query = (
                select(Alert.incident_id, func.count())
                .where(Alert.incident_id.in_(part), holding, Alert.silenced_by.is_(None), Alert.inhibited_by.is_(None))
                .group_by(Alert.incident_id)
            )
            self.firing_stored.update((i, n) for i, n in self.session.execute(query) if i is not None)

    def _open_incident(self, group_key: str) -> Incident | None:
        """The group's oldest open incident (one this run opened included)."""
        if group_key not in self.open_by_key:
            self._load_groups([group_key])  # a group whose incident this run resolved: rare, so one query
        return next((i for i in self.open_by_key[group_key] if i.status != IncidentStatus.RESOLVED), None)

    def _firing_count(self, incident: Incident) -> int:
        """Its alerts firing and not silenced, as the database would say had every change so far been written."""
        if incident.id is None:
            return self.firing_delta[incident]
        return self.firing_stored.get(incident.id, 0) + self.firing_delta[incident]

    def _counting(self, state: AlertState, sign: int) -> None:
        if state.notifying and state.incident is not None:
            self.firing_delta[state.incident] += sign

    # --- deciding --------------------------------------------------------------------------------------------------

    def _fire(self, finding: Finding, state: AlertState | None, labels: dict[str, str], route: Route) -> AlertState:
        silence = silence_for(self.silences, labels)
        # A flapping alert counts as firing while it holds an open incident.
        was_firing = state is not None and state.notifying and (state.firing or state.incident is not None)
        if state is None:
            state = AlertState.new(finding.fingerprint, self.check, self.now)
        else:
            self._counting(state, -1)
        held = was_firing and not state.firing  # a flapping alert's return: no news for its incident
        change = self._sample(state, firing=True, route=route)
        if not state.firing:
            state.first_seen, state.resolved_at = self.now, None
        # An alert that stayed firing while inhibited fired once, however many runs saw it.
        if not was_firing and not (state.firing and state.inhibited_by is not None):
            state.count += 1
        shown_before = state.shown()
        state.copy_finding(finding, labels, self.now)
        state.silenced_by = silence.id if silence is not None else None
        state.inhibited_by = self.inhibitor.inhibiting(labels) if self.inhibitor is not None else None
        return self._decide_firing(
            state, route, labels, was_firing=was_firing, silenced=silence is not None or not finding.notify,
            changed=was_firing and state.shown() != shown_before, held=held, change=change, chart=finding.chart,
        )  # fmt: skip

    def _decide_firing(
        self,
        state: AlertState,
        route: Route,
        labels: dict[str, str],
        *,
        was_firing: bool,
        silenced: bool,
        changed: bool,
        held: bool,
        change: FlapChange | None,
        chart: Mapping[str, Any] | None,
    ) -> AlertState:
        """What a firing alert, as it now reads, means for its incident: open it, join it, update it, or nothing."""
        incident = self._current_incident(state, route, labels)
        joined = incident is not None and not was_firing
        reason = decide_alert(
            was_firing=was_firing,
            firing=True,
            silenced=silenced,
            incident=view_of(incident, self._firing_count(incident)) if incident is not None else None,
            now=self.now,
            changed=changed,
            flapping=held and state.flapping,
            inhibited=state.inhibited_by is not None,
        )
        self.observation.reasons[reason] += 1
        if reason in (Reason.SILENCED, Reason.INHIBITED):
            self._counting(state, +1)  # still counts if only its finding asked not to notify
            return state
        source = self.observation.source
        if incident is None:
            incident = self._new_incident(state, route, labels)
        elif joined:
            self._note(incident, "alert_firing", f"{state.title}, seen first by {source}")
        state.incident = incident
        self._counting(state, +1)
        self.touched.append(incident)
        severity = Severity(state.severity)
        if reason is Reason.FIRST_NOTIFICATION:
            self.queued.append(_Queued(incident, outbox.Operation.POST, self.now + route.group_wait))
            if self.charts_on and chart is not None:
                at = self.now + route.group_wait
                self.charts.append(_Chart(incident, "fire", at, chart, state.first_seen))
        elif reason in (Reason.NEW_ALERT_IN_GROUP, Reason.ALERT_CHANGED):
            _raise_severity(incident, severity)
            self._queue_update(incident, route)
        elif reason is Reason.FLAPPING or held:
            self._queue_update(incident, route)  # its strip moved
        if change is not None:
            self._flap_note(incident, state, change, route)
        return state

    def _current_incident(self, state: AlertState, route: Route, labels: dict[str, str]) -> Incident | None:
        if state.incident is not None and state.incident.status != IncidentStatus.RESOLVED:
            return state.incident
        return self._open_incident(route.group_key(labels))

    def _new_incident(self, state: AlertState, route: Route, labels: dict[str, str]) -> Incident:
        group_key = route.group_key(labels)
        incident = Incident(
            group_key=group_key,
            route=route.name,
            channel=route.channel,
            status=IncidentStatus.OPEN,
            severity=state.severity,
            title=state.title,
            group_labels=route.group_labels(labels),
            opened_at=min(state.first_seen, self.now),
            updated_at=self.now,
        )
        self.session.add(incident)
        self.opened.append(incident)
        self.open_by_key.setdefault(group_key, []).append(incident)
        self._note(incident, "opened", f"{state.title}, seen first by {self.observation.source}")
        return incident

    def _clear(self, state: AlertState) -> None:
        """A not-firing observation of an alert that fired, or whose state changed lately: a resolve, unless the
        alert flaps (then its incident stays open and quiet), or just one more flap-detection sample."""
        incident = state.incident
        firing_before = self._firing_count(incident) if incident is not None else 0
        # An inhibited alert that held an incident before it was inhibited: its clearing may resolve that incident.
        suppressed = state.firing and state.silenced_by is None and state.inhibited_by is not None
        counted, was_firing = state.notifying or suppressed, state.firing
        firing_before += suppressed
        route = route_for(self.routes, dict(state.decoded().labels))
        self._counting(state, -1)
        change = self._sample(state, firing=False, route=route)
        if was_firing:
            state.status, state.resolved_at, state.last_seen = AlertStatus.RESOLVED, self.now, self.now
            state.inhibited_by = None
        self._counting(state, +1)  # a flapping alert still holds its incident open
        if not counted or incident is None or incident.status == IncidentStatus.RESOLVED:
            if was_firing:
                self.observation.reasons[Reason.UNCHANGED] += 1
            return
        if state.notifying and not was_firing:
            return  # a flapping alert seen clear again
        reason = decide_alert(
            was_firing=True, firing=False, silenced=False, incident=view_of(incident, firing_before), now=self.now,
            flapping=state.flapping,
        )  # fmt: skip
        self.observation.reasons[reason] += 1
        self.touched.append(incident)
        if change is not None:
            self._flap_note(incident, state, change, route)
        source = self.observation.source
        if reason is Reason.FLAPPING:
            self._queue_update(incident, route)
        elif reason is Reason.ALL_RESOLVED:
            incident.status, incident.resolved_at, incident.resolved_by = IncidentStatus.RESOLVED, self.now, None
            self._note(incident, "resolved", f"all alerts cleared, the last ({state.title}) seen first by {source}")
            if route.send_resolved:
                # Not posted yet (a backlog, an outage): the post itself will show it resolved; a reply would be noise.
                self._queue_update(incident, route)
                reply = _Queued(
                    incident, outbox.Operation.REPLY, self.now, {"text": "Resolved: every alert cleared."}, True
                )
                self.queued.append(reply)
                if self.charts_on:
                    self.charts.append(_Chart(incident, "resolve", self.now))
        else:
            self._note(incident, "alert_resolved", f"{state.title} cleared, seen first by {source}")
            self._queue_update(incident, route)

    def _release(self, stopped: list[str], run_fingerprints: set[str]) -> list[AlertState]:
        """Alerts that this run's `stopped` alerts inhibited, and that nothing inhibits any more: notified now, as
        they would have been had nothing inhibited them (the run's own alerts were decided with the rest)."""
        if not stopped:
            return []
        targets = {
            fingerprint: state.decoded()
            for fingerprint, state in load_inhibited_by(self.session, stopped).items()
            if fingerprint not in run_fingerprints
        }
        routed = [(s, dict(s.labels), route_for(self.routes, dict(s.labels))) for s in targets.values()]
        self._load_incidents(targets, [])
        self._load_groups(sorted({route.group_key(labels) for _, labels, route in routed} - self.open_by_key.keys()))
        assert self.inhibitor is not None
        for state, labels, route in routed:
            state.inhibited_by = self.inhibitor.inhibiting(labels)
            self._decide_firing(
                state, route, labels, was_firing=False, silenced=state.silenced_by is not None, changed=False,
                held=False, change=None, chart=None,
            )  # fmt: skip
        return list(targets.values())

    def _note_inhibitions(self, states: list[AlertState]) -> None:
        """Where an alert's inhibition began or ended: its own incident's timeline and message say which alert
        suppresses it, and the message of the suppressing alert's incident counts what it suppresses."""
        changes = [(s, s.stored["inhibited_by"] if s.stored else None, s.inhibited_by) for s in states]
        changes = [(state, old, new) for state, old, new in changes if old != new]
        if not changes:
            return
        sources = self._source_incidents({fp for _, old, new in changes for fp in (old, new) if fp is not None})
        for state, old, new in changes:
            for fingerprint in (old, new):
                incident, _ = sources.get(fingerprint or "", (None, ""))
                if incident is not None:
                    self._queue_update(incident, self._route_named(incident.route))
            own = state.incident
            if new is not None and own is not None and own.status != IncidentStatus.RESOLVED:
                by, title = sources.get(new, (None, new))
                number = f"#{by.id} " if by is not None else ""
                self._note(own, "alert_suppressed", f"{state.title}: suppressed by {number}{title}")
                self._queue_update(own, self._route_named(own.route))

    def _source_incidents(self, fingerprints: set[str]) -> dict[str, tuple[Incident | None, str]]:
        """Each suppressing alert's open incident (None if it has none) and its title."""
        found: dict[str, tuple[Incident | None, str]] = {}
        query = select(Alert.fingerprint, Alert.incident_id, Alert.title).where(
            Alert.fingerprint.in_(sorted(fingerprints))
        )
        for fingerprint, incident_id, title in self.session.execute(query):
            incident = None if incident_id is None else self.session.get(Incident, incident_id)
            open_incident = incident if incident is not None and incident.status != IncidentStatus.RESOLVED else None
            found[fingerprint] = (open_incident, title)
        return found

    def _route_named(self, name: str) -> Route:
        return next((r for r in self.routes if r.name == name), self.routes[-1])

    def _sample(self, state: AlertState, *, firing: bool, route: Route) -> FlapChange | None:
        """One more flap-detection sample; whether the alert started or stopped flapping with it."""
        state.flap_history = add_sample(state.flap_history, was_firing=state.firing, firing=firing)
        was_flapping = state.flapping
        percent = percent_state_change(state.flap_history)
        state.flapping = still_flapping(
            was_flapping=was_flapping, percent=percent, start=route.flap_start, stop=route.flap_stop
        )
        return flap_change(was_flapping=was_flapping, flapping=state.flapping)

    def _flap_note(self, incident: Incident, state: AlertState, change: FlapChange, route: Route) -> None:
        """One thread reply when an alert starts flapping and one when it stops, and the message shows it."""
        percent = percent_state_change(state.flap_history)
        figures = f"{percent:.1f}% state change over its last {SAMPLES} checks"
        if change is FlapChange.STARTED:
            self._note(incident, "flapping_started", f"{state.title}: {figures}")
            text = (
                f":repeat: {state.title} started flapping ({figures}). It keeps this incident open, and its"
                " resolves and re-fires are not announced until it settles."
            )
        else:
            self._note(incident, "flapping_stopped", f"{state.title}: {figures}")
            now_is = "firing" if state.firing else "clear"
            text = f":white_check_mark: {state.title} stopped flapping ({figures}); it is {now_is}."
        self.queued.append(_Queued(incident, outbox.Operation.REPLY, self.now, {"text": text}))
        self._queue_update(incident, route)

    def _queue_update(self, incident: Incident, route: Route) -> None:
        """`outbox.enqueue_update` for the whole run: one update an incident, at the earliest time asked for."""
        incident.updated_at = self.now
        when = next_update_at(
            last_update_at=incident.last_notified_at, group_interval=route.group_interval, now=self.now
        )
        waiting = self.waiting_update.get(incident)
        if waiting is None:
            waiting = _Queued(incident, outbox.Operation.UPDATE, when)
            self.waiting_update[incident] = waiting
            self.queued.append(waiting)
        waiting.at = min(waiting.at, when)

    def _note(self, incident: Incident, kind: str, detail: str) -> None:
        self.events.append((incident, kind, detail))

    # --- writing ---------------------------------------------------------------------------------------------------

    def _write_alerts(self, states: list[AlertState], seen: list[int] | None = None) -> list[str]:
        """One part's alerts (and the `last_seen` of the unchanged alerts `seen`), once the incidents this run opened
        have their ids; the fingerprints of those that stopped firing."""
        self.session.flush()
        self.loaded.update((i.id, i) for i in self.opened)  # counted in memory from the start: never read
        write_alerts(self.session, states, now=self.now, seen=seen or ())
        self._note_inhibitions(states)
        return [s.fingerprint for s in states if s.stored is not None and s.stored["status"] == AlertStatus.FIRING
                and not s.firing]  # fmt: skip

    def _write(self) -> None:
        """What the whole run queued: timeline events, outbox items, charts."""
        if self.events:
            events = [
                {"incident_id": i.id, "at": self.now, "actor": BOT_ACTOR, "kind": kind, "detail": detail}
                for i, kind, detail in self.events
            ]
            self.session.execute(insert(IncidentEvent), events)
        self._write_outbox()
        self._write_charts()
        self.observation.incidents_touched.update(i.id for i in self.touched)

    def _write_outbox(self) -> None:
        """Coalesce with what already waits, as `enqueue_update` and `post_waiting` would, then insert the rest."""
        keys = sorted({outbox.ordering_key(q.incident.id) for q in self.queued if q.operation != outbox.Operation.POST})
        waiting = outbox.waiting_by_key(self.session, keys)
        posted_now = {q.incident for q in self.queued if q.operation == outbox.Operation.POST}
        for queued in self.queued:
            items = waiting.get(outbox.ordering_key(queued.incident.id), [])
            if queued.operation == outbox.Operation.UPDATE:
                _coalesce(queued, items, posted_now)
            elif queued.unless_post_waiting:
                queued.dropped = queued.incident in posted_now or any(
                    i.operation == outbox.Operation.POST for i in items
                )
        rows = [
            outbox.new_row(
                incident_id=q.incident.id, channel=q.incident.channel, operation=q.operation, at=q.at, payload=q.payload
            )
            for q in self.queued
            if not q.dropped
        ]
        outbox.add_rows(self.session, rows)

    def _write_charts(self) -> None:
        """After the run's other items, so each chart follows its incident's post and updates (`claim_due`)."""
        resolved = [c.incident.id for c in self.charts if c.event == "resolve"]
        fired_charts = outbox.charts_of(self.session, resolved) if resolved else {}
        for chart in self.charts:
            request, since, until = chart.request, chart.since, None
            if chart.event == "resolve":
                fired = fired_charts.get(chart.incident.id)
                if fired is None:
                    continue
                request, since, until = fired["chart"], datetime.fromisoformat(fired["since"]), self.now
            if request is None or since is None:
                continue
            outbox.enqueue_chart(
                self.session, incident_id=chart.incident.id, channel=chart.incident.channel, request=request,
                event=chart.event, since=since, until=until, not_before=chart.at,
            )  # fmt: skip


def _coalesce(update: _Queued, waiting: list[OutboxItem], posted_now: set[Incident]) -> None:
    """An update needs no item of its own while the incident's post or an earlier update still waits."""
    if update.incident in posted_now:
        update.dropped = True
        return
    if not waiting:
        return
    update.dropped = True
    first = waiting[0]
    if first.operation == outbox.Operation.UPDATE and update.at < first.next_attempt_at:
        first.next_attempt_at = update.at


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return mapping if type(mapping) is dict else dict(mapping)


def _columns(*names: str) -> itemgetter[tuple[Any, ...]]:
    """The values of these columns in a row of `load_rows`, by position (faster than by name)."""
    return itemgetter(*(1 + STORED.index(name) for name in names))


_held = _columns("status", "flapping", "flap_history", "silenced_by", "inhibited_by", "incident_id", "first_seen")
_shown_and_scope = _columns("severity", "title", "summary", "resource", "account", "region")
_encoded = _columns(*JSON_COLUMNS)


def _raise_severity(incident: Incident, severity: Severity) -> None:
    if severity.rank < Severity(incident.severity).rank:
        incident.severity = severity.value


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
