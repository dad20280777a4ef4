"""`POST /aws/sns`: a delivery is verified before anything else (signature, certificate host, topic, age), then
taken in once by MessageId, whichever replica it reaches, and what it says becomes findings on the alert path.

Answers: 403 for anything unverified, a body that is not an SNS message included; 503 when its signing certificate
cannot be fetched now from an allowed host (no answer, or a 5xx: SNS retries a delivery answered 5xx and drops one
answered 4xx, so a 403 would lose a genuine message to a passing fault) or its account cannot be looked up now; 502
when a subscription cannot be confirmed; else 200 — also for a repeat and for a kind of message that is recorded and
ignored. Each delivery writes one log line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.aws.alarm_events import alarm_change, event_kind
from bot.aws.errors import classify
from bot.aws.eventbridge import eventbridge_event
from bot.aws.sessions import AwsTarget
from bot.aws.sns_hosts import SnsHosts, UrlNotAllowed
from bot.aws.sns_http import FetchFailed, SnsHttp
from bot.aws.sns_messages import MalformedMessage, MessageType, SnsMessage, parse_sns_message
from bot.aws.sns_verification import Refused, SigningCertificates, SnsVerifier
from bot.aws.tags import TagCache
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import Observation, observe_pushed
from bot.core.push_deliveries import KEPT_FOR, delivery_recorded, forget_before, record_delivery
from bot.runtime.acks_first import AcksFirst
from bot.services import Services
from scheduler.probe import with_account_name, with_resource_tags
from scheduler.push.alarms import pushed_finding, watcher_of
from scheduler.push.health import HEALTH_CHECK, health_finding, is_health_event
from scheduler.push.rechecks import RECHECKED_BY, PushedRechecks, Recheck
from scheduler.registry import ConfiguredCheck

log = logging.getLogger(__name__)
FORGET_EVERY = timedelta(minutes=1)
IGNORED = "ignored: neither an alarm state change, an AWS Health event nor an event a check watches"


@dataclass(frozen=True)
class Intake:
    """What a verified notification comes to: the record's kind and outcome, and the finding to observe if any."""

    kind: str
    outcome: str
    check: str = ""
    finding: Finding | None = None
    rechecks: tuple[str, ...] = ()
    """Checks to run now over `target`, after the delivery is recorded."""
    target: tuple[str, str] = ("", "")


class SnsReceiver:
    def __init__(self, services: Services, checks: list[ConfiguredCheck], tags: TagCache, *, recheck: Recheck) -> None:
        settings = services.settings.file.push.sns
        self._services = services
        self._checks = checks
        self._tags = tags
        self.rechecks = PushedRechecks(recheck)
        self.http = SnsHttp(SnsHosts(settings.cert_hosts), ca_bundle=settings.ca_bundle)
        certificates = SigningCertificates(self.http)
        self._verifier = SnsVerifier(topics=settings.topics, certificates=certificates, http=self.http)
        self._forgot_at = services.clock() - FORGET_EVERY

    async def receive(self, body: bytes) -> int:
        """Take one delivery; returns the HTTP status to answer."""
        now = self._services.clock()
        try:
            message = parse_sns_message(body)
        except MalformedMessage as exc:
            return self._answer(403, "malformed", "refused a delivery to /aws/sns that is not an SNS message: %s", exc)
        about = f"SNS message {message.message_id[:100]!r} of {message.topic_arn[:300]!r}"
        try:
            await self._verifier.verify(message, now)
        except Refused as exc:
            return self._answer(403, "refused", "refused %s: %s", about, exc)
        except FetchFailed as exc:
            return self._answer(503, "failed", "could not fetch the signing certificate of %s (%s)", about, exc)
        if message.type is MessageType.SUBSCRIPTION_CONFIRMATION:
            return await self._confirm(message, about)
        if message.type is MessageType.UNSUBSCRIBE_CONFIRMATION:
            if await self._record(message, Intake("unsubscribe confirmation", "logged")) is None:
                return self._answer(200, "duplicate", "%s seen before: nothing done", about)
            return self._answer(200, "unsubscribed", "%s: this endpoint was unsubscribed from the topic", about)
        try:
            intake = await self._intake(message)
        except Exception as exc:  # the account's id could not be asked of STS: SNS retries
            return self._answer(503, "failed", "could not take in %s: %s", about, classify(exc).message)
        try:
            observation = await self._record(message, intake)
        except Exception as exc:  # nothing was taken in: SNS retries
            return self._answer(503, "failed", "could not record %s: %s", about, _first_line(exc))
        if observation is None:
            return self._answer(200, "duplicate", "%s seen before: nothing done", about)
        if observation.incidents_touched:
            self._services.wake_notifier()
        for check in intake.rechecks:
            self.rechecks.request(check, *intake.target)
        kind = "observed" if intake.finding is not None or intake.rechecks else "ignored"
        return self._answer(200, kind, "%s (%s): %s", about, intake.kind, intake.outcome)

    async def _confirm(self, message: SnsMessage, about: str) -> int:
        if await self._services.db.run(lambda s: delivery_recorded(s, message_id=message.message_id)):
            return self._answer(200, "duplicate", "%s seen before: nothing done", about)
        url = message.subscribe_url or ""
        if problem := self.http.hosts.confirmation_problem(url, topic_arn=message.topic_arn, token=message.token or ""):
            return self._answer(403, "refused", "refused %s: SubscribeURL: %s", about, problem)
        try:
            await self.http.get(url)
        except UrlNotAllowed as exc:
            return self._answer(403, "refused", "refused %s: SubscribeURL: %s", about, exc)
        except FetchFailed as exc:
            return self._answer(502, "failed", "could not confirm the subscription of %s: %s", about, exc)
        try:
            await self._record(message, Intake("subscription confirmation", "confirmed"))
        except Exception as exc:  # confirmed all the same; a repeat of it would only confirm again
            log.warning("could not record the confirmation of %s: %s", about, _first_line(exc))
        return self._answer(200, "confirmed", "%s: confirmed this endpoint's subscription to the topic", about)

    async def _intake(self, message: SnsMessage) -> Intake:
        try:
            document: object = json.loads(message.message)
        except ValueError:
            document = None
        kind = event_kind(document)
        change = alarm_change(document)
        event = eventbridge_event(document)
        checked_by = RECHECKED_BY.get((event.source, event.detail_type)) if event is not None else None
        health = health_finding(event) if event is not None and is_health_event(event) else None
        if change is not None:
            account_id, region = change.account_id, change.region
        elif health is not None and event is not None:  # the affected account (an organizational view's differs)
            account_id, region = health.account, event.region
        elif event is not None and checked_by is not None:
            account_id, region = event.account_id, event.region
        else:
            return Intake(kind, IGNORED)
        account = await self._account_named(account_id)
        if account is None:
            return Intake(kind, f"ignored: account {account_id[:20]} is not one of aws.accounts")
        if region not in self._services.aws.settings.regions:
            return Intake(kind, f"ignored: region {region[:30]} is not one of aws.regions")
        if health is not None:
            finding = await self._labelled(health, region, account)
            status = health.evidence["Status"]
            return Intake(kind, f"{health.title[:150]}: {status[:20]}", check=HEALTH_CHECK, finding=finding)
        if change is None:
            names = tuple(c.name for c in self._checks if c.type.name == checked_by)
            if not names:
                return Intake(kind, f"ignored: no {checked_by} check is configured")
            return Intake(kind, f"running {', '.join(names)} now", rechecks=names, target=(account, region))
        name = change.alarm["AlarmName"]
        watcher = watcher_of(self._checks, name)
        if watcher is None:
            return Intake(kind, f"ignored: no cloudwatch_alarms check watches alarm {name[:100]!r}")
        finding = await self._labelled(pushed_finding(change, watcher), change.region, account)
        state = change.alarm["StateValue"]
        return Intake(kind, f"alarm {name[:100]!r} is {state[:20]}", check=watcher.name, finding=finding)

    async def _account_named(self, account_id: str) -> str | None:
        """The configured name of the account `account_id`, or None; an account configured without its id is
        asked of STS once."""
        aws = self._services.aws
        for account in aws.settings.accounts:
            known = account.id or await self._services.executor.run(aws.account_id, account.name)
            if known == account_id:
                return account.name
        return None

    async def _labelled(self, finding: Finding, region: str, account: str) -> Finding:
        """The finding with the labels a check run gives it: the account's name, the resource's tags."""
        services = self._services
        result = with_account_name(CheckResult.of([finding]), account)
        result = await with_resource_tags(
            result, AwsTarget(account, region), aws=services.aws, executor=services.executor, tags=self._tags,
            allowance=AcksFirst().run(),
        )  # fmt: skip
        return result.findings[0]

    async def _record(self, message: SnsMessage, intake: Intake) -> Observation | None:
        """Record the delivery and observe its finding in one transaction; None when it was recorded before."""
        services = self._services
        now = services.clock()
        forget = now - self._forgot_at >= FORGET_EVERY
        if forget:
            self._forgot_at = now

        def take_in(session: Session) -> Observation | None:
            if forget:
                forget_before(session, before=now - KEPT_FOR)
            first = record_delivery(
                session, message_id=message.message_id, topic_arn=message.topic_arn, kind=intake.kind,
                outcome=intake.outcome, now=now,
            )  # fmt: skip
            if not first:
                return None
            if intake.finding is None:
                return Observation()
            return observe_pushed(
                session, check=intake.check, findings=[intake.finding], routes=services.routes, now=now,
                charts=services.settings.file.charts.enabled, inhibit_rules=services.inhibit_rules,
            )  # fmt: skip

        return await services.db.run(take_in)

    def _answer(self, status: int, outcome: str, text: str, *args: object) -> int:
        (log.info if status < 400 else log.warning)(text, *args)
        self._services.metrics.sns_deliveries.labels(outcome).inc()
        return status

    async def close(self) -> None:
        await self.rechecks.close()
        await self.http.close()


def _first_line(exc: Exception) -> str:
    """A database error's own message, without the statement and parameters SQLAlchemy appends."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
