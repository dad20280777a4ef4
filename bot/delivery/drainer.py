"""Drains the outbox into Slack, the one writer of what people see: in order per subject (an incident, a wait, a
digest, a command's answer, an App Home), paced per channel, retried until Slack takes it."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from bot.blocks.charts import chart_message
from bot.blocks.figures import with_figure
from bot.blocks.incident import misrouted_note, moved_note
from bot.blocks.limits import fit_blocks, fit_text
from bot.charts.model import ChartImage
from bot.delivery import outbox
from bot.delivery.chart_delivery import CHART_ATTEMPTS, failed_by_itself, upload_image
from bot.delivery.outbox import Claimed, Operation
from bot.delivery.reconcile import channel_id_by_name, find_posted, item_metadata
from bot.delivery.refusals import (
    MAX_BACKOFF_SECONDS,
    TRANSIENT_ERRORS,
    DeliveryPause,
    Refusal,
    auth_passes,
    backoff,
    join_channel,
    refusal,
)
from bot.delivery.slack_client import api_method
from bot.delivery.subjects import ActionChoices, Kind, Rendered, kind_of, no_actions, record_sent, render, reply_text
from bot.store import Database
from bot.views.status_queries import blocked_lines

__all__ = ["Notifier", "Permanent", "reply_text"]
log = logging.getLogger(__name__)
BLOCKED_TOO_LONG = timedelta(minutes=1)
SHOWN_ELSEWHERE = (Operation.POST, Operation.UPDATE)
"""What of an incident's is shown in the default channel while its own channel is gone: its message (a thread reply
or a chart waits for the channel, under the message it belongs to)."""


class Permanent(Exception):
    """Slack refused the operation for good (channel gone, invalid message)."""


class Notifier:
    def __init__(
        self,
        *,
        db: Database,
        client: AsyncWebClient,
        clock: Callable[[], datetime],
        holder: str,
        channel_interval: timedelta = timedelta(seconds=1),
        default_channel: str | None = None,
    ) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self._holder = holder
        self._channel_interval = channel_interval
        self._default_channel = default_channel
        self.pause = DeliveryPause()
        """Set while Slack refuses the token: nothing is sent until `auth.test` passes again."""
        self._wake = asyncio.Event()
        self._stopping = False
        self._running: asyncio.Task[Any] | None = None
        self.sent = 0
        self.after_incident_sent: Callable[[], None] = lambda: None
        """Called after an incident message was posted or updated (App Home refreshes on it)."""
        self.home_view: Callable[[datetime], Awaitable[dict[str, Any]]] | None = None
        """Renders App Home (the composition root hands in `HomePublisher.view_for`)."""
        self.action_choices: ActionChoices = no_actions
        """The runbook actions an incident's message offers (the composition root knows which are enabled)."""
        self._home_this_pass: asyncio.Future[dict[str, Any]] | None = None
        self.chart_image: Callable[[dict[str, Any], datetime], Awaitable[ChartImage]] | None = None
        """Draws an incident's chart off the loop (the composition root hands in `Services.chart_image`)."""
        self.figure_image: Callable[[dict[str, Any]], Awaitable[ChartImage]] | None = None
        """Draws a digest's or an answer's figure off the loop (`Services.figure_image`); None with charts off."""

    def wake(self) -> None:
        """New work was queued: drain now rather than at the next poll."""
        self._wake.set()

    async def problem(self) -> str | None:
        """Why delivery is unhealthy (paused, or items blocked for over a minute), or None when it is not."""
        if self.pause.paused:
            return f"delivery paused: Slack refuses the bot token ({self.pause.reason})"
        since_before = self._clock() - BLOCKED_TOO_LONG
        stuck = await self._db.run(lambda s: blocked_lines(s, since_before=since_before))
        if not stuck:
            return None
        first = stuck[0]
        return f"{len(stuck)} outbox item(s) blocked for over a minute; {first.channel}: {first.error}"

    async def run(self, *, poll_seconds: float = 0.5) -> None:
        self._running = asyncio.current_task()
        while not self._stopping:
            try:
                done = await self.drain_once()
            except Exception:
                log.exception("draining the outbox failed; trying again")
                done = 0
            if done == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), poll_seconds)
                except TimeoutError:
                    pass

    async def drain_once(self) -> int:
        """Send every item that is due now and whose channel may take a message; returns how many were tried."""
        now = self._clock()
        if self.pause.paused and not await self._resumed(now):
            return 0
        claimed = await self._db.run(
            lambda s: outbox.claim_due(s, holder=self._holder, now=now, interval=self._channel_interval)
        )
        self._home_this_pass = None  # every Home published in one pass shows the same view, rendered once
        await asyncio.gather(*(self._send(item) for item in claimed))
        return len(claimed)

    async def _send(self, item: Claimed) -> None:
        try:
            result = await self._apply(item)
        except Exception as exc:
            picture = item.operation in (Operation.CHART, Operation.FIGURE)
            if picture and not isinstance(exc, Permanent) and failed_by_itself(exc):
                await self._chart_failed(item, exc)
            elif isinstance(exc, SlackApiError):
                await self._after_slack_error(item, exc)
            elif isinstance(exc, aiohttp.ClientResponseError) and exc.status == 429:
                await self._rate_limited(item, exc.headers)  # the upload URL's POST (chart_delivery.upload_image)
            elif isinstance(exc, Permanent):
                await self._give_up(item, str(exc))
            elif isinstance(exc, (aiohttp.ClientError, TimeoutError, OSError)):
                await self._retry(item, f"{type(exc).__name__}: {exc}")
            else:
                raise
        else:
            now = self._clock()
            await self._db.run(lambda s: self._record_success(s, item, result, now, self._channel_interval))
            self.sent += 1
            if kind_of(item.ordering_key) is Kind.INCIDENT and item.operation is not Operation.REPLY:
                self.after_incident_sent()

    async def _chart_failed(self, item: Claimed, exc: Exception) -> None:
        """A chart that failed for its own reasons (`chart_delivery.failed_by_itself`) is tried again a few times,
        then given up with one log line. A command's chart (`/boltwatch chart`) is someone's answer: given up at once,
        so that the person waiting is told and can ask again."""
        await self._forget_refused_post(item, exc)
        now, reason = self._clock(), f"{type(exc).__name__}: {exc}"
        failures = int(item.payload.get("failures", 0)) + 1
        if item.ordering_key.startswith(outbox.COMMAND_PREFIX) or failures >= CHART_ATTEMPTS:
            log.warning(
                "chart %s (%s) given up after %d tries: it cannot be drawn or Slack refuses the chart itself: %s",
                item.id, item.ordering_key, failures, reason,
            )  # fmt: skip
            await self._db.run(lambda s: outbox.give_up(s, item.id, now=now, error=reason))
            return
        log.debug("chart %s (%s) failed, trying again: %s", item.id, item.ordering_key, reason)
        at = now + backoff(failures)

        def again(session: Session) -> None:
            outbox.retry_later(session, item.id, at=at, error=reason)
            outbox.count_failure(session, item.id, failures=failures)

        await self._db.run(again)

    async def _give_up(self, item: Claimed, reason: str) -> None:
        log.error("outbox item %s (%s) dropped: %s", item.id, item.ordering_key, reason)
        await self._db.run(lambda s: outbox.give_up(s, item.id, now=self._clock(), error=reason))

    async def _after_slack_error(self, item: Claimed, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = str(exc.response.get("error", ""))
        await self._forget_refused_post(item, exc)
        if status == 429 or error == "ratelimited":
            await self._rate_limited(item, exc.response.headers)
        elif status >= 500 or error in TRANSIENT_ERRORS:
            await self._retry(item, f"HTTP {status} {error}")
        else:
            await self._refused(item, error or f"HTTP {status}")

    async def _rate_limited(self, item: Claimed, headers: Mapping[str, str] | None) -> None:
        """Slack said 429: the item's channel lane takes nothing until its `Retry-After` (1 s when it says none) has
        passed, and the item goes then, its attempt not counted."""
        retry_after = _seconds((headers or {}).get("Retry-After") or (headers or {}).get("retry-after"))
        until = self._clock() + timedelta(seconds=max(retry_after, 1))

        def pause(session: Session) -> None:
            outbox.channel_paused(session, ref=item.channel, until=until, operation=item.operation)
            outbox.retry_later(session, item.id, at=until, error="ratelimited", count_attempt=False)

        await self._db.run(pause)

    async def _forget_refused_post(self, item: Claimed, exc: Exception) -> None:
        """A 429 or an `ok: false` to a post is Slack saying it posted nothing: no need to look for it next time."""
        if not isinstance(exc, SlackApiError) or exc.response.status_code >= 500:
            return
        if api_method(urlsplit(exc.response.api_url).path) == "chat.postMessage":
            await self._db.run(lambda s: outbox.forget_attempt(s, item.id))

    async def _refused(self, item: Claimed, error: str) -> None:
        """Keep what Slack refused, blocked with the reason; fix what the bot can, and try again."""
        now = self._clock()
        kind = refusal(error)
        log.error("Slack refused outbox item %s (%s): %s", item.id, item.operation, error)
        if kind is Refusal.AUTH:
            self.pause.begin(error, now)
            await self._db.run(lambda s: outbox.block(s, item.id, now=now, at=now, error=error, count_attempt=False))
            return
        if kind is Refusal.NOT_IN_CHANNEL and await join_channel(self._client, self._db, item.channel):
            log.info("joined %s; outbox item %s goes again now", item.channel, item.id)
            await self._db.run(lambda s: outbox.retry_later(s, item.id, at=now, error=error, count_attempt=False))
            return
        if kind_of(item.ordering_key) is Kind.HOME or item.ordering_key.startswith(outbox.COMMAND_PREFIX):
            # A Home is published afresh on the next change; a command's answer is told to the person waiting
            # for it (who can fix the cause and ask again): neither is kept to hold up delivery.
            await self._give_up(item, error)
            return
        if kind is Refusal.CHANNEL_GONE and item.incident_id is not None and item.operation in SHOWN_ELSEWHERE:
            await self._show_in_default_channel(item, error)
        at = now + backoff(item.attempts + 1)
        await self._db.run(lambda s: outbox.block(s, item.id, now=now, at=at, error=error))

    async def _show_in_default_channel(self, item: Claimed, error: str) -> None:
        """Post the incident, once, to the default channel with a line saying where it should be and why not."""
        if self._default_channel is None or item.incident_id is None or item.channel == self._default_channel:
            return
        if await self._db.run(lambda s: outbox.fallback_of(s, item.id)) is not None:
            return
        now = self._clock()
        rendered = await self._db.run(lambda s: render(s, item, now, self.action_choices))
        if rendered is None:
            return
        text, blocks = rendered.text, rendered.blocks
        try:
            response = await self._client.chat_postMessage(
                channel=self._default_channel,
                text=text,
                blocks=fit_blocks([misrouted_note(item.channel, error), *blocks]),
                metadata=item_metadata(item.ordering_key, item.id),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("outbox item %s: could not show it in %s either: %s", item.id, self._default_channel, exc)
            return
        fallback = {"channel": response["channel"], "ts": response["ts"]}
        await self._db.run(lambda s: outbox.record_fallback(s, item.id, **fallback))

    async def _resumed(self, now: datetime) -> bool:
        """While paused: when due, ask `auth.test`; resume (blocked items go first, in order) once it passes."""
        if not self.pause.check_due(now):
            return False
        failure = await auth_passes(self._client)
        if failure is not None:
            self.pause.check_failed(failure, now)
            log.warning("Slack still refuses the token (%s); delivery stays paused", failure)
            return False
        log.info("Slack takes the token again after %s; delivery resumes", self.pause.reason)
        self.pause.end()
        return True

    async def _retry(self, item: Claimed, error: str) -> None:
        delay = min(MAX_BACKOFF_SECONDS, 2 ** min(item.attempts, 12)) * random.uniform(0.8, 1.2)
        at = self._clock() + timedelta(seconds=delay)
        log.warning("outbox item %s failed (%s); retrying in %.0fs", item.id, error, delay)
        await self._db.run(lambda s: outbox.retry_later(s, item.id, at=at, error=error))

    async def _apply(self, item: Claimed) -> dict[str, Any]:
        if item.operation is Operation.PUBLISH_HOME:
            return await self._publish_home(item)
        if item.operation is Operation.FIGURE:
            return await self._figure(item)
        now = self._clock()
        rendered = await self._db.run(lambda s: render(s, item, now, self.action_choices))
        if rendered is None:
            raise Permanent(f"{item.ordering_key} no longer exists")
        if item.operation is Operation.REPLY:
            if rendered.message_ts is None:
                raise Permanent("thread reply before the message was posted")
            posted = await self._post(item, channel=rendered.channel, thread_ts=rendered.message_ts,
                                      text=fit_text(rendered.text))  # fmt: skip
            return {"ts": posted["ts"]}
        if item.operation is Operation.UPLOAD_FILE:
            return await self._upload(item, rendered)
        if item.operation is Operation.CHART:
            return await self._chart(item, rendered)
        if item.operation is Operation.UPDATE and rendered.message_ts is not None:
            try:
                response = await self._client.chat_update(
                    channel=rendered.channel,
                    ts=rendered.message_ts,
                    text=rendered.text,
                    blocks=rendered.blocks,
                    metadata=item_metadata(item.ordering_key, item.id),
                )
                await self._retire_fallback(item, response["channel"])
                return {"ts": response["ts"], "channel": response["channel"]}
            except SlackApiError as exc:
                if exc.response.get("error") != "message_not_found":
                    raise
                log.warning("the message of %s was deleted; posting it again", item.ordering_key)
        thread_ts = item.payload.get("thread_ts") if kind_of(item.ordering_key) is Kind.MESSAGE else rendered.thread_ts
        posted = await self._post(
            item, channel=rendered.channel, thread_ts=thread_ts, text=rendered.text, blocks=rendered.blocks,
            unfurl_links=False, unfurl_media=False,
        )  # fmt: skip
        await self._retire_fallback(item, posted["channel"])
        return {"ts": posted["ts"], "channel": posted["channel"], "posted": True}

    async def _upload(self, item: Claimed, rendered: Rendered) -> dict[str, Any]:
        """A file in the thread of the key's message. Files carry no metadata to look up: an upload whose outcome
        was lost is sent again (at least once), the one operation here that is not exactly once."""
        thread_ts = item.payload.get("thread_ts") or rendered.message_ts
        response = await self._client.files_upload_v2(
            channel=rendered.channel,
            thread_ts=thread_ts,
            content=item.payload.get("content", ""),
            filename=item.payload.get("name", "file.txt"),
            title=item.payload.get("name", "file.txt"),
        )
        file = response.get("file") or {}
        return {"file": file.get("id")}

    async def _chart(self, item: Claimed, rendered: Rendered) -> dict[str, Any]:
        """Draw, upload (privately: the image block shares it), then post the image block in the incident's thread
        (or, a command's chart, in the channel).

        The post is exactly once (`_post` looks up an attempt of unknown outcome by its metadata). The upload is
        recorded on the item before the post, so a retry after a refused or lost post shows the same file rather
        than uploading another; an upload lost before it was recorded leaves a private file that nobody sees."""
        if rendered.message_ts is None and kind_of(item.ordering_key) is Kind.CHART:
            # It waited for every item its incident queued before it (`outbox.claim_due`): the post was given up.
            raise Permanent("the incident's message was never posted")
        file_id = item.payload.get("file_id")
        alt_text, title = str(item.payload.get("alt_text", "")), str(item.payload.get("title", ""))
        if file_id is None:
            if self.chart_image is None:
                raise Permanent("charts are off in this process (charts.enabled)")
            image = await self.chart_image(item.payload, self._clock())
            file_id = await upload_image(self._client, image)
            alt_text, title = image.alt_text, image.title
            recorded = {"file_id": file_id, "alt_text": alt_text, "title": title}
            await self._db.run(lambda s: outbox.record_upload(s, item.id, **recorded))
        text, blocks = chart_message(file_id=file_id, alt_text=alt_text, title=title, key=str(item.id))
        posted = await self._post(item, channel=rendered.channel, thread_ts=rendered.message_ts, text=text,
                                  blocks=blocks, unfurl_links=False, unfurl_media=False)  # fmt: skip
        return {"ts": posted["ts"], "channel": posted["channel"], "file": file_id}

    async def _figure(self, item: Claimed) -> dict[str, Any]:
        """Draw the figure, upload it (recorded on the item, so a retry shows the same file), then update the key's
        message to show it. An update is idempotent: however often it is retried, the message shows one figure."""
        where = await self._db.run(lambda s: outbox.posted_message(s, item.ordering_key))
        if where is None:
            # It waited for the items of its key queued before it, its message first: that post was given up.
            raise Permanent("the message the figure belongs to was never posted")
        channel, ts = where
        file_id = item.payload.get("file_id")
        alt_text, title = str(item.payload.get("alt_text", "")), str(item.payload.get("title", ""))
        if file_id is None:
            if self.figure_image is None:
                raise Permanent("charts are off in this process (charts.enabled)")
            image = await self.figure_image(item.payload["figure"])
            file_id = await upload_image(self._client, image)
            alt_text, title = image.alt_text, image.title
            recorded = {"file_id": file_id, "alt_text": alt_text, "title": title}
            await self._db.run(lambda s: outbox.record_upload(s, item.id, **recorded))
        blocks = with_figure(list(item.payload.get("blocks") or []), after=item.payload.get("after"),
                             file_id=file_id, alt_text=alt_text, title=title, key=str(item.id))  # fmt: skip
        response = await self._client.chat_update(channel=channel, ts=ts, text=item.payload.get("text", ""),
                                                  blocks=blocks)  # fmt: skip
        return {"ts": response["ts"], "channel": response["channel"], "file": file_id}

    async def _publish_home(self, item: Claimed) -> dict[str, Any]:
        if self.home_view is None:
            raise Permanent("no App Home to publish in this process")
        if self._home_this_pass is None:
            self._home_this_pass = asyncio.ensure_future(self.home_view(self._clock()))
        view = await asyncio.shield(self._home_this_pass)
        await self._client.views_publish(user_id=item.channel, view=view)
        return {}

    async def _retire_fallback(self, item: Claimed, channel_id: str) -> None:
        """The incident reached its own channel at last: its copy in the default channel now points there."""
        if item.attempts == 0:  # never refused, so never shown elsewhere: spare the read
            return
        fallback = await self._db.run(lambda s: outbox.fallback_of(s, item.id))
        if fallback is None:
            return
        text, blocks = moved_note(channel_id)
        try:
            await self._client.chat_update(channel=fallback["channel"], ts=fallback["ts"], text=text, blocks=blocks)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "outbox item %s: its copy in %s still shows the incident: %s", item.id, fallback["channel"], exc
            )

    async def _post(
        self, item: Claimed, *, channel: str, thread_ts: str | None = None, **message: Any
    ) -> dict[str, Any]:
        """Post once: adopt what an earlier attempt of unknown outcome left in Slack, else record this attempt
        before the call (so that a crash or a timeout from here on is looked up next time, not posted again)."""
        if item.attempted_at is not None:
            earlier = await self._find_earlier_post(item, channel, thread_ts)
            if earlier is not None:
                return earlier
        await self._db.run(lambda s: outbox.record_attempt(s, item.id, now=self._clock()))
        response = await self._client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, metadata=item_metadata(item.ordering_key, item.id), **message
        )
        return {"ts": response["ts"], "channel": response["channel"]}

    async def _find_earlier_post(self, item: Claimed, channel: str, thread_ts: str | None) -> dict[str, Any] | None:
        assert item.attempted_at is not None
        channel_id = await self._db.run(lambda s: outbox.known_channel_id(s, channel))
        if channel_id is None:
            channel_id = await channel_id_by_name(self._client, channel)
            if channel_id is None:
                return None
            await self._db.run(lambda s: outbox.channel_named(s, ref=channel, channel_id=channel_id))
        found = await find_posted(
            self._client, channel_id=channel_id, item_id=item.id, attempted_at=item.attempted_at, thread_ts=thread_ts
        )
        if found is None:
            return None
        log.info(
            "outbox item %s was already in Slack (ts %s): adopting it rather than posting again", item.id, found["ts"]
        )
        return {"ts": found["ts"], "channel": channel_id}

    @staticmethod
    def _record_success(
        session: Session, item: Claimed, result: dict[str, Any], now: datetime, interval: timedelta
    ) -> None:
        outbox.complete(session, item.id, now=now, result=result)
        if item.operation is not Operation.PUBLISH_HOME:
            ref, channel_id = item.channel, result.get("channel")
            outbox.channel_written(
                session, ref=ref, channel_id=channel_id, next_send_at=now + interval, operation=item.operation
            )
        record_sent(session, item, result, now)

    async def stop(self, seconds: float) -> None:
        """Claim nothing more, and give the pass in flight `seconds` to finish, then cancel it (at shutdown).

        A finished pass has recorded or released every claim it took. An item still in flight when time runs out
        keeps its claim: its Slack call may yet land, so sending it again must wait for the claim to expire and
        the outcome to be known, never follow at once from another replica.
        """
        self._stopping = True
        self._wake.set()
        if self._running is None or self._running.done():
            return
        _done, pending = await asyncio.wait({self._running}, timeout=seconds)
        for task in pending:
            log.warning("outbox: Slack has not answered within %.0f s; the items in flight keep their claims", seconds)
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _seconds(retry_after: str | None) -> float:
    """A `Retry-After` of seconds; 1 when there is none or it is not a number."""
    try:
        return float(retry_after) if retry_after else 1.0
    except ValueError:
        return 1.0
