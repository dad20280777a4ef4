"""Runbook actions from an incident's message: the click checks access and opens a confirmation with the exact call
(and a dry run); the confirmation checks access again, the cooldown and what already runs on the resource, makes the
call with the responder credentials on the AWS executor, and hands the verification to a wait job whose message
lives in the thread."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.errors import classify
from bot.aws.runbook import ActionCall, RunbookAction, VerifyPoll, make_call, planned_call, remembered
from bot.blocks.mrkdwn import escape, inline_code
from bot.blocks.runbook import DRY_RUN_ACTION, DRY_RUN_BLOCK, DRY_RUN_VALUE, ConfirmView, confirm_modal, dry_run_view
from bot.core import runbook
from bot.core.access import Verdict, may_run
from bot.core.action_runs import remembered_by
from bot.core.runbook import Planned, Verification
from bot.ids import ActionConfirmModal, ActionId, BadPayload, CallbackId, RunButton
from bot.services import Services, target_alert
from bot.views.incident import AlertLine, IncidentSnapshot
from bot.views.incident_queries import load_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """An action ready to confirm or run: re-read from the database, never from the button."""

    action: RunbookAction
    snapshot: IncidentSnapshot
    alert: AlertLine
    params: BaseModel
    call: ActionCall
    account: str
    region: str


class NotRunnable(Exception):
    """Why this action cannot run on this incident now, for the person who asked."""


def register(app: AsyncApp, services: Services, wake_waits: Any) -> None:
    app.action(ActionId.INCIDENT_RUN.value)(_click_listener(services))
    app.view(CallbackId.ACTION_CONFIRM.value)(_confirm_listener(services, wake_waits))


async def prepare(services: Services, button: RunButton) -> Prepared:
    """The action and its exact call on the incident, re-read from the database; NotRunnable says why not."""
    action = services.actions.get(button.action)
    if action is None:
        raise NotRunnable(f"The action `{button.action}` is not enabled (`actions.enabled` in the config).")
    snapshot = await services.db.run(lambda s: load_snapshot(s, button.incident_id))
    if snapshot is None:
        raise NotRunnable(f"Incident #{button.incident_id} no longer exists.")
    alert = target_alert(action, snapshot)
    if alert is None:
        raise NotRunnable(f"`{action.name}` no longer applies to incident #{snapshot.id}: nothing it fixes fires.")
    refusal = await services.db.run(lambda s: services.undo_refusal(s, action, alert))
    if refusal is not None:
        raise NotRunnable(refusal)
    try:
        params = action.params_from(alert.labels)
        if action.restores is not None:
            params = action.params_from(alert.labels | await _restored(services, action, action.restores, params))
    except ValueError as exc:
        raise NotRunnable(escape(str(exc))) from None
    account = alert.labels.get("account_name") or services.aws.default_account
    region = alert.region or services.aws.default_region
    return Prepared(action, snapshot, alert, params, planned_call(action, params), account, region)


async def _restored(services: Services, action: RunbookAction, undone: str, params: BaseModel) -> dict[str, Any]:
    """What `undone` kept from before its last run on this resource: the params that put it back."""
    resource = action.resource(params)
    before = await services.db.run(lambda s: remembered_by(s, action=undone, resource=resource, undone_by=action.name))
    if before is None:
        raise NotRunnable(
            f"Nothing for `{action.name}` to put back: `{undone}` has not run on {inline_code(resource)}."
        )
    return before


def _confirm_view(services: Services, prepared: Prepared) -> ConfirmView:
    action = prepared.action
    verify = f"{action.service} {action.verify.name}" if action.verify else ""
    verify_by = "polling" if isinstance(action.verify, VerifyPoll) else "the waiter"
    role = services.aws.responder_role(prepared.account) or f"the {prepared.account} account's own credentials"
    return ConfirmView(
        title=action.title, confirmation=action.confirmation(prepared.params), call=prepared.call.shown(), role=role,
        account=prepared.account, region=prepared.region, reversible=action.reversible, verify=verify,
        verify_by=verify_by,
    )  # fmt: skip


def _click_listener(services: Services) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = action.get("value") or (action.get("selected_option") or {}).get("value")
        where = body.get("channel") or {}
        user = (body.get("user") or {}).get("id", "")
        try:
            button = RunButton.parse(value)
        except BadPayload:
            log.warning("ignored a click with a value that is not ours: %r from %s", value, user)
            return
        try:
            prepared = await prepare(services, button)
        except NotRunnable as exc:
            if where.get("id") and user:
                await client.chat_postEphemeral(channel=where["id"], user=user, text=str(exc))
            return
        refusal = await _access_refusal(services, prepared, user=user, channel=where.get("id", ""),
                                        channel_name=where.get("name"))  # fmt: skip
        if refusal is not None:
            if where.get("id") and user:
                await client.chat_postEphemeral(channel=where["id"], user=user, text=refusal)
            return
        metadata = ActionConfirmModal(button, where.get("id", ""), where.get("name")).encode()
        modal = confirm_modal(_confirm_view(services, prepared), metadata)
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    return on_click


def may_run_here(
    services: Services, prepared: Prepared, *, user: str, channel: str, channel_name: str | None
) -> Verdict:
    return may_run(
        services.settings.file.access, action_name=prepared.action.name, user=user, channel=channel,
        home_channels={prepared.snapshot.channel}, channel_name=channel_name,
    )  # fmt: skip


async def _access_refusal(
    services: Services, prepared: Prepared, *, user: str, channel: str, channel_name: str | None
) -> str | None:
    """Why the access rules refuse this person the action here (the refusal audited), or None."""
    verdict = may_run_here(services, prepared, user=user, channel=channel, channel_name=channel_name)
    if verdict.allowed:
        return None
    plan, now = _plan(prepared, user=user, channel=channel), services.clock()
    await services.db.run(lambda s: runbook.audit(s, plan, result="refused", now=now, why=verdict.why))
    return f"You can't run {prepared.action.name} here: {verdict.why} {verdict.remedy}".rstrip()


def _dry_run(view: dict[str, Any]) -> bool:
    choice = ((view.get("state") or {}).get("values") or {}).get(DRY_RUN_BLOCK, {}).get(DRY_RUN_ACTION) or {}
    return any(option.get("value") == DRY_RUN_VALUE for option in choice.get("selected_options") or [])


def _plan(prepared: Prepared, *, user: str, channel: str) -> Planned:
    call = prepared.call
    request = {"service": call.service, "operation": call.operation, "params": call.request}
    return Planned(
        incident_id=prepared.snapshot.id, action=prepared.action.name,
        resource=prepared.action.resource(prepared.params), account=prepared.account, region=prepared.region,
        request=request, requester=user, channel=channel,
    )  # fmt: skip


def _confirm_listener(services: Services, wake_waits: Any) -> Any:
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        user = (body.get("user") or {}).get("id", "")
        try:
            modal = ActionConfirmModal.parse(view.get("private_metadata"))
            prepared = await prepare(services, modal.run)
        except BadPayload as exc:
            await ack()
            log.warning("ignored a confirmation that is not ours: %s from %s", exc, user)
            return
        except NotRunnable as exc:
            await ack(response_action="update", view=_notice("Not run", str(exc)))
            return
        plan = _plan(prepared, user=user, channel=modal.channel)
        now = services.clock()
        if _dry_run(view):
            await ack(response_action="update", view=dry_run_view(_confirm_view(services, prepared)))
            await services.db.run(lambda s: runbook.audit(s, plan, result="dry_run", now=now))
            return
        await ack()
        refusal = await _access_refusal(services, prepared, user=user, channel=modal.channel,
                                        channel_name=modal.channel_name)  # fmt: skip
        if refusal is None:
            refusal = await _start(services, prepared, plan)
        if refusal is not None:
            if modal.channel and user:
                await client.chat_postEphemeral(channel=modal.channel, user=user, text=refusal)
            return
        services.wake_notifier()
        wake_waits()

    return on_submit


async def _start(services: Services, prepared: Prepared, plan: Planned) -> str | None:
    """Record, call and hand over to the verification; the reason it did not run, or None."""
    now = services.clock()
    cooldown = services.settings.file.actions.cooldown
    started = await services.db.run(lambda s: runbook.begin(s, plan, cooldown=cooldown, now=now))
    if started.run_id is None:
        return started.refusal
    run_id = started.run_id
    began = time.perf_counter()
    try:
        aws = await services.executor.run(
            services.aws.responder_client, prepared.call.service, account=plan.account, region=plan.region
        )
        before = await services.executor.run(remembered, aws, prepared.action, prepared.params)
        if before is not None:
            plan = replace(plan, request={**plan.request, "before": before})
            await services.db.run(lambda s: runbook.keep(s, run_id=run_id, request=plan.request))
        await services.executor.run(make_call, aws, prepared.call)
    except Exception as exc:
        problem = classify(exc)
        took = timedelta(seconds=time.perf_counter() - began)
        log.warning("runbook action %s on %s failed: %s", plan.action, plan.resource, problem.message)
        error = _error_text(problem.message, problem.code)
        await services.db.run(lambda s: runbook.call_failed(
            s, run_id=run_id, plan=plan, error=error, iam_action=problem.iam_action, duration=took,
            now=services.clock(),
        ))  # fmt: skip
        services.wake_notifier()
        return None
    took = timedelta(seconds=time.perf_counter() - began)
    verify = prepared.action.verify
    verification = None
    if verify is not None:
        params = verify.params(prepared.params)
        service = prepared.action.service
        verification = Verification(service, verify.name, params, verify.delay_seconds, verify.max_attempts)
    await services.db.run(lambda s: runbook.call_made(
        s, run_id=run_id, plan=plan, verify=verification, duration=took, now=services.clock()
    ))  # fmt: skip
    return None


def _error_text(message: str, code: str | None) -> str:
    return message if code is None or code in message else f"{message} ({code})"


def _notice(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }
