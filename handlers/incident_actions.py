"""Incident buttons: Acknowledge, Snooze (with a custom-duration modal), Resolve, Reopen, Show all alerts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.logs import LAMBDA_PREFIX
from bot.blocks.incident import all_alerts_view
from bot.blocks.modals import snooze_modal
from bot.core.access import Action
from bot.core.incident_actions import Outcome, act
from bot.durations import DurationError, DurationTooLong, parse_duration
from bot.ids import ActionId, BadPayload, CallbackId, IncidentButton, LogsPage, SnoozeModal
from bot.services import Services
from bot.views.incident import LOG_LABELS, IncidentSnapshot
from bot.views.incident_queries import load_snapshot
from handlers.access import refused_click
from handlers.error_handler import user_message
from handlers.errors_command import post_error_groups
from handlers.log_targets import Place
from handlers.logs_command import post_logs

log = logging.getLogger(__name__)
BUTTON_ACTIONS = {
    ActionId.INCIDENT_ACK: Action.ACKNOWLEDGE,
    ActionId.INCIDENT_RESOLVE: Action.RESOLVE,
    ActionId.INCIDENT_REOPEN: Action.REOPEN,
}
MAX_SNOOZE = timedelta(days=30)
THREAD_WINDOW = timedelta(hours=1)
THREAD_LOGS = 30


def register(app: AsyncApp, services: Services) -> None:
    for action_id, action in BUTTON_ACTIONS.items():
        app.action(action_id.value)(_button_listener(services, action))
    app.action(ActionId.INCIDENT_SNOOZE.value)(_snooze_listener(services))
    app.view(CallbackId.SNOOZE_MODAL.value)(_snooze_submission(services))
    app.action(ActionId.INCIDENT_ALERTS.value)(_all_alerts_listener(services))
    app.action(ActionId.INCIDENT_CONSOLE.value)(_link_listener)
    app.action(ActionId.INCIDENT_LOGS.value)(_thread_answer(services, "logs"))
    app.action(ActionId.INCIDENT_ERRORS.value)(_thread_answer(services, "errors"))


async def _link_listener(ack: Any) -> None:
    """The console button is a link; Slack still sends the click, which only needs an ack."""
    await ack()


async def _perform(
    services: Services,
    client: AsyncWebClient,
    body: dict[str, Any],
    *,
    action: Action,
    incident_id: int,
    channel: str,
    snooze_until: datetime | None = None,
    reason: str = "",
) -> Outcome:
    user = body["user"]["id"]
    rules = services.settings.file.access
    charts = services.settings.file.charts.enabled
    now = services.clock()
    outcome = await services.db.run(
        lambda s: act(
            s,
            action=action,
            incident_id=incident_id,
            user=user,
            channel=channel,
            channel_name=(body.get("channel") or {}).get("name"),
            rules=rules,
            now=now,
            snooze_until=snooze_until,
            reason=reason,
            charts=charts,
        )
    )
    if outcome.changed:
        services.wake_notifier()
    elif channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=outcome.explanation)
    return outcome


def _parse(body: dict[str, Any], value: str | None) -> IncidentButton | None:
    try:
        return IncidentButton.parse(value)
    except BadPayload:
        log.warning("ignored a click with a value that is not ours: %r from %s", value, body.get("user", {}).get("id"))
        return None


def _button_listener(services: Services, verb: Action) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        button = _parse(body, action.get("value"))
        if button is not None:
            channel = (body.get("channel") or {}).get("id", "")
            await _perform(services, client, body, action=verb, incident_id=button.incident_id, channel=channel)

    return on_click


def _snooze_listener(services: Services) -> Any:
    async def on_select(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        button = _parse(body, (action.get("selected_option") or {}).get("value"))
        if button is None or button.snooze is None:
            return
        channel = (body.get("channel") or {}).get("id", "")
        if button.snooze == "custom":
            metadata = SnoozeModal(button.incident_id, channel).encode()
            await client.views_open(trigger_id=body["trigger_id"], view=snooze_modal(button.incident_id, metadata))
            return
        try:
            until = services.clock() + parse_duration(button.snooze)
        except DurationError:
            user = (body.get("user") or {}).get("id")
            log.warning("ignored a snooze choice that is not a duration: %r from %s", button.snooze, user)
            return
        await _perform(
            services,
            client,
            body,
            action=Action.SNOOZE,
            incident_id=button.incident_id,
            channel=channel,
            snooze_until=until,
        )

    return on_select


def _snooze_submission(services: Services) -> Any:
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        values = view["state"]["values"]
        text = (values["duration"]["value"].get("value") or "").strip()
        reason = (values["reason"]["value"].get("value") or "").strip()
        try:
            delta = parse_duration(text, at_most=MAX_SNOOZE)
        except DurationTooLong:
            await ack(response_action="errors", errors={"duration": "Snooze for at most 30 days; resolve instead."})
            return
        except DurationError as exc:
            await ack(response_action="errors", errors={"duration": str(exc)})
            return
        await ack()
        try:
            modal = SnoozeModal.parse(view.get("private_metadata"))
        except BadPayload as exc:
            log.warning("ignored a snooze submission that is not ours: %s from %s", exc, body.get("user", {}).get("id"))
            return
        await _perform(
            services,
            client,
            body,
            action=Action.SNOOZE,
            incident_id=modal.incident_id,
            channel=modal.channel,
            snooze_until=services.clock() + delta,
            reason=reason,
        )

    return on_submit


def _all_alerts_listener(services: Services) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        button = _parse(body, action.get("value"))
        if button is None:
            return
        snapshot = await services.db.run(lambda s: load_snapshot(s, button.incident_id))
        if snapshot is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=all_alerts_view(snapshot))

    return on_click


def log_group_of(snapshot: IncidentSnapshot) -> tuple[Place, str] | None:
    """The log group behind an incident's lead alert (else the first alert that names one): its `log_group` label,
    or its Lambda function's group (an SQS dead-letter alert names the function that consumes the source queue)."""
    for alert in ([snapshot.lead] if snapshot.lead else []) + snapshot.alerts:
        log_group, function = (alert.labels.get(label) for label in LOG_LABELS)
        group = log_group or (LAMBDA_PREFIX + function if function else None)
        if group:
            return Place(alert.labels.get("account_name", ""), alert.region), group
    return None


def _thread_answer(services: Services, what: str) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        button = _parse(body, action.get("value"))
        channel = (body.get("channel") or {}).get("id", "")
        if button is None or not channel:
            return
        if await refused_click(services, Action.LOGS if what == "logs" else Action.ERRORS, body, client):
            return
        snapshot = await services.db.run(lambda s: load_snapshot(s, button.incident_id))
        thread = (body.get("message") or {}).get("ts")
        found = log_group_of(snapshot) if snapshot is not None else None
        if found is None:
            await services.answers.post(
                channel, "This incident names no Lambda function or log group to read.", thread_ts=thread, watch=False
            )
            return
        place, log_group = found
        place = Place(place.account or services.aws.default_account, place.region or services.aws.default_region)
        try:
            if what == "logs":
                end_ms = int(services.clock().timestamp() * 1000)
                start_ms = end_ms - int(THREAD_WINDOW.total_seconds() * 1000)
                page = LogsPage(place.account, place.region, log_group, start_ms, end_ms, THREAD_LOGS)
                await post_logs(services, place=place, page=page, channel=channel, thread_ts=thread)
            else:
                await post_error_groups(
                    services,
                    place=place,
                    log_group=log_group,
                    since=THREAD_WINDOW,
                    channel=channel,
                    thread_ts=thread,
                )
        except Exception as exc:
            await services.answers.post(channel, user_message(exc), thread_ts=thread, watch=False)

    return on_click
