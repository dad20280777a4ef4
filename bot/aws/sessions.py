"""The one factory of boto3 clients: per account and region, cached, with the project's retry policy.

Accounts come from `AwsSettings`: the default credential chain, a named profile, or a role assumed (from the
profile or the default chain) with credentials that refresh themselves. boto3 honours `AWS_ENDPOINT_URL`
natively; `endpoint_url` overrides it (tests, the sandbox). The assume-role STS call goes to the same endpoint.
`on_new_client` sees every client made here (the assume-role STS client too) before it is used: the composition
root registers its botocore event handlers through it, so that this layer needs to know nothing of them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from bot.aws.credentials import assumed_role_credentials, session_with_credentials
from bot.aws.loop_guard import refuse_calls_on_event_loop
from bot.aws.quotas import LogsQuota
from bot.aws.settings import AccountSettings, AwsSettings


@dataclass(frozen=True, slots=True)
class AwsTarget:
    """One place the bot watches: an account (by its configured name) in one region."""

    account: str
    region: str


class UnknownAccount(LookupError):
    """An account name that is not in the configuration."""

    def __init__(self, account: str, configured: list[str]) -> None:
        super().__init__(f"unknown AWS account {account!r}; configured: {', '.join(configured)}")
        self.account = account


class AwsSessions:
    """Hands out boto3 clients (thread-safe, shared) and the account ids behind the configured names."""

    def __init__(
        self,
        settings: AwsSettings,
        *,
        endpoint_url: str | None = None,
        guard_event_loop: bool = True,
        on_new_client: Callable[[BaseClient], None] | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint_url = endpoint_url
        self._guard_event_loop = guard_event_loop
        self._on_new_client = on_new_client
        self._accounts = {account.name: account for account in settings.accounts}
        self._config = client_config(settings, local_endpoint=bool(endpoint_url or os.environ.get("AWS_ENDPOINT_URL")))
        self._lock = threading.Lock()
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str], BaseClient] = {}
        self._responder_sessions: dict[str, boto3.Session] = {}
        self._responder_clients: dict[tuple[str, str, str], BaseClient] = {}
        self._account_ids: dict[str, str] = {}
        self.logs_quota = LogsQuota()

    @property
    def default_account(self) -> str:
        return self.settings.accounts[0].name

    @property
    def default_region(self) -> str:
        return self.settings.regions[0]

    def targets(self) -> list[AwsTarget]:
        """Every configured account in every configured region."""
        return [
            AwsTarget(account.name, region) for account in self.settings.accounts for region in self.settings.regions
        ]

    def client(self, service: str, *, account: str | None = None, region: str | None = None) -> BaseClient:
        """The shared client for `service` in `account` (name) and `region`; defaults are the first configured."""
        cached = self.cached_client(service, account=account, region=region)
        if cached is not None:
            return cached
        account = account or self.default_account
        region = region or self.default_region
        key = (account, region, service)
        with self._lock:
            # boto3 sessions are not thread-safe; clients are, once made.
            if key not in self._clients:
                client = self._new_client(self._session(account), service, region)
                if service == "logs":
                    self.logs_quota.guard(client, account, region)
                self._clients[key] = client
            return self._clients[key]

    def cached_client(
        self, service: str, *, account: str | None = None, region: str | None = None
    ) -> BaseClient | None:
        """The client if it was made already (a dict lookup, fine on the event loop), else None: making one reads
        its service model from disk, hundreds of ms for EC2's, so the event loop leaves that to a worker thread
        (`Services.aws_client`)."""
        return self._clients.get((account or self.default_account, region or self.default_region, service))

    def responder_client(self, service: str, *, account: str | None = None, region: str | None = None) -> BaseClient:
        """A client with the account's responder credentials, for runbook actions only (a blocking call the first
        time: it may assume the responder role). Without `responder_role_arn`, the account's own profile or default
        chain, never its read-only role."""
        account = account or self.default_account
        region = region or self.default_region
        key = (account, region, service)
        with self._lock:
            if key not in self._responder_clients:
                if account not in self._responder_sessions:
                    self._responder_sessions[account] = self._open_responder_session(self._settings_of(account))
                self._responder_clients[key] = self._new_client(self._responder_sessions[account], service, region)
            return self._responder_clients[key]

    def responder_role(self, account: str | None = None) -> str | None:
        return self._settings_of(account or self.default_account).responder_role_arn

    def account_id(self, account: str | None = None) -> str:
        """The 12-digit id of `account`: configured, or asked of STS once (a blocking call) and remembered."""
        account = account or self.default_account
        known = self._account_ids.get(account) or self._settings_of(account).id
        if known is None:
            known = self.client("sts", account=account).get_caller_identity()["Account"]
        self._account_ids[account] = known
        return known

    def known_account_id(self, account: str) -> str | None:
        """The 12-digit id of `account` if it is configured or was asked of STS already; never a call."""
        settings = self._accounts.get(account)
        return self._account_ids.get(account) or (settings.id if settings is not None else None)

    def _session(self, account: str) -> boto3.Session:
        if account not in self._sessions:
            self._sessions[account] = self._open_session(self._settings_of(account))
        return self._sessions[account]

    def _open_session(self, account: AccountSettings) -> boto3.Session:
        return self._as_role(account, account.role_arn, account.session_name, account.external_id)

    def _open_responder_session(self, account: AccountSettings) -> boto3.Session:
        session_name = f"{account.session_name}-responder"
        return self._as_role(account, account.responder_role_arn, session_name, account.responder_external_id)

    def _as_role(
        self, account: AccountSettings, role_arn: str | None, session_name: str, external_id: str | None
    ) -> boto3.Session:
        """The account's profile (or default credentials), as `role_arn` when one is given."""
        base = boto3.Session(profile_name=account.profile)
        if role_arn is None:
            return base
        sts = self._new_client(base, "sts", self.default_region)
        credentials = assumed_role_credentials(
            sts, role_arn=role_arn, session_name=session_name, external_id=external_id
        )
        return session_with_credentials(credentials)

    def _new_client(self, session: boto3.Session, service: str, region: str) -> BaseClient:
        client = session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self._config)
        if self._guard_event_loop:
            refuse_calls_on_event_loop(client)
        if self._on_new_client is not None:
            self._on_new_client(client)
        return client

    def _settings_of(self, account: str) -> AccountSettings:
        try:
            return self._accounts[account]
        except KeyError:
            raise UnknownAccount(account, list(self._accounts)) from None


def client_config(settings: AwsSettings, *, local_endpoint: bool = False) -> Config:
    """Adaptive retries, bounded timeouts and our user agent; host prefixes off for a local endpoint.

    `max_attempts` counts the first try, as AWS_MAX_ATTEMPTS does (botocore's `retries["max_attempts"]` would not).
    """
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        user_agent_extra=f"boltwatch/{_boltwatch_version()}",
        # Operations such as logs:StartLiveTail prepend a host ("streaming.") that a local endpoint lacks.
        inject_host_prefix=not local_endpoint,
    )


def _boltwatch_version() -> str:
    try:
        return version("boltwatch")
    except PackageNotFoundError:
        return "0+unknown"
