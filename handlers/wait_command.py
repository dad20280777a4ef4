"""`/wait SERVICE WAITER ID... [timeout DURATION] [account NAME] [region REGION]` and its Cancel button."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.waiters import WaiterInputError, available_services, paced, waiter_spec
from bot.commands import WAIT
from bot.core import wait_jobs
from bot.core.access import Action, may
from bot.core.wait_jobs import TooManyWaits
from bot.ids import ActionId, BadPayload, Command, WaitButton
from bot.services import Services
from handlers.error_handler import answers_errors
from handlers.grammar import MAX_WAIT, did_you_mean, parse_wait
from handlers.log_targets import place_of
from handlers.usage import UsageError, quoted

log = logging.getLogger(__name__)
LISTED_WAITERS = 12
"""An unknown waiter's answer lists this many of the service's waiters (EC2 has over 40)."""


def waiter_list(service: str, names: list[str]) -> str:
    """` ec2 has 43 waiters: a, b, … …and 31 more.`: the first LISTED_WAITERS, and how many are left out."""
    if not names:
        return ""
    shown = ", ".join(names[:LISTED_WAITERS])
    more = f" …and {len(names) - LISTED_WAITERS} more" if len(names) > LISTED_WAITERS else ""
    return f" {service} has {len(names)} waiters: {shown}{more}."


def register(app: AsyncApp, services: Services, wake: Any) -> None:
    names = services.command_names
    usage = WAIT.line(names)

    @app.command(names(Command.WAIT))
    @answers_errors
    async def wait(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        try:
            request = parse_wait(command.get("text") or "", names)
        except UsageError as exc:
            await ack(response_type="ephemeral", text=exc.text())
            return
        await ack()
        user, channel = command["user_id"], command["channel_id"]
        verdict = may(
            services.settings.file.access, action=Action.WAIT, user=user, channel=channel, home_channels={channel}
        )
        if not verdict.allowed:
            raise UsageError(f"You can't start a wait here: {verdict.why}")
        services_known = await services.executor.run(available_services)
        if request.service not in services_known:
            raise UsageError(
                f"{quoted(request.service)} is not an AWS service.{did_you_mean(request.service, services_known)}",
                usage,
            )
        place = place_of(services, request.scope, WAIT)
        aws_client = await services.aws_client(request.service, account=place.account, region=place.region)
        try:
            spec = await services.executor.run(waiter_spec, aws_client, request.service, request.waiter, request.ids)
        except WaiterInputError as exc:
            waiters = sorted(exc.waiter_names)
            hint = did_you_mean(request.waiter, waiters) or waiter_list(request.service, waiters)
            raise UsageError(f"{exc.problem}{hint}", usage) from None
        timeout = min(request.timeout or timedelta(seconds=spec.delay_seconds * spec.max_attempts), MAX_WAIT)
        spec = paced(spec, timeout)
        now = services.clock()
        try:
            await services.db.run(
                lambda s: wait_jobs.create(
                    s,
                    service=spec.service,
                    waiter=spec.waiter,
                    params=spec.params,
                    account=place.account,
                    region=place.region,
                    requester=user,
                    channel=channel,
                    delay_seconds=spec.delay_seconds,
                    max_attempts=spec.max_attempts,
                    deadline=now + timeout,
                    now=now,
                )
            )
        except TooManyWaits as exc:
            raise UsageError(str(exc)) from None
        services.wake_notifier()
        wake()

    @app.action(ActionId.WAIT_CANCEL.value)
    async def cancel(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user = body["user"]["id"]
        try:
            button = WaitButton.parse(action.get("value"))
        except BadPayload:
            log.warning("ignored a click with a value that is not ours: %r from %s", action.get("value"), user)
            return
        channel = (body.get("channel") or {}).get("id", "")
        job = await services.db.run(lambda s: wait_jobs.get(s, button.job_id))
        if job is None:
            return
        rules = services.settings.file.access
        verdict = may(rules, action=Action.WAIT, user=user, channel=channel, home_channels={job.channel})
        if not verdict.allowed:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=f"You can't cancel this wait: {verdict.why}"
            )
            return
        now = services.clock()
        await services.db.run(lambda s: wait_jobs.cancel(s, job_id=job.id, user=user, now=now))
        services.wake_notifier()
