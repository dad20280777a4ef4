"""Makes the scheduled undos that are due (alarm_actions_pause's EnableAlarmActions when the pause is up) with the
responder credentials, on whichever replica claims them first; a restart picks up what was due meanwhile, and a
call AWS refuses is tried again later. What happened is audited and told in the incident's thread."""

from __future__ import annotations

import asyncio
import logging

from bot.aws.errors import classify
from bot.aws.runbook import ActionCall, make_call
from bot.core import undos
from bot.core.undos import DueUndo
from bot.services import Services
from scheduler.registry import verify_polls

log = logging.getLogger(__name__)


class UndoRunner:
    def __init__(self, services: Services, *, holder: str) -> None:
        self._services = services
        self._holder = holder
        self._polls = verify_polls()

    async def run(self, *, poll_seconds: float = 5.0) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("making scheduled undos failed; trying again")
            await asyncio.sleep(poll_seconds)

    async def run_due(self) -> int:
        """Make every undo due now; how many were."""
        services = self._services
        now = services.clock()
        due = await services.db.run(lambda s: undos.claim_due(s, holder=self._holder, now=now))
        await asyncio.gather(*(self._make(undo) for undo in due))
        return len(due)

    async def _make(self, undo: DueUndo) -> None:
        services = self._services
        request = undo.request
        call = ActionCall(str(request["service"]), str(request["operation"]), dict(request["params"]))
        try:
            client = await services.executor.run(
                services.aws.responder_client, call.service, account=undo.account, region=undo.region
            )
            await services.executor.run(make_call, client, call)
        except Exception as exc:
            problem = classify(exc)
            log.warning("scheduled undo %s (%s) failed: %s", undo.id, call.shown(), problem.message)
            await services.db.run(lambda s: undos.record_failure(
                s, undo_id=undo.id, error=problem.message, iam_action=problem.iam_action, now=services.clock()
            ))  # fmt: skip
            services.wake_notifier()
            return
        seen = await self._seen(client, call.service, request.get("verify"))
        await services.db.run(lambda s: undos.record_made(s, undo_id=undo.id, seen=seen, now=services.clock()))
        services.wake_notifier()

    async def _seen(self, client: object, service: str, verify: object) -> str | None:
        """What the undo's poll sees right after the call, in words (it is told, not waited for)."""
        poll = self._polls.get((service, str(verify.get("poll")))) if isinstance(verify, dict) else None
        if poll is None or not isinstance(verify, dict):
            return None
        try:
            progress = await self._services.executor.run(poll.poll, client, dict(verify.get("params") or {}))
        except Exception as exc:
            return f"not read back: {classify(exc).message}"
        return progress.text
