"""A runbook action made ready to confirm or run, re-read each time from the database (never from the button), and
from AWS when the action reads what it will change (its lookup): its params, its exact call, what the confirmation
shows, whether the access rules let this person run it here, and the plan the run records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot.aws.errors import classify
from bot.aws.runbook import (
    ActionCall,
    Lookup,
    NotApplicable,
    RunbookAction,
    VerifyPoll,
    planned_call,
    planned_undo,
    shown_values,
)
from bot.blocks.mrkdwn import escape, inline_code, plain
from bot.blocks.runbook import PARAM_ACTION, PARAM_BLOCK, ConfirmView, ParamInput
from bot.core.access import Verdict, may_run
from bot.core.action_runs import remembered_by
from bot.core.runbook import Planned
from bot.core.undos import PlannedUndo
from bot.durations import format_duration
from bot.ids import RunButton
from bot.services import Services, target_alert
from bot.views.incident import AlertLine, IncidentSnapshot
from bot.views.incident_queries import load_snapshot


@dataclass(frozen=True)
class Prepared:
    """An action ready to confirm or run."""

    action: RunbookAction
    snapshot: IncidentSnapshot
    alert: AlertLine
    params: BaseModel
    call: ActionCall
    account: str
    region: str
    looked: str | None = None
    """A digest of what the action's lookup read from AWS (None: it reads nothing)."""


class NotRunnable(Exception):
    """Why this action cannot run on this incident now, for the person who asked."""


async def prepare(
    services: Services, button: RunButton, *, edits: Mapping[str, str] | None = None, looked: str | None = None
) -> Prepared:
    """The action of `button` on its incident, with the params the person changed (`edits`). With `looked`, the
    digest of what the confirmation showed from AWS: if AWS has changed since, nothing may run."""
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
    account = alert.labels.get("account_name") or services.aws.default_account
    region = alert.region or services.aws.default_region
    values: dict[str, Any] = dict(alert.labels) | dict(edits or {})
    lookup = action.lookup
    try:
        if action.restores is not None:
            values |= await _restored(services, action, action.restores, action.label_params(values))
        read = None
        if lookup is not None:
            given = action.params_from(values, lookup.given)
            read = await _looked_up(services, action, lookup, given, account=account, region=region)
            values |= read
        params = action.params_from(values)
    except ValueError as exc:
        raise NotRunnable(escape(str(exc))) from None
    digest = _digest(read) if read is not None else None
    if looked is not None and digest != looked:
        raise NotRunnable(
            f"Nothing was run: AWS has changed since this confirmation opened. Now it would: "
            f"{plain(action.confirmation(params))} Open the action again to confirm that."
        )
    return Prepared(action, snapshot, alert, params, planned_call(action, params), account, region, digest)


async def _restored(services: Services, action: RunbookAction, undone: str, params: BaseModel) -> dict[str, Any]:
    """What `undone` kept from before its last run on this resource: the params that put it back."""
    resource = action.resource(params)
    before = await services.db.run(lambda s: remembered_by(s, action=undone, resource=resource, undone_by=action.name))
    if before is None:
        raise NotRunnable(
            f"Nothing for `{action.name}` to put back: `{undone}` has not run on {inline_code(resource)}."
        )
    return before


async def _looked_up(
    services: Services, action: RunbookAction, lookup: Lookup, given: BaseModel, *, account: str, region: str
) -> dict[str, Any]:
    """The params the action reads from AWS, with the responder's credentials (its reads are in its permissions)."""
    try:
        aws = await services.executor.run(services.aws.responder_client, action.service, account=account, region=region)
        return await services.executor.run(lookup.read, aws, given)
    except NotApplicable as exc:
        raise NotRunnable(plain(str(exc))) from None
    except Exception as exc:
        problem = classify(exc)
        missing = f" The responder role needs `{problem.iam_action}`." if problem.iam_action else ""
        raise NotRunnable(
            f"`{action.name}` could not read what it would change: {plain(problem.message)}{missing}"
        ) from None


def _digest(read: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(read, sort_keys=True, default=str).encode()).hexdigest()[:16]


def confirm_view(services: Services, prepared: Prepared, *, editing: bool = True) -> ConfirmView:
    """What the confirmation shows (`editing`: with the params the person may still change)."""
    action, params = prepared.action, prepared.params
    verify = f"{action.service} {action.verify.name}" if action.verify else ""
    verify_by = "polling" if isinstance(action.verify, VerifyPoll) else "the waiter"
    role = services.aws.responder_role(prepared.account) or f"the {prepared.account} account's own credentials"
    return ConfirmView(
        title=action.title, confirmation=action.confirmation(params), call=prepared.call.shown(), role=role,
        account=prepared.account, region=prepared.region, reversible=action.reversal(params), verify=verify,
        verify_by=verify_by, then=_then(action, params, editing=editing),
        inputs=tuple(_input(action, params, name) for name in action.editable) if editing else (),
    )  # fmt: skip


def _then(action: RunbookAction, params: BaseModel, *, editing: bool) -> str:
    undo, call = action.undo_after, planned_undo(action, params)
    if undo is None or call is None:
        return ""
    after = format_duration(undo.after(params)) + (" (or the time set below)" if action.editable and editing else "")
    return (
        f"after {after}, Boltwatch calls {call.shown()} by itself, and says so in the incident's thread. "
        f"It is kept in Boltwatch's database: a restart does not lose it."
    )


def _input(action: RunbookAction, params: BaseModel, name: str) -> ParamInput:
    field = action.params.model_fields[name]
    return ParamInput(name, field.title or name, str(shown_values(params)[name]), field.description or "")


def edited_params(view: dict[str, Any], action: RunbookAction | None) -> dict[str, str]:
    """The editable params as the person left them in the confirmation, by name."""
    values = (view.get("state") or {}).get("values") or {}
    edits: dict[str, str] = {}
    for name in action.editable if action is not None else ():
        typed = (values.get(f"{PARAM_BLOCK}{name}") or {}).get(PARAM_ACTION) or {}
        if isinstance(typed.get("value"), str):
            edits[name] = typed["value"].strip()
    return edits


def may_run_here(
    services: Services, prepared: Prepared, *, user: str, channel: str, channel_name: str | None
) -> Verdict:
    return may_run(
        services.settings.file.access, action_name=prepared.action.name, user=user, channel=channel,
        home_channels={prepared.snapshot.channel}, channel_name=channel_name,
    )  # fmt: skip


def plan_of(prepared: Prepared, *, user: str, channel: str) -> Planned:
    action, params, call = prepared.action, prepared.params, prepared.call
    request: dict[str, Any] = {"service": call.service, "operation": call.operation, "params": call.request}
    if action.change:
        request["change"] = action.filled(action.change, params)
    return Planned(
        incident_id=prepared.snapshot.id, action=action.name, resource=action.resource(params),
        account=prepared.account, region=prepared.region, request=request, requester=user, channel=channel,
        undo=_undo(action, params), ends=action.restores,
    )  # fmt: skip


def _undo(action: RunbookAction, params: BaseModel) -> PlannedUndo | None:
    undo, call = action.undo_after, planned_undo(action, params)
    if undo is None or call is None:
        return None
    verify = {"poll": undo.verify.name, "params": undo.verify.params(params)} if undo.verify else None
    request = {"service": call.service, "operation": call.operation, "params": call.request, "call": call.shown(),
               "verify": verify}  # fmt: skip
    return PlannedUndo(undo.after(params), request, action.filled(undo.done, params), undo.started_by)
