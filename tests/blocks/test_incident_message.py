"""The incident message builder: header, status line and buttons for each state, the alert list of a group,
and text from AWS, logs and people that can neither ping a channel nor forge a link."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.blocks.incident import all_alerts_view, incident_message
from bot.blocks.limits import MESSAGE_BLOCKS
from bot.enums import Severity
from bot.ids import IncidentButton
from bot.views.incident import AlertLine, IncidentSnapshot

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OPENED = NOW - timedelta(minutes=30)
HOSTILE = "<!channel> see <http://evil.example|your bank> & more"


def alert_line(title: str = "Alarm orders-api-errors", *, firing: bool = True, **fields: Any) -> AlertLine:
    values: dict[str, Any] = {
        "severity": Severity.CRITICAL,
        "summary": "Threshold crossed: 5 datapoints >= 1",
        "resource": "orders-api",
        "account": "123456789012",
        "region": "us-east-1",
        "first_seen": OPENED,
        "labels": {"alarm": "orders-api-errors", "function": "orders-api"},
        "links": {"console": "https://console.aws.amazon.com/cloudwatch/home#alarm:orders-api-errors"},
        "evidence": {},
    }
    return AlertLine(title=title, firing=firing, **(values | fields))


OPEN = IncidentSnapshot(
    id=7,
    title="Alarm orders-api-errors",
    severity=Severity.CRITICAL,
    status="open",
    channel="C0ALERTS",
    route="default",
    opened_at=OPENED,
    acknowledged_by=None,
    acknowledged_at=None,
    resolved_by=None,
    resolved_at=None,
    snoozed_until=None,
    alerts=[alert_line()],
)
ACKNOWLEDGED = replace(OPEN, status="acknowledged", acknowledged_by="U0BOB", acknowledged_at=NOW)
SNOOZED = replace(OPEN, snoozed_until=NOW + timedelta(hours=1))
RESOLVED = replace(OPEN, status="resolved", resolved_by="U0BOB", resolved_at=OPENED + timedelta(minutes=12),
                   alerts=[alert_line(firing=False)])  # fmt: skip


def header(incident: IncidentSnapshot) -> str:
    _, blocks = incident_message(incident, now=NOW)
    return blocks[0]["text"]["text"]


def status_line(incident: IncidentSnapshot) -> str:
    _, blocks = incident_message(incident, now=NOW)
    [context] = [block for block in blocks if block["type"] == "context"]
    return context["elements"][0]["text"]


def buttons(incident: IncidentSnapshot) -> list[dict[str, Any]]:
    _, blocks = incident_message(incident, now=NOW)
    [actions] = [block for block in blocks if block["type"] == "actions"]
    return actions["elements"]


def action_ids(incident: IncidentSnapshot) -> list[str]:
    return [element["action_id"] for element in buttons(incident)]


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every piece of text Slack parses for mentions and links."""
    texts = []
    for block in blocks:
        if block.get("text", {}).get("type") == "mrkdwn":
            texts.append(block["text"]["text"])
        texts.extend(e["text"] for e in block.get("elements", []) if isinstance(e, dict) and e.get("type") == "mrkdwn")
    return texts


# --- the four states -----------------------------------------------------------------------------------------------


def test_an_open_incident_leads_with_its_severity() -> None:
    assert header(OPEN) == ":red_circle: CRITICAL · Alarm orders-api-errors"
    assert incident_message(OPEN, now=NOW)[0] == "OPEN critical: Alarm orders-api-errors"


def test_an_open_incident_offers_acknowledge_first_then_snooze_resolve_logs_errors_and_the_console() -> None:
    assert action_ids(OPEN) == [
        "incident_ack", "incident_snooze", "incident_resolve", "incident_logs", "incident_errors", "incident_console",
    ]  # fmt: skip
    styles = {element["action_id"]: element.get("style") for element in buttons(OPEN)}
    assert (styles["incident_ack"], styles["incident_resolve"]) == ("primary", "danger")


def test_an_open_incident_says_how_long_it_has_lasted() -> None:
    _, blocks = incident_message(OPEN, now=NOW)
    assert "lasted 30m" in blocks[1]["text"]["text"]
    assert status_line(OPEN) == "Incident #7 · route default"


def test_an_acknowledged_incident_says_who_and_offers_reopen_instead_of_acknowledge() -> None:
    assert header(ACKNOWLEDGED) == ":eyes: ACKNOWLEDGED · Alarm orders-api-errors"
    assert f"acknowledged by <@U0BOB> <!date^{int(NOW.timestamp())}^" in status_line(ACKNOWLEDGED)
    assert action_ids(ACKNOWLEDGED)[:3] == ["incident_snooze", "incident_resolve", "incident_reopen"]


def test_a_snoozed_incident_says_until_when() -> None:
    assert f"snoozed until <!date^{int((NOW + timedelta(hours=1)).timestamp())}^" in status_line(SNOOZED)
    assert "incident_ack" in action_ids(SNOOZED)


def test_a_snooze_that_has_ended_is_no_longer_shown() -> None:
    ended = replace(OPEN, snoozed_until=NOW - timedelta(seconds=1))
    assert "snoozed" not in status_line(ended)


def test_an_incident_that_names_no_function_or_log_group_offers_no_logs_or_errors() -> None:
    instance = replace(OPEN, alerts=[alert_line("i-0abc impaired", labels={"instance": "i-0abc"})])
    assert action_ids(instance) == ["incident_ack", "incident_snooze", "incident_resolve", "incident_console"]
    in_a_log_group = replace(OPEN, alerts=[alert_line(labels={"log_group": "/ecs/orders"})])
    assert "incident_logs" in action_ids(in_a_log_group)


def test_a_resolved_incident_offers_only_reopen_logs_errors_and_the_console() -> None:
    assert header(RESOLVED) == ":white_check_mark: RESOLVED · Alarm orders-api-errors"
    assert action_ids(RESOLVED) == ["incident_reopen", "incident_logs", "incident_errors", "incident_console"]


def test_a_resolved_incident_says_who_resolved_it_and_how_long_it_lasted() -> None:
    _, blocks = incident_message(RESOLVED, now=NOW)
    assert "lasted 12m" in blocks[1]["text"]["text"]
    assert "resolved by <@U0BOB> <!date^" in status_line(RESOLVED)


def test_an_incident_resolved_by_its_alerts_clearing_says_so() -> None:
    cleared = replace(RESOLVED, resolved_by=None)
    assert "resolved by Boltwatch (all alerts cleared)" in status_line(cleared)


# --- buttons -------------------------------------------------------------------------------------------------------


def test_every_button_carries_the_incident_id_and_each_snooze_choice_its_duration() -> None:
    elements = buttons(OPEN)
    values = [element["value"] for element in elements if "value" in element]
    assert {IncidentButton.parse(value).incident_id for value in values} == {7}
    [snooze] = [element for element in elements if element["action_id"] == "incident_snooze"]
    choices = [IncidentButton.parse(option["value"]).snooze for option in snooze["options"]]
    assert choices == ["30m", "1h", "4h", "24h", "custom"]


def test_without_a_console_link_there_is_no_console_button() -> None:
    plain = replace(OPEN, alerts=[alert_line(links={})])
    assert "incident_console" not in action_ids(plain)


# --- a group of alerts ---------------------------------------------------------------------------------------------


def test_a_group_lists_its_alerts_and_strikes_out_the_resolved_ones() -> None:
    group = replace(OPEN, alerts=[alert_line(), alert_line("Alarm payments-errors"),
                                  alert_line("Alarm billing-errors", firing=False)])  # fmt: skip
    _, blocks = incident_message(group, now=NOW)

    listing = blocks[2]["text"]["text"]
    assert listing.startswith("*2 of 3 alerts firing*")
    assert "• ~Alarm billing-errors~" in listing and "• Alarm payments-errors —" in listing
    assert header(group).endswith("Alarm orders-api-errors (+1 more)")


def test_a_storm_shows_ten_alerts_and_a_button_for_the_rest_within_slacks_limits() -> None:
    storm = replace(OPEN, alerts=[alert_line(f"Alarm {i:03d} " + "x" * 300, resource="r" * 300) for i in range(500)])
    _, blocks = incident_message(storm, now=NOW)

    more = next(block for block in blocks if block.get("accessory", {}).get("action_id") == "incident_alerts")
    assert more["text"]["text"] == "…and 490 more."
    assert len(blocks) <= MESSAGE_BLOCKS
    assert all(len(text) <= 3000 for text in mrkdwn_texts(blocks))
    assert sum(block["text"]["text"].count("• ") for block in all_alerts_view(storm)["blocks"]) == 500


# --- text from outside ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "summary", "resource", "account", "region"])
def test_alert_text_cannot_ping_or_forge_a_link(field: str) -> None:
    hostile = replace(OPEN, alerts=[alert_line(**{field: HOSTILE}), alert_line(**{field: HOSTILE})])
    text, blocks = incident_message(hostile, now=NOW)

    for part in [text, *mrkdwn_texts(blocks)]:
        assert "<!channel>" not in part and "<http://evil.example|" not in part
    escaped = "&lt;!channel&gt; see &lt;http://evil.example|your bank&gt; &amp; more"
    assert any(escaped in part for part in mrkdwn_texts(blocks))


def test_evidence_from_logs_cannot_ping_or_forge_a_link() -> None:
    logged = replace(OPEN, alerts=[alert_line(evidence={"<!here>": [HOSTILE], "last line": HOSTILE})])
    _, blocks = incident_message(logged, now=NOW)

    summary = blocks[1]["text"]["text"]
    assert "*&lt;!here&gt;:* &lt;!channel&gt; see" in summary
    assert "<!channel>" not in summary and "<!here>" not in summary and "<http://evil.example|" not in summary


def test_a_route_name_or_user_id_that_is_not_an_id_stays_literal() -> None:
    odd = replace(ACKNOWLEDGED, route="<!everyone>", acknowledged_by="<!channel>")
    line = status_line(odd)
    assert "<!everyone>" not in line and "<!channel>" not in line
    assert "route &lt;!everyone&gt;" in line and "acknowledged by &lt;!channel&gt;" in line


def test_the_header_is_plain_text_so_slack_shows_a_hostile_title_as_written() -> None:
    hostile = replace(OPEN, alerts=[alert_line(HOSTILE)])
    _, blocks = incident_message(hostile, now=NOW)
    assert blocks[0]["text"]["type"] == "plain_text"
