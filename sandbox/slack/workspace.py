"""The emulated workspace: team, bot, people and channels, and how Slack resolves a channel argument."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0BOLTWATCH"
TEAM_NAME = "Boltwatch"
TEAM_DOMAIN = "boltwatch"
APP_ID = "A0BOLTWATCH"
BOT_ID = "B0BOLTWATCH"
BOT_USER_ID = "U0BOLTWATCH"
BOT_NAME = "boltwatch"


class SlackError(Exception):
    """A Web API error answered as `{"ok": false, "error": code}`, with Slack's optional extras."""

    def __init__(self, code: str, *, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.code}
        if self.messages:
            body["errors"] = [m.removeprefix("[ERROR] ") for m in self.messages]
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False

    def to_slack(self) -> dict[str, Any]:
        profile = {
            "real_name": self.real_name,
            "display_name": self.name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.name,
            "email": f"{self.name}@{TEAM_DOMAIN}.example",
            "team": TEAM_ID,
        }
        if self.is_bot:
            profile["bot_id"] = BOT_ID
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": "Etc/UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: set[str] = field(default_factory=set)
    created: int = 1700000000
    is_archived: bool = False

    def to_slack(self, *, viewer: str = BOT_USER_ID) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": viewer in self.members,
            "created": self.created,
            "creator": "U0ALICE",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "num_members": len(self.members),
            "context_team_id": TEAM_ID,
        }


class Workspace:
    """People and channels. Channel arguments accept an id, `#name` or `name`, as Slack does."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.add_user("boltwatch", "Boltwatch", user_id=BOT_USER_ID, is_bot=True)
        for name, real_name in (("alice", "Alice Adams"), ("bob", "Bob Brown"), ("carol", "Carol Chen")):
            self.add_user(name, real_name)
        for name in ("alerts", "ops", "general"):
            self.add_channel(name)

    def add_user(self, name: str, real_name: str, *, user_id: str | None = None, is_bot: bool = False) -> User:
        user = User(id=user_id or f"U0{name.upper()}", name=name, real_name=real_name, is_bot=is_bot)
        self.users[user.id] = user
        for channel in self.channels.values():
            if not channel.is_im:
                channel.members.add(user.id)
        return user

    def add_channel(self, name: str, *, private: bool = False, bot_is_member: bool = True) -> Channel:
        name = name.removeprefix("#")
        humans = {uid for uid, user in self.users.items() if not user.is_bot}
        channel = Channel(
            id=f"C0{name.upper().replace('-', '').replace('_', '')}",
            name=name,
            is_private=private,
            members=humans | ({BOT_USER_ID} if bot_is_member else set()),
        )
        self.channels[channel.id] = channel
        return channel

    def user(self, user_id: str | None) -> User:
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def channel(self, ref: str | None) -> Channel:
        """Resolve an id, `#name`, `name` or a user id (the app's DM with that user)."""
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:
            return self._direct_message(ref)
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise SlackError("channel_not_found")

    def _direct_message(self, user_id: str) -> Channel:
        channel_id = "D" + user_id[1:]
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(
                id=channel_id, name=channel_id, is_im=True, members={user_id, BOT_USER_ID}
            )
        return self.channels[channel_id]
