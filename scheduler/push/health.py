"""AWS Health events (EventBridge `aws.health`) → findings of the push-only `aws_health` check: one alert per event
and account, firing while AWS says the event is `open` or `upcoming` and resolved when it says `closed`.

Shape: the "AWS Health events Amazon EventBridge schema" reference of the AWS Health user guide — the envelope's
`region` is where the event was delivered (the rule's region), `detail.eventRegion` the region affected; an event
ARN is not unique to an account, so the fingerprint carries the affected account. A large event arrives as pages
(`page`/`totalPages`, same `communicationId`), each with some of the affected entities: they update one alert.
There is no polling side (the Health API needs a Business support plan and answers only in us-east-1), so nothing
resolves these alerts but AWS's own `closed` status."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from bot.aws.eventbridge import EventBridgeEvent
from bot.core.findings import Finding
from bot.enums import Severity

HEALTH_CHECK = "aws_health"
HEALTH_SOURCE = "aws.health"
HEALTH_EVENT = "AWS Health Event"
ABUSE_EVENT = "AWS Health Abuse Event"
DETAIL_TYPES = (HEALTH_EVENT, ABUSE_EVENT)
FIRING_STATUSES = ("open", "upcoming")
SUMMARY_CHARS = 600
ENTITIES_SHOWN = 10
CONSOLE = "https://health.aws.amazon.com/health/home#/account/event-log"


def is_health_event(event: EventBridgeEvent) -> bool:
    return event.source == HEALTH_SOURCE and event.detail_type in DETAIL_TYPES


def health_finding(event: EventBridgeEvent) -> Finding | None:
    """The finding `event` reports, or None when its detail lacks what identifies it (an event ARN and a status)."""
    detail = event.detail
    arn, status = detail.get("eventArn"), detail.get("statusCode")
    if not isinstance(arn, str) or not arn or not isinstance(status, str):
        return None
    service = _text(detail.get("service")) or "AWS"
    code = _text(detail.get("eventTypeCode"))
    category = _text(detail.get("eventTypeCategory"))
    scope = _text(detail.get("eventScopeCode"))
    affected_region = _text(detail.get("eventRegion")) or event.region
    account_id = _text(detail.get("affectedAccount")) or event.account_id
    entities = _entities(detail)
    evidence: dict[str, Any] = {"Status": status, "Category": category or "unknown", "Scope": scope or "unknown"}
    if code:
        evidence["Event type"] = code
    if entities:
        more = len(entities) - ENTITIES_SHOWN
        evidence["Affected"] = ", ".join(entities[:ENTITIES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    for name, field in (("Starts", "startTime"), ("Ends", "endTime")):
        when = _time(detail.get(field))
        if when is not None:
            evidence[name] = when.strftime("%Y-%m-%d %H:%M UTC")
    pages = (_text(detail.get("page")), _text(detail.get("totalPages")))
    if pages[1] not in ("", "1"):
        evidence["Page"] = f"{pages[0] or '?'} of {pages[1]}"
    labels = {"service": service, "event_type": code, "category": category, "scope": scope}
    return Finding(
        fingerprint=f"{HEALTH_CHECK}:{account_id}:{arn}",
        firing=status in FIRING_STATUSES,
        title=_title(event.detail_type, service, code, affected_region),
        severity=_severity(event.detail_type, category, scope),
        summary=_description(detail)[:SUMMARY_CHARS],
        resource=entities[0] if len(entities) == 1 else service,
        account=account_id,
        region=affected_region,
        labels={name: value for name, value in labels.items() if value},
        links={"AWS Health": f"{CONSOLE}?eventID={quote(arn, safe='')}&eventTab=details"},
        evidence=evidence,
        started_at=_time(detail.get("lastUpdatedTime")) or _time(detail.get("startTime")),
        tag_arns=tuple(str(r) for r in event.resources if isinstance(r, str) and r.startswith("arn:")),
    )


def _title(detail_type: str, service: str, code: str, region: str) -> str:
    """`AWS Health: EC2 operational issue in us-east-1`, from `AWS_EC2_OPERATIONAL_ISSUE`."""
    if detail_type == ABUSE_EVENT:
        what = "abuse report"
    else:
        words = code.removeprefix("AWS_").removeprefix(service.upper() + "_") if code else "event"
        what = words.replace("_", " ").lower() or "event"
    return f"AWS Health: {service} {what} in {region}"


def _severity(detail_type: str, category: str, scope: str) -> Severity:
    """An abuse report or an issue that AWS says affects this account pages; a public issue or an investigation
    warns; scheduled changes and account notifications inform."""
    if detail_type == ABUSE_EVENT or (category == "issue" and scope == "ACCOUNT_SPECIFIC"):
        return Severity.CRITICAL
    if category in ("issue", "investigation"):
        return Severity.WARNING
    return Severity.INFO


def _description(detail: dict[str, Any]) -> str:
    descriptions = [d for d in detail.get("eventDescription") or [] if isinstance(d, dict)]
    english = [d for d in descriptions if str(d.get("language", "")).lower().startswith("en")]
    chosen = (english or descriptions or [{}])[0]
    return _text(chosen.get("latestDescription")).strip()


def _entities(detail: dict[str, Any]) -> list[str]:
    entities = detail.get("affectedEntities") or []
    return [str(e["entityValue"]) for e in entities if isinstance(e, dict) and e.get("entityValue")]


def _time(value: object) -> datetime | None:
    """Health's own times are RFC 1123 (`Fri, 27 Jan 2023 01:43:21 GMT`); ISO 8601 is taken too."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
