"""`/boltwatch actions INCIDENT`'s answer: one section per action with its call and the Run button when the person
asking may run it; what came from outside (the incident's title, the call's values) cannot ping or format."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block

from bot.blocks.runbook import actions_list_blocks
from bot.ids import RunButton
from bot.views.runbook import ActionOffer

CALL = "ecs.UpdateService(cluster='web', service='<!channel> `x`', desiredCount=4)"


def test_each_action_shows_its_call_and_a_run_button_only_for_who_may_run_it() -> None:
    offers = [
        ActionOffer("ecs_scale_out", "Scale out", CALL, allowed=True, cooldown_left=timedelta(minutes=7)),
        ActionOffer("ecs_force_deployment", "Force new deployment", CALL, allowed=False,
                    why_not="You may not run it here: only <@U1> may run ecs_force_deployment."),
        ActionOffer("lambda_restore", "Restore", "", allowed=True, problem="Nothing to put back."),
    ]  # fmt: skip
    blocks = actions_list_blocks(3, "web/api: 0 of 2 tasks <!here>", offers)
    heading, scale_out, force, restore = blocks
    assert "<!here>" not in heading["text"]["text"] and "incident #3" in heading["text"]["text"]
    assert scale_out["accessory"]["value"] == RunButton(3, "ecs_scale_out").encode()
    assert scale_out["accessory"]["action_id"] == "incident_run"
    assert "<!channel>" not in scale_out["text"]["text"] and "again in 7m" in scale_out["text"]["text"]
    assert "accessory" not in force and "only <@U1> may run" in force["text"]["text"]
    assert "accessory" not in restore and "Nothing to put back." in restore["text"]["text"]
    for block in blocks:
        assert Block.parse(block) is not None


def test_an_incident_that_offers_nothing_says_so() -> None:
    [_, only] = actions_list_blocks(3, "resolved", [])
    assert only["text"]["text"].startswith("None applies now")
