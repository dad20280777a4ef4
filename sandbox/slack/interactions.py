"""What a person does in Slack, turned into deliveries to the app: commands, clicks, submissions, events."""

from __future__ import annotations

from typing import Any, Unpack

from sandbox.slack import payloads
from sandbox.slack.response_urls import ResponseTarget, ResponseUrls, apply_response
from sandbox.slack.sender import Delivery, Sender, Tampering, TamperingOptions, Via
from sandbox.slack.state import SlackState
from sandbox.slack.view_methods import apply_submission_ack, find_view
from sandbox.slack.workspace import SlackError


class Interactions:
    """The `send_*` half of LocalSlack.

    Every method takes `app_url` (the app's `/slack/events`, unused when `via="socket"`) and the tampering
    keywords for rejection-path tests: forge_signature, stale_by (seconds), retry_num, retry_reason,
    extra_headers.
    """

    _state: SlackState
    _sender: Sender
    _response_urls: ResponseUrls

    async def send_command(
        self,
        app_url: str | None = None,
        *,
        command: str = "/boltwatch",
        text: str = "",
        user: str = "U0ALICE",
        channel: str = "C0ALERTS",
        via: Via = "http",
        **tampering: Unpack[TamperingOptions],
    ) -> Delivery:
        """A slash command; a non-empty ack becomes an ephemeral (or in_channel) message, as in Slack."""
        the_channel = self._state.workspace.channel(channel)
        response_url = self._response_urls.issue(user=user, channel=the_channel.id)
        trigger_id = self._state.issue_trigger(user)
        payload = payloads.slash_command(
            self._state,
            command=command,
            text=text,
            user=user,
            channel=the_channel.id,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        delivery = await self._sender.deliver(
            app_url, kind="slash_commands", payload=payload, via=via, tampering=Tampering(**tampering)
        )
        delivery.response_url, delivery.trigger_id = response_url, trigger_id
        ack = delivery.ack_body()
        if ack is not None:
            try:
                apply_response(self._state, ResponseTarget(user, the_channel.id), ack, source="ack")
            except SlackError as error:
                delivery.ack_error = error.code
        return delivery

    async def send_block_action(
        self,
        app_url: str | None = None,
        *,
        action_id: str,
        user: str = "U0ALICE",
        channel: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: str | None = None,
        action_type: str = "button",
        selected_option: str | None = None,
        via: Via = "http",
        **tampering: Unpack[TamperingOptions],
    ) -> Delivery:
        """A click on an element of a stored message (`channel` + `message_ts`) or view (`view_id`).

        The element, its block_id and value come from what is stored, as Slack sends them; a click on
        something that is not there raises LookupError. `value` overrides the stored one (a forged click).
        """
        message = view = None
        if view_id is not None:
            owner, index = find_view(self._state, view_id)
            view = self._state.home_views[owner] if index < 0 else self._state.modal_stacks[owner][index]
            blocks = view["blocks"]
        elif message_ts is not None:
            stored = self._state.history.find(self._state.workspace.channel(channel).id, message_ts)
            message, blocks = stored.to_slack(), stored.blocks
        else:
            blocks = []
        found = payloads.find_element(blocks, action_id, block_id)
        if found is None and (message is not None or view is not None):
            raise LookupError(f"no element with action_id {action_id!r} in the stored message or view")
        found_block_id, element = found or (block_id or "", {"type": action_type, "action_id": action_id})
        the_channel = self._state.workspace.channel(channel).id if channel else None
        response_url = None
        if the_channel is not None and view is None:
            response_url = self._response_urls.issue(user=user, channel=the_channel, message_ts=message_ts)
        trigger_id = self._state.issue_trigger(user)
        entry = payloads.action(
            element,
            block_id=found_block_id,
            action_ts=f"{self._state.now():.6f}",
            value=value,
            selected_option=selected_option,
        )
        payload = payloads.block_actions(
            self._state,
            user=user,
            actions=[entry],
            trigger_id=trigger_id,
            channel=the_channel,
            message=message,
            view=view,
            response_url=response_url,
        )
        delivery = await self._sender.deliver(
            app_url, kind="interactive", payload=payload, via=via, tampering=Tampering(**tampering)
        )
        delivery.response_url, delivery.trigger_id = response_url, trigger_id
        return delivery

    async def send_view_submission(
        self,
        app_url: str | None = None,
        *,
        view: str | dict[str, Any],
        values: dict[str, dict[str, Any]] | None = None,
        user: str = "U0ALICE",
        via: Via = "http",
        **tampering: Unpack[TamperingOptions],
    ) -> Delivery:
        """Submit an open modal (by view id) or a view dict; `values` is `{block_id: {action_id: text}}`."""
        if isinstance(view, str):
            owner, index = find_view(self._state, view)
            if index < 0:
                raise LookupError(f"view {view} is a Home tab; only modals are submitted")
            view = self._state.modal_stacks[owner][index]
        trigger_id = self._state.issue_trigger(user)
        payload = payloads.view_submission(
            self._state, user=user, view=view, values=values or {}, trigger_id=trigger_id
        )
        delivery = await self._sender.deliver(
            app_url, kind="interactive", payload=payload, via=via, tampering=Tampering(**tampering)
        )
        delivery.trigger_id = trigger_id
        if delivery.status == 200:
            apply_submission_ack(self._state, user, view.get("id", ""), delivery.ack_body() or {})
        return delivery

    async def send_event(
        self,
        app_url: str | None = None,
        *,
        event: dict[str, Any],
        via: Via = "http",
        **tampering: Unpack[TamperingOptions],
    ) -> Delivery:
        """An Events API event such as `{"type": "app_home_opened", "user": "U0ALICE"}`."""
        payload = payloads.event_callback(self._state, event, event_id=self._state.new_id("Ev"), now=self._state.now())
        return await self._sender.deliver(
            app_url, kind="events_api", payload=payload, via=via, tampering=Tampering(**tampering)
        )
