"""Inhibition on a real database: an alert an inhibit rule's firing source suppresses is recorded and shown, not
notified, and notified once its source resolves; the rule's matching as Alertmanager's `inhibit.go` does it; and
the issue's contract config, loaded as written, inhibiting with its literal rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml

from bot.blocks.incident import incident_message
from bot.config import settings_from_mapping
from bot.core.check_health import health_result
from bot.core.decisions import Reason
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import Observation, observe
from bot.core.inhibition import Inhibitor, InhibitRule, InhibitRuleSettings, SourceAlert, build_inhibit_rules
from bot.core.routing import build_routes
from bot.store import Database
from bot.views.incident_queries import load_snapshot
from tests.alerting import NOW, alert, finding, incidents, outbox_items, pending, record_delivered, routes, timeline

HEALTH = "health:alarms"
RULES = build_inhibit_rules(
    [InhibitRuleSettings(source_match={"check": HEALTH}, target_match_re={"check": ".*"}, equal=["account", "region"])]
)


def rule(**settings: object) -> InhibitRule:
    return InhibitRule.of(InhibitRuleSettings.model_validate(settings))


def health(firing: bool = True, region: str = "us-east-1") -> Finding:
    return Finding(
        fingerprint=f"{HEALTH}:{region}", firing=firing, title=f"Check alarms is failing in {region}",
        account="123456789012", region=region, resource="alarms",
    )  # fmt: skip


def run(db: Database, check: str, findings: list[Finding], *, now=NOW) -> Observation:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        result = CheckResult.of(findings)
        return observe(session, check=check, result=result, routes=routes(), now=now, inhibit_rules=RULES)


def message_text(db: Database, incident_id: int) -> str:
    with db.transaction() as session:
        snapshot = load_snapshot(session, incident_id)
    assert snapshot is not None
    return str(incident_message(snapshot, now=NOW)[1])


# --- matching, as Alertmanager's inhibit.go ----------------------------------------------------------------------


def test_equal_labels_must_agree_and_a_missing_label_equals_an_empty_one() -> None:
    rules = [rule(source_match={"alertname": "NodeDown"}, target_match={"severity": "warning"}, equal=["zone"])]
    inhibitor = Inhibitor.of(
        rules,
        [
            SourceAlert("down-a", {"alertname": "NodeDown", "zone": "a"}),
            SourceAlert("down-nozone", {"alertname": "NodeDown"}),
        ],
    )
    assert inhibitor.inhibiting({"severity": "warning", "zone": "a"}) == "down-a"
    assert inhibitor.inhibiting({"severity": "warning", "zone": "b"}) is None  # no source in zone b
    assert inhibitor.inhibiting({"severity": "warning"}) == "down-nozone"  # both lack `zone`
    assert inhibitor.inhibiting({"severity": "warning", "zone": ""}) == "down-nozone"  # empty is missing
    assert inhibitor.inhibiting({"severity": "critical", "zone": "a"}) is None  # not a target


def test_a_matcher_on_a_missing_label_reads_it_as_empty_and_patterns_are_anchored() -> None:
    rules = [rule(source_match={"alertname": "Down", "team": ""}, target_match_re={"check": "alarm"})]
    inhibitor = Inhibitor.of(
        rules, [SourceAlert("no-team", {"alertname": "Down"}), SourceAlert("team", {"alertname": "Down", "team": "x"})]
    )
    assert inhibitor.inhibiting({"check": "alarm"}) == "no-team"
    assert inhibitor.inhibiting({"check": "alarms"}) is None  # `alarm` must match the whole value


def test_an_alert_matching_both_sides_inhibits_neither_itself_nor_its_like_but_a_one_sided_source_does() -> None:
    rules = [rule(source_match_re={"severity": "critical|page"}, target_match_re={"severity": "critical|info"})]
    both_a = {"severity": "critical", "name": "a"}
    both_b = {"severity": "critical", "name": "b"}
    inhibitor = Inhibitor.of(rules, [SourceAlert("a", both_a), SourceAlert("b", both_b)])
    assert inhibitor.inhibiting(both_a) is None
    assert inhibitor.inhibiting(both_b) is None
    assert inhibitor.inhibiting({"severity": "info"}) == "a"  # a one-sided target is inhibited by two-sided sources
    with_pager = Inhibitor.of(rules, [SourceAlert("a", both_a), SourceAlert("pager", {"severity": "page"})])
    assert with_pager.inhibiting(both_a) == "pager"  # a source matching only the source side still inhibits


def test_the_contracts_rule_leaves_health_alerts_alone() -> None:
    inhibitor = Inhibitor.of(RULES, [SourceAlert("h1", {"check": HEALTH, "account": "1", "region": "r"})])
    assert inhibitor.inhibiting({"check": HEALTH, "account": "1", "region": "r"}) is None
    assert inhibitor.inhibiting({"check": "alarms", "account": "1", "region": "r"}) == "h1"


# --- through the alert path --------------------------------------------------------------------------------------


def test_an_inhibited_alert_is_recorded_counted_on_its_source_and_notified_once_the_source_resolves(
    db: Database,
) -> None:
    run(db, HEALTH, [health()])
    record_delivered(db, now=NOW)
    [source] = incidents(db)

    later = NOW + timedelta(minutes=1)
    observation = run(db, "alarms", [finding("orders-api"), finding("payments"), finding("eu", region="eu-west-1")])

    assert observation.reasons == {Reason.INHIBITED: 2, Reason.FIRST_NOTIFICATION: 1}  # eu-west-1 has no source
    suppressed = alert(db, "orders-api")
    assert suppressed is not None
    assert suppressed.status == "firing" and suppressed.incident_id is None
    assert suppressed.inhibited_by == f"{HEALTH}:us-east-1"
    assert [i.id for i in incidents(db)] == [source.id, source.id + 1]  # only the eu-west-1 alert opened one
    assert ("update_incident", source.id) in pending(db)
    assert "Also suppressing 2 alerts" in message_text(db, source.id)
    record_delivered(db, now=later)

    run(db, "alarms", [finding("orders-api"), finding("payments"), finding("eu", region="eu-west-1")], now=later)
    assert pending(db) == []  # still inhibited: nothing to say
    assert alert(db, "orders-api").count == 1  # type: ignore[union-attr]  # fired once, seen twice

    released = run(db, HEALTH, [health(firing=False)], now=later + timedelta(minutes=1))

    assert released.reasons[Reason.ALL_RESOLVED] == 1 and released.reasons[Reason.FIRST_NOTIFICATION] == 1
    assert released.reasons[Reason.NEW_ALERT_IN_GROUP] == 1
    [_, _, targets] = incidents(db)
    assert targets.title == "Alarm orders-api"
    assert ("post_incident", targets.id) in pending(db)
    assert alert(db, "payments").inhibited_by is None  # type: ignore[union-attr]
    assert "Also suppressing" not in message_text(db, source.id)


def test_an_alert_that_fired_first_shows_what_suppresses_it_and_is_notified_again_when_that_clears(
    db: Database,
) -> None:
    run(db, "alarms", [finding("orders-api")])
    record_delivered(db, now=NOW)
    [own] = incidents(db)

    later = NOW + timedelta(minutes=1)
    run(db, HEALTH, [health()], now=later)
    [_, source] = incidents(db)
    run(db, "alarms", [finding("orders-api")], now=later)

    assert timeline(db, own.id)[-1] == ("boltwatch", "alert_suppressed")
    assert ("update_incident", own.id) in pending(db)
    text = message_text(db, own.id)
    assert f"suppressed by #{source.id} Check alarms is failing in us-east-1" in text
    assert "Also suppressing 1 alert " in message_text(db, source.id)
    record_delivered(db, now=later)

    run(db, HEALTH, [health(firing=False)], now=later + timedelta(minutes=1))

    assert incidents(db)[0].status == "open"
    assert timeline(db, own.id)[-1] == ("boltwatch", "alert_firing")
    assert ("update_incident", own.id) in pending(db)
    assert "Suppressed" not in message_text(db, own.id)
    assert [item.text for item in outbox_items(db) if item.incident_id == own.id and item.text] == []


def test_an_inhibited_alert_that_clears_resolves_the_incident_it_held(db: Database) -> None:
    run(db, "alarms", [finding("orders-api")])
    record_delivered(db, now=NOW)
    run(db, HEALTH, [health()])
    run(db, "alarms", [finding("orders-api")])

    run(db, "alarms", [finding("orders-api", firing=False)])

    assert incidents(db)[0].status == "resolved"
    assert alert(db, "orders-api").inhibited_by is None  # type: ignore[union-attr]


# --- the contract, literally -----------------------------------------------------------------------------

CONTRACT = """
slack:
  channel: "#alerts"
routes:
  - name: payments
    match: {team: payments}
    escalation:
      - {after: 5m, notify: ["schedule:primary"]}
      - {after: 15m, notify: ["U0LEAD"]}
inhibit_rules:
  - {source_match: {check: check_health}, target_match_re: {check: ".*"}, equal: [account, region]}
maintenance:
  - {matchers: {team: payments}, cron: "0 2 * * 0", duration: 1h, timezone: UTC, reason: weekly patching}
schedules:
  - name: primary
    channel: "#oncall"
    timezone: Europe/Berlin
    rotations:
      - {users: [U0ALICE, U0BOB], every: weekly, handoff: "Mon 09:00"}
"""


def test_check_health_names_every_checks_health_alert_and_health_name_still_one() -> None:
    contract = rule(source_match={"check": "check_health"}, target_match_re={"check": ".*"}, equal=["region"])
    inhibitor = Inhibitor.of([contract], [SourceAlert("h", {"check": "health:alarms", "region": "r"})])
    assert inhibitor.inhibiting({"check": "lambda_errors", "region": "r"}) == "h"
    assert inhibitor.inhibiting({"check": "health:logs", "region": "r"}) is None  # a health alert: both sides
    assert Inhibitor.of([contract], [SourceAlert("a", {"check": "alarms", "region": "r"})]).inhibiting(
        {"check": "lambda_errors", "region": "r"}
    ) is None  # fmt: skip
    one = rule(source_match={"check": "health:alarms"}, target_match_re={"check": ".*"})
    assert Inhibitor.of([one], [SourceAlert("h", {"check": "health:alarms"})]).inhibiting({"check": "x"}) == "h"
    assert Inhibitor.of([one], [SourceAlert("h", {"check": "health:logs"})]).inhibiting({"check": "x"}) is None


class Failed:
    message = "AccessDenied: cloudwatch:DescribeAlarms"
    iam_action = "cloudwatch:DescribeAlarms"


def test_the_contracts_literal_rule_holds_back_an_alarm_while_its_checks_health_alert_fires(db: Database) -> None:
    settings = settings_from_mapping(yaml.safe_load(CONTRACT), {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"})
    rules = build_inhibit_rules(settings.file.inhibit_rules)
    routing = build_routes(settings.file.routes, settings.slack.channel)
    here = ("default", "us-east-1")

    def apply(check: str, result: CheckResult, at: datetime) -> Observation:
        with db.transaction() as session:
            return observe(session, check=check, result=result, routes=routing, now=at, inhibit_rules=rules)

    def check_health(failing: bool, at: datetime) -> Observation:
        """The health alert of the check `alarms` in the default account's us-east-1, as the runner makes it."""
        result = health_result(check="alarms", targets=[here], problems={here: Failed()} if failing else {},
                               consecutive_failures=3 if failing else 0,
                               account_ids={"default": "123456789012"})  # fmt: skip
        return apply("health:alarms", result, at)

    alarms = [finding("orders-api"), finding("eu", region="eu-west-1")]
    check_health(True, NOW)
    [source] = incidents(db)
    assert source.title == "Check alarms is failing in default / us-east-1"

    held = apply("alarms", CheckResult.of(alarms), NOW + timedelta(minutes=1))
    assert held.reasons == {Reason.INHIBITED: 1, Reason.FIRST_NOTIFICATION: 1}  # eu-west-1 is another region
    assert alert(db, "orders-api").inhibited_by == "check_health:alarms:default:us-east-1"  # type: ignore[union-attr]
    assert "Also suppressing 1 alert" in message_text(db, source.id)

    released = check_health(False, NOW + timedelta(minutes=2))
    assert released.reasons[Reason.FIRST_NOTIFICATION] == 1  # the alarm, notified as if it had just fired
    assert alert(db, "orders-api").inhibited_by is None  # type: ignore[union-attr]
    assert any(i.title == "Alarm orders-api" and i.status == "open" for i in incidents(db))
