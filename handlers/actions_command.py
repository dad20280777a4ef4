"""`/boltwatch actions INCIDENT`: the runbook actions an incident offers, each with the call it would make, whether
the person asking may run it from here and its cooldown, with the incident message's own Run buttons; privately."""

from __future__ import annotations

from typing import Any

from bot.blocks.runbook import actions_list_blocks
from bot.commands import ACTIONS
from bot.core.action_runs import cooldown_left
from bot.ids import RunButton
from bot.services import Services
from bot.views.incident_queries import load_snapshot
from bot.views.runbook import ActionOffer
from handlers.grammar import parse_incident
from handlers.runbook_prepare import NotRunnable, may_run_here, prepare


async def show_actions(services: Services, words: list[str], command: dict[str, Any], respond: Any) -> None:
    incident_id = parse_incident(words, ACTIONS.line(services.command_names))
    snapshot = await services.db.run(lambda s: load_snapshot(s, incident_id))
    if snapshot is None:
        text = f"There is no incident #{incident_id}. `/boltwatch incidents` lists the open ones."
        await respond(response_type="ephemeral", text=text)
        return
    choices = await services.db.run(lambda s: services.action_choices(s, snapshot))
    offers = [await _offer(services, RunButton(incident_id, choice.name), choice.title, command) for choice in choices]
    text = f"{len(offers)} runbook actions for incident #{incident_id}"
    await respond(response_type="ephemeral", text=text, blocks=actions_list_blocks(incident_id, snapshot.title, offers))


async def _offer(services: Services, button: RunButton, title: str, command: dict[str, Any]) -> ActionOffer:
    try:
        prepared = await prepare(services, button)
    except NotRunnable as exc:
        return ActionOffer(button.action, title, call="", allowed=False, problem=str(exc))
    verdict = may_run_here(
        services, prepared, user=command.get("user_id", ""), channel=command.get("channel_id", ""),
        channel_name=command.get("channel_name"),
    )  # fmt: skip
    resource, cooldown, now = (
        prepared.action.resource(prepared.params),
        services.settings.file.actions.cooldown,
        services.clock(),
    )
    left = await services.db.run(
        lambda s: cooldown_left(s, action=button.action, resource=resource, cooldown=cooldown, now=now)
    )
    why_not = "" if verdict.allowed else f"You may not run it here: {verdict.why} {verdict.remedy}".rstrip()
    return ActionOffer(button.action, title, prepared.call.shown(), verdict.allowed, why_not, left)
