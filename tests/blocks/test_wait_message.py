"""The /wait progress message fits Block Kit whatever it was asked to wait on, and echoes nothing that pings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.blocks.limits import SECTION_TEXT
from bot.blocks.wait import wait_message, wait_outcome_reply
from bot.enums import WaitStatus
from bot.views.wait import ActionRunLine, WaitView

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def job(ids: list[str], status: str = WaitStatus.WAITING) -> WaitView:
    return WaitView(
        id=7, service="ec2", waiter="instance_running", params={"InstanceIds": ids}, requester="U0ALICE",
        channel="C0ALERTS", message_ts="1.2", attempts=1, max_attempts=40, status=status, last_state="pending",
        created_at=NOW - timedelta(minutes=2), deadline=NOW + timedelta(minutes=8), account="prod", region="us-east-1",
    )  # fmt: skip


def test_five_hundred_ids_show_the_first_ten_and_how_many_more() -> None:
    text, blocks = wait_message(job([f"i-{n:017x}" for n in range(500)]), now=NOW)
    section = blocks[0]["text"]["text"]
    assert len(section) <= SECTION_TEXT
    assert "i-00000000000000009" in section and "i-0000000000000000a" not in section
    assert "…and 490 more" in section and "…and 490 more" in text


def test_an_id_of_ten_thousand_characters_is_cut_to_fit() -> None:
    text, blocks = wait_message(job(["x" * 10_000]), now=NOW)
    assert len(blocks[0]["text"]["text"]) <= SECTION_TEXT
    assert len(text) <= 1_000


def test_pings_and_links_in_ids_stay_literal_in_the_blocks_the_fallback_and_the_outcome() -> None:
    hostile = ["<!channel>", "<@U0BOB>", "<https://evil.example|click>", "`tick`"]
    text, blocks = wait_message(job(hostile), now=NOW)
    outcome = wait_outcome_reply(job(hostile, status=WaitStatus.SUCCESS))
    for shown in (text, blocks[0]["text"]["text"], outcome):
        assert "<!channel>" not in shown and "<@U0BOB>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt;" in text
    assert outcome.startswith("<@U0ALICE> `")
    assert outcome.count("`") == 2  # the id's own backticks cannot end the code span early


def test_an_action_verification_offers_to_stop_verifying_not_to_cancel_the_action() -> None:
    call = "ec2.RebootInstances(InstanceIds=['i-0abc'])"
    verifying = replace(job(["i-0abc"]), run=ActionRunLine(3, "ec2_reboot", "i-0abc", call, "running"))

    plain_wait = wait_message(job(["i-0abc"]), now=NOW)[1][-1]["elements"][0]
    _, blocks = wait_message(verifying, now=NOW)

    assert plain_wait["text"]["text"] == "Cancel"
    button = blocks[-1]["elements"][0]
    assert button["text"]["text"] == "Stop verifying" and "style" not in button
    assert "does not undo it" in button["confirm"]["text"]["text"]
    assert "ec2_reboot" in button["confirm"]["text"]["text"]
    assert button["action_id"] == plain_wait["action_id"]
