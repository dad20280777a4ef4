"""Runbook actions from an incident's message: the click checks access and opens a confirmation with the exact call
(and a dry run); the confirmation checks access again, the cooldown and what already runs on the resource, makes the
call with the responder credentials on the AWS executor, and hands the verification to a wait job whose message
lives in the thread.

An action that reads AWS to know what it will change (its lookup) answers Slack before reading: the click opens a
modal that says so and is updated with the confirmation; the confirmation is acked at once and refused privately
(or, for a dry run, updated) if AWS changed meanwhile."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.errors import classify
from bot.aws.runbook import make_call, remembered
from bot.blocks.runbook import (
    DRY_RUN_ACTION,
    DRY_RUN_BLOCK,
    DRY_RUN_VALUE,
    PARAM_BLOCK,
    confirm_modal,
    dry_run_view,
    notice_view,
    reading_view,
)
from bot.core import runbook
from bot.core.runbook import Planned, Verification
from bot.ids import ActionConfirmModal, ActionId, BadPayload, CallbackId, RunButton
from bot.services import Services
from handlers.runbook_prepare import (
    NotRunnable,
    Prepared,
    confirm_view,
    edited_params,
    may_run_here,
    plan_of,
    prepare,
)

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, wake_waits: Any) -> None:
    app.action(ActionId.INCIDENT_RUN.value)(_click_listener(services))
    app.view(CallbackId.ACTION_CONFIRM.value)(_confirm_listener(services, wake_waits))


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
        chosen = services.actions.get(button.action)
        reading = None
        if chosen is not None and chosen.lookup is not None:  # the trigger id lasts 3 s; AWS may take longer
            reading = (await client.views_open(trigger_id=body["trigger_id"], view=reading_view(chosen.title)))["view"]

        async def refuse(title: str, text: str) -> None:
            if reading is not None:
                await client.views_update(view_id=reading["id"], view=notice_view(title, text))
            elif where.get("id") and user:
                await client.chat_postEphemeral(channel=where["id"], user=user, text=text)

        try:
            prepared = await prepare(services, button)
        except NotRunnable as exc:
            await refuse("Not possible", str(exc))
            return
        refusal = await _access_refusal(services, prepared, user=user, channel=where.get("id", ""),
                                        channel_name=where.get("name"))  # fmt: skip
        if refusal is not None:
            await refuse("Not allowed", refusal)
            return
        metadata = ActionConfirmModal(button, where.get("id", ""), where.get("name"), prepared.looked).encode()
        modal = confirm_modal(confirm_view(services, prepared), metadata)
        if reading is not None:
            await client.views_update(view_id=reading["id"], view=modal)
        else:
            await client.views_open(trigger_id=body["trigger_id"], view=modal)

    return on_click


async def _access_refusal(
    services: Services, prepared: Prepared, *, user: str, channel: str, channel_name: str | None
) -> str | None:
    """Why the access rules refuse this person the action here (the refusal audited), or None."""
    verdict = may_run_here(services, prepared, user=user, channel=channel, channel_name=channel_name)
    if verdict.allowed:
        return None
    plan, now = plan_of(prepared, user=user, channel=channel), services.clock()
    await services.db.run(lambda s: runbook.audit(s, plan, result="refused", now=now, why=verdict.why))
    return f"You can't run {prepared.action.name} here: {verdict.why} {verdict.remedy}".rstrip()


def _dry_run(view: dict[str, Any]) -> bool:
    choice = ((view.get("state") or {}).get("values") or {}).get(DRY_RUN_BLOCK, {}).get(DRY_RUN_ACTION) or {}
    return any(option.get("value") == DRY_RUN_VALUE for option in choice.get("selected_options") or [])


class _Answer:
    """Where a confirmation's answer goes: in its ack while it has not acked; once acked early (the action reads
    AWS again, slower than Slack waits), in the modal a dry run left open, or privately in the channel."""

    def __init__(self, ack: Any, client: AsyncWebClient, view: dict[str, Any], channel: str, user: str) -> None:
        self._ack, self._client, self._view, self._channel, self._user = ack, client, view, channel, user
        self.acked = False
        self._modal_open = False

    async def early(self, *, dry_run: bool, title: str) -> None:
        if dry_run:
            await self._ack(response_action="update", view=reading_view(title))
            self._modal_open = True
        else:
            await self._ack()
        self.acked = True

    async def view(self, view: dict[str, Any], text: str) -> None:
        if not self.acked:
            await self._ack(response_action="update", view=view)
        elif self._modal_open:
            await self._client.views_update(view_id=self._view["id"], view=view)
        else:
            await self.privately(text)
        self.acked = True

    async def done(self) -> None:
        """Close the modal, if that is still to do."""
        if not self.acked:
            await self._ack()
            self.acked = True

    async def privately(self, text: str) -> None:
        await self.done()
        if self._channel and self._user:
            await self._client.chat_postEphemeral(channel=self._channel, user=self._user, text=text)


def _confirm_listener(services: Services, wake_waits: Any) -> Any:
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        user = (body.get("user") or {}).get("id", "")
        try:
            modal = ActionConfirmModal.parse(view.get("private_metadata"))
        except BadPayload as exc:
            await ack()
            log.warning("ignored a confirmation that is not ours: %s from %s", exc, user)
            return
        chosen = services.actions.get(modal.run.action)
        edits = edited_params(view, chosen)
        if chosen is not None and (problems := chosen.edit_problems(edits)):
            await ack(response_action="errors", errors={f"{PARAM_BLOCK}{k}": v for k, v in problems.items()})
            return
        answer = _Answer(ack, client, view, modal.channel, user)
        dry_run = _dry_run(view)
        if chosen is not None and chosen.lookup is not None:
            await answer.early(dry_run=dry_run, title=chosen.title)
        try:
            prepared = await prepare(services, modal.run, edits=edits, looked=modal.looked)
        except NotRunnable as exc:
            await answer.view(notice_view("Not run", str(exc)), str(exc))
            return
        plan = plan_of(prepared, user=user, channel=modal.channel)
        now = services.clock()
        if dry_run:
            shown = dry_run_view(confirm_view(services, prepared, editing=False))
            await answer.view(shown, "The dry run called nothing.")
            await services.db.run(lambda s: runbook.audit(s, plan, result="dry_run", now=now))
            return
        await answer.done()
        refusal = await _access_refusal(services, prepared, user=user, channel=modal.channel,
                                        channel_name=modal.channel_name)  # fmt: skip
        if refusal is None:
            refusal = await _start(services, prepared, plan)
        if refusal is not None:
            await answer.privately(refusal)
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
