"""Best-practice findings in Slack: `/boltwatch best-practices` lists them; Mute 7 days, Accept risk (a modal asks
why) and Re-check now (runs the check again for the finding's account and region) act on one, then the list is
shown again, up to date. Every button re-reads the finding from the database; mute and accept need the `mute`
access right and are audited."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.blocks.best_practices import accept_risk_modal, best_practices_message, recheck_note
from bot.blocks.mrkdwn import inline_code, plain, slack_date
from bot.core.access import Action, may
from bot.core.best_practices import alert_place, decide, find_line, firing_findings
from bot.enums import BestPracticeStatus
from bot.ids import AcceptRiskModal, ActionId, BadPayload, BestPracticeButton, CallbackId
from bot.services import Services
from handlers.error_handler import answers_errors

log = logging.getLogger(__name__)
MIN_REASON = 3

Recheck = Callable[[str, str, str], Awaitable[bool]]
"""`recheck(check_name, account, region)`: run that check now for one account and region, recorded as a scheduled
run would be; False when that check or target is not configured any more."""


def register(app: AsyncApp, services: Services, recheck: Recheck) -> None:
    app.action(ActionId.BEST_PRACTICE_MUTE.value)(answers_errors(_mute_listener(services)))
    app.action(ActionId.BEST_PRACTICE_ACCEPT.value)(answers_errors(_accept_listener(services)))
    app.view(CallbackId.ACCEPT_RISK_MODAL.value)(_accept_submission(services))
    app.action(ActionId.BEST_PRACTICE_RECHECK.value)(answers_errors(_recheck_listener(services, recheck)))


async def list_message(services: Services, note: str = "") -> dict[str, Any]:
    """The current list as a message body (with `note` on top), for a command answer or a response_url."""
    now = services.clock()
    text, blocks = best_practices_message(await services.db.run(lambda s: firing_findings(s, now=now)))
    if note:
        blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}, *blocks][:50]
    return {"text": text, "blocks": blocks}


async def show_list(services: Services, respond: Any) -> None:
    await respond(response_type="ephemeral", **(await list_message(services)))


def _parse(body: dict[str, Any], value: str | None) -> BestPracticeButton | None:
    try:
        return BestPracticeButton.parse(value)
    except BadPayload:
        log.warning("ignored a click with a value that is not ours: %r from %s", value, body.get("user", {}).get("id"))
        return None


def _refusal(services: Services, user: str, channel: str) -> str | None:
    verdict = may(
        services.settings.file.access, action=Action.MUTE, user=user, channel=channel, home_channels={channel}
    )
    return None if verdict.allowed else f"You can't mute or accept best-practice findings here: {verdict.why}"


async def _allowed_click(
    services: Services, body: dict[str, Any], action: dict[str, Any], respond: Any
) -> tuple[BestPracticeButton, str, str] | None:
    """The clicked button, the user and the channel; None for a value that is not ours, or for a user the access
    rules refuse (told why, privately)."""
    button = _parse(body, action.get("value"))
    if button is None:
        return None
    user, channel = body["user"]["id"], (body.get("channel") or {}).get("id", "")
    if refusal := _refusal(services, user, channel):
        await respond(response_type="ephemeral", replace_original=False, text=refusal)
        return None
    return button, user, channel


def _mute_listener(services: Services) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        clicked = await _allowed_click(services, body, action, respond)
        if clicked is None:
            return
        button, user, _channel = clicked
        now = services.clock()

        def mute(session: Any) -> Any:
            if find_line(session, fingerprint=button.fingerprint, now=now) is None:
                return None
            return decide(session, fingerprint=button.fingerprint, status=BestPracticeStatus.MUTED, user=user, now=now)

        decision = await services.db.run(mute)
        if decision is None:
            note = "That finding is not known any more; here is the current list."
        else:
            note = f"<@{user}> muted {inline_code(button.fingerprint)} until {slack_date(decision.until)}."
        await respond(response_type="ephemeral", replace_original=True, **(await list_message(services, note)))

    return on_click


def _accept_listener(services: Services) -> Any:
    async def on_click(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        clicked = await _allowed_click(services, body, action, respond)
        if clicked is None:
            return
        button, _user, channel = clicked
        line = await services.db.run(lambda s: find_line(s, fingerprint=button.fingerprint, now=services.clock()))
        if line is None:
            await respond(response_type="ephemeral", replace_original=False, text="That finding is not known any more.")
            return
        metadata = AcceptRiskModal(line.fingerprint, channel, body.get("response_url")).encode()
        await client.views_open(trigger_id=body["trigger_id"], view=accept_risk_modal(line, metadata))

    return on_click


def _accept_submission(services: Services) -> Any:
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        reason = (view["state"]["values"]["reason"]["value"].get("value") or "").strip()
        if len(reason) < MIN_REASON:
            await ack(response_action="errors", errors={"reason": "Say why this risk is acceptable."})
            return
        user = body["user"]["id"]
        try:
            modal = AcceptRiskModal.parse(view.get("private_metadata"))
        except BadPayload as exc:
            log.warning("ignored an accept-risk submission that is not ours: %s from %s", exc, user)
            await ack()
            return
        channel = modal.channel
        if refusal := _refusal(services, user, channel):
            await ack(response_action="errors", errors={"reason": refusal})
            return
        await ack()
        now = services.clock()

        def accept(session: Any) -> bool:
            if find_line(session, fingerprint=modal.fingerprint, now=now) is None:
                return False
            decide(
                session,
                fingerprint=modal.fingerprint,
                status=BestPracticeStatus.ACCEPTED,
                user=user,
                now=now,
                reason=reason,
            )
            return True

        accepted = await services.db.run(accept)
        note = f"<@{user}> accepted the risk of {inline_code(modal.fingerprint)}: {plain(reason)}"
        message = await list_message(services, note if accepted else "That finding is not known any more.")
        if modal.response_url:
            await AsyncWebhookClient(modal.response_url).send(replace_original=True, **message)
        elif channel:
            await client.chat_postEphemeral(channel=channel, user=user, **message)

    return on_submit


def _recheck_listener(services: Services, recheck: Recheck) -> Any:
    async def on_click(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        button = _parse(body, action.get("value"))
        if button is None:
            return
        place = await services.db.run(lambda s: alert_place(s, fingerprint=button.fingerprint))
        check_name, account, region = place or ("", "", "")
        account = account or services.aws.default_account
        if place is None or not await recheck(check_name, account, region):
            await respond(response_type="ephemeral", replace_original=False, text="That finding's check is gone.")
            return
        note = recheck_note(services.clock(), account, region)
        await respond(response_type="ephemeral", replace_original=True, **(await list_message(services, note)))

    return on_click
