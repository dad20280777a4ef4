"""`/boltwatch mute TARGET DURATION [reason]` and `unmute TARGET`, and the Confirm / Cancel of its preview.

A mute first answers its author privately with what it would mute now (how many firing alerts, the first ten) and
creates nothing until they confirm, so that a mute broader than meant, or a typo, silences nothing. A target is known
when it (or, for a glob like `orders-*`, something it matches) is the resource of an alert seen before, or a Lambda
function, log group, CloudWatch alarm (or a value of its dimensions) or SQS queue in a configured account and
region; the preview of any other says so, with the closest names. A mute is announced where it was made, and in the
alerts channel too when made anywhere else: the people who stop seeing the alerts see why.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from bot.aws.resource_names import estate_names
from bot.aws.sessions import AwsTarget
from bot.blocks.limits import BUTTON_VALUE
from bot.blocks.mrkdwn import channel_ref, inline_code, mention
from bot.blocks.mute import mute_preview, muted_text
from bot.commands import MUTE, UNMUTE
from bot.core.access import Action
from bot.core.silences import create_silence, expire_silence, names_anything, preview, resource_matchers
from bot.durations import DurationError, DurationTooLong, parse_duration
from bot.ids import MAX_MUTE_REASON, MAX_MUTE_SECONDS, MAX_MUTE_TARGET, ActionId, BadPayload, MuteButton
from bot.services import Services
from bot.views.status_queries import active_silences, alert_resources
from handlers.access import click_refusal
from handlers.error_handler import answers_errors
from handlers.usage import UsageError, quoted

log = logging.getLogger(__name__)
T = TypeVar("T")
MUTE_USAGE = MUTE.line()
UNMUTE_USAGE = UNMUTE.line()


@dataclass(frozen=True)
class Author:
    """Who muted, and where (the channel's id and name as Slack signed them)."""

    user: str
    channel: str
    channel_name: str = ""


async def confirmed(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Any,
    parse: Callable[[str | None], T],
    what: str,
) -> tuple[T, Author] | None:
    """The Confirm click on a silence's preview (a mute's, a maintenance window's): its request and who confirmed
    where, the preview taken away; None when the button is not ours (logged) or the user may not mute (told)."""
    try:
        request = parse(action.get("value"))
    except BadPayload:
        log.warning("ignored a %s confirmation that is not ours from %s", what, (body.get("user") or {}).get("id"))
        return None
    if refusal := click_refusal(services, Action.MUTE, body):
        await respond(response_type="ephemeral", replace_original=False, text=refusal)
        return None
    where = body.get("channel") or {}
    author = Author(body["user"]["id"], where.get("id", ""), where.get("name") or "")
    await respond(delete_original=True)
    return request, author


def register(app: AsyncApp, services: Services) -> None:
    @app.action(ActionId.MUTE_CONFIRM.value)
    @answers_errors
    async def confirm(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        if confirmation := await confirmed(services, body, action, respond, MuteButton.parse, "mute"):
            request, author = confirmation
            await _mute(services, request, author, respond)

    @app.action(ActionId.MUTE_CANCEL.value)
    async def cancel(ack: Any, respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text="Nothing was muted.")


def parse_mute(words: list[str]) -> MuteButton:
    """The words after `mute` as a request (its length in seconds), or a UsageError."""
    if len(words) < 2:
        raise UsageError("TARGET and DURATION are needed.", MUTE_USAGE)
    target, reason = words[0], " ".join(words[2:])
    length = silence_length(words[1], "mute", MUTE_USAGE)
    check_lengths(target, reason, MUTE_USAGE)
    return MuteButton(target, max(1, int(length.total_seconds())), reason)


def silence_length(text: str, what: str, usage: str) -> timedelta:
    """How long a silence (a mute, a maintenance window) lasts, or a UsageError naming `what` it is."""
    try:
        return parse_duration(text, at_most=timedelta(seconds=MAX_MUTE_SECONDS))
    except DurationTooLong:
        raise UsageError(f"{quoted(text)} is longer than 30 days, the longest {what}.", usage) from None
    except DurationError:
        raise UsageError(f"{quoted(text)} is not a duration like 30m, 2h, 1d.", usage) from None


def check_lengths(target: str, reason: str, usage: str) -> None:
    """A UsageError when TARGET or the reason is longer than a silence keeps."""
    if len(target) > MAX_MUTE_TARGET:
        raise UsageError(f"TARGET is {len(target):,} characters long; {MAX_MUTE_TARGET} at most.", usage)
    if len(reason) > MAX_MUTE_REASON:
        raise UsageError(f"The reason is {len(reason):,} characters long; {MAX_MUTE_REASON} at most.", usage)


async def mute(services: Services, client: AsyncWebClient, words: list[str], author: Author, respond: Any) -> None:
    """The preview, privately; the silence is made by Confirm (`confirm` above)."""
    request = parse_mute(words)
    if len(request.encode()) > BUTTON_VALUE:
        raise UsageError(
            "TARGET and the reason are too long together for Slack's button; shorten the reason.", MUTE_USAGE
        )
    known, suggestions = await known_target(services, request.target)
    matchers = resource_matchers(request.target)
    would_mute = await services.db.run(lambda s: preview(s, matchers))
    text, blocks = mute_preview(request, would_mute, known=known, suggestions=suggestions)
    await respond(response_type="ephemeral", text=text, blocks=blocks)


async def unmute(services: Services, client: AsyncWebClient, words: list[str], author: Author, respond: Any) -> None:
    if len(words) != 1:
        raise UsageError("Name one TARGET.", UNMUTE_USAGE)
    target, now = words[0], services.clock()

    def expire(session: Session) -> int:
        matching = [s for s in active_silences(session, now) if s.matchers == resource_matchers(target)]
        for silence in matching:
            expire_silence(session, silence_id=silence.id, author=author.user, now=now)
        return len(matching)

    if not await services.db.run(expire):
        raise UsageError(f"Nothing about {quoted(target)} is muted.", UNMUTE_USAGE)
    await _announce(services, f"{mention(author.user)} unmuted {inline_code(target)}.", author, respond)


async def known_target(services: Services, target: str) -> tuple[bool, list[str]]:
    """Whether `target` names something Boltwatch knows; if not, the closest names it does know."""
    names = await services.db.run(alert_resources)
    if names_anything(target, names):
        return True, []
    for place in services.aws.targets():
        names |= await services.executor.run(estate_names, _clients(services, place))
    if names_anything(target, names):
        return True, []
    return False, difflib.get_close_matches(target, sorted(names), n=3, cutoff=0.6)


def _clients(services: Services, place: AwsTarget) -> Any:
    return lambda service: services.aws.client(service, account=place.account, region=place.region)


async def _mute(services: Services, request: MuteButton, author: Author, respond: Any) -> None:
    now = services.clock()
    until = now + timedelta(seconds=request.seconds)
    matchers = resource_matchers(request.target)
    await services.db.run(
        lambda s: create_silence(s, matchers=matchers, until=until, reason=request.reason, author=author.user, now=now)
    )
    await _announce(services, muted_text(author.user, request.target, until, request.reason), author, respond)


async def _announce(services: Services, text: str, author: Author, respond: Any) -> None:
    """In the channel the mute was made in; and in the alerts channel, when that is another one."""
    await respond(response_type="in_channel", text=text)
    alerts = services.settings.slack.channel
    if alerts.removeprefix("#") in {author.channel, author.channel_name}:
        return
    where = channel_ref(author.channel) if author.channel_name != "directmessage" else "a direct message"
    await services.answers.post(alerts, f"{text} (in {where})", watch=False)
