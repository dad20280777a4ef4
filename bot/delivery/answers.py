"""A command's answers posted in a channel (`/logs`, `/errors`, their buttons): through the outbox like every other
write, each command under a key of its own. The listener waits a few seconds to hear how it went, so that a person
whose answer Slack refused (the bot is not in that private channel, say) is told why rather than left waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.delivery import outbox
from bot.enums import OutboxStatus
from bot.store import Database
from bot.store.models import OutboxItem

HEAR_BACK_SECONDS = 8.0
"""How long a listener waits to hear that its answer was refused; after that it is still delivered, only unwatched."""
POLL_SECONDS = 0.2


class AnswerRefused(Exception):
    """Slack refused to post a command's answer where it was asked for."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error

    def text(self) -> str:
        fixes = {
            "not_in_channel": "invite the bot to this channel (`/invite @Boltwatch`), or ask in a channel it is in",
            "channel_not_found": "the bot cannot see this conversation; ask in a channel it is in",
            "is_archived": "this channel is archived",
        }
        fix = fixes.get(self.error, "the reason is in the bot's log")
        return f"Slack would not post the answer here (`{self.error}`): {fix}."


@dataclass
class Answers:
    db: Database
    clock: Callable[[], datetime]
    wake: Callable[[], None]

    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        file: tuple[str, str] | None = None,
        watch: bool = True,
    ) -> None:
        """Post an answer in `channel` (or the thread of `thread_ts`), with `file` (name, content) in its thread.
        Raises AnswerRefused when Slack refuses it within a few seconds (unless `watch` is false)."""

        def message(session: Session, key: str, now: datetime) -> OutboxItem:
            return outbox.enqueue_message(
                session, key=key, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, now=now
            )

        await self._queue(message, channel=channel, file=file, file_thread=thread_ts, watch=watch)

    async def post_with_figure(
        self, channel: str, text: str, blocks: list[dict[str, Any]], *, figure: dict[str, Any], after: str | None,
        thread_ts: str | None = None,
    ) -> None:  # fmt: skip
        """Post an answer, then add `figure` (a `bot.charts.figures` payload) to it, after the block `after`: the
        answer never waits for its chart, and a chart that cannot be drawn or uploaded leaves the answer as it is."""

        def message(session: Session, key: str, now: datetime) -> OutboxItem:
            item = outbox.enqueue_message(
                session, key=key, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, now=now
            )
            outbox.enqueue_figure(session, key=key, channel=channel, figure=figure, text=text, blocks=blocks,
                                  after=after, now=now)  # fmt: skip
            return item

        await self._queue(message, channel=channel, file=None, file_thread=thread_ts, watch=True)

    async def replace(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], *, file: tuple[str, str] | None = None
    ) -> None:
        """Replace the answer `ts` (a page of `/logs` turned), with `file` in its thread."""

        def update(session: Session, key: str, now: datetime) -> OutboxItem:
            return outbox.enqueue_message_update(
                session, key=key, channel=channel, ts=ts, text=text, blocks=blocks, now=now
            )

        await self._queue(update, channel=channel, file=file, file_thread=ts, watch=True)

    async def post_updatable(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post a message that `show_latest` updates later (a live tail); returns its key. Raises AnswerRefused as
        `post` does."""
        key = outbox.command_key()

        def message(session: Session, _key: str, now: datetime) -> OutboxItem:
            return outbox.enqueue_message(session, key=key, channel=channel, text=text, blocks=blocks, now=now)

        await self._queue(message, channel=channel, file=None, file_thread=None, watch=True, key=key)
        return key

    async def show_latest(self, key: str, channel: str, text: str, blocks: list[dict[str, Any]]) -> None:
        """Update the message `key` to this; coalesced with an update of it not yet sent."""
        now = self.clock()
        await self.db.run(
            lambda s: outbox.enqueue_latest(s, key=key, channel=channel, text=text, blocks=blocks, now=now)
        )
        self.wake()

    async def post_chart(
        self, channel: str, request: Mapping[str, Any], *, start: datetime, until: datetime
    ) -> tuple[str, str | None] | None:
        """Queue a chart of `request` over [start, until] in `channel`; (status, error) once it is sent or given up,
        or None when that takes longer than a few seconds (it is still delivered, only unwatched)."""
        now = self.clock()

        def queue(session: Session) -> int:
            item = outbox.enqueue_answer_chart(
                session, key=outbox.command_key(), channel=channel, request=request, start=start, until=until, now=now
            )
            session.flush()
            return item.id

        item_id = await self.db.run(queue)
        self.wake()
        return await self._outcome(item_id)

    async def _queue(
        self,
        first: Callable[[Session, str, datetime], OutboxItem],
        *,
        channel: str,
        file: tuple[str, str] | None,
        file_thread: str | None,
        watch: bool,
        key: str | None = None,
    ) -> None:
        """Queue the answer (and its file, after it, under the same key), wake the drainer, and hear how it went."""
        now = self.clock()

        def queue(session: Session) -> int:
            item = first(session, key or outbox.command_key(), now)
            if file is not None:
                name, content = file
                outbox.enqueue_file(
                    session,
                    key=item.ordering_key,
                    channel=channel,
                    content=content,
                    name=name,
                    thread_ts=file_thread,
                    now=now,
                )
            session.flush()
            return item.id

        item_id = await self.db.run(queue)
        self.wake()
        if watch:
            await self._hear_back(item_id)

    async def _hear_back(self, item_id: int) -> None:
        outcome = await self._outcome(item_id)
        if outcome is not None and outcome[0] == OutboxStatus.FAILED:
            raise AnswerRefused(outcome[1] or "unknown")

    async def _outcome(self, item_id: int) -> tuple[str, str | None] | None:
        """(status, error) of the item once it is done or failed, or None after HEAR_BACK_SECONDS."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HEAR_BACK_SECONDS
        while loop.time() < deadline:
            status, error = await self.db.run(lambda s: outbox.state_of(s, item_id))
            if status in (OutboxStatus.DONE, OutboxStatus.FAILED):
                return status, error
            await asyncio.sleep(POLL_SECONDS)
        return None
