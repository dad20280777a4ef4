from __future__ import annotations

from bot.core.access import AccessRule, Action, may


def test_by_default_anyone_in_the_alert_channel_may_act_and_nobody_elsewhere() -> None:
    assert may([], action=Action.ACKNOWLEDGE, user="U1", channel="C1", home_channels={"C1"}).allowed
    verdict = may([], action=Action.ACKNOWLEDGE, user="U1", channel="C2", home_channels={"C1"})
    assert not verdict.allowed and "<#C1>" in verdict.why


def test_a_rule_limits_an_action_to_its_users() -> None:
    rules = [AccessRule(actions=["resolve"], users=["U_LEAD"])]
    assert may(rules, action=Action.RESOLVE, user="U_LEAD", channel="C1", home_channels={"C1"}).allowed
    refused = may(rules, action=Action.RESOLVE, user="U_NEW", channel="C1", home_channels={"C1"})
    assert not refused.allowed and "only <@U_LEAD> may resolve" in refused.why
    assert may(rules, action=Action.ACKNOWLEDGE, user="U_NEW", channel="C1", home_channels={"C1"}).allowed


def test_a_rule_can_allow_other_channels() -> None:
    rules = [AccessRule(actions=["*"], channels=["C_OPS"])]
    assert may(rules, action=Action.SNOOZE, user="U1", channel="C_OPS", home_channels={"C1"}).allowed
    assert not may(rules, action=Action.SNOOZE, user="U1", channel="C1", home_channels={"C1"}).allowed
