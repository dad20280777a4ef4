"""EventBridge events as an SNS target receives them: the envelope every event shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventBridgeEvent:
    source: str
    """`aws.ec2`, `aws.ecs`, `aws.health`, …"""
    detail_type: str
    account_id: str
    region: str
    detail: dict[str, Any]
    resources: tuple[str, ...] = ()
    """The ARNs the event is about (the envelope's `resources`)."""


def eventbridge_event(document: object) -> EventBridgeEvent | None:
    """The event `document` is, or None when it is not an EventBridge event."""
    if not isinstance(document, dict):
        return None
    fields = [document.get(name) for name in ("source", "detail-type", "account", "region")]
    detail = document.get("detail")
    if not all(isinstance(value, str) for value in fields) or not isinstance(detail, dict):
        return None
    source, detail_type, account_id, region = (str(value) for value in fields)
    resources = tuple(r for r in document.get("resources") or () if isinstance(r, str))
    return EventBridgeEvent(source, detail_type, account_id, region, detail, resources)
