from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.core.routing import RouteSettings, build_routes, route_for


def test_the_first_matching_route_wins_and_a_catch_all_comes_last() -> None:
    routes = build_routes(
        [
            RouteSettings(name="payments", match={"team": "payments"}, channel="#pay"),
            RouteSettings(name="db", match_re={"resource": "rds-.*"}, channel="#db"),
        ],
        "#alerts",
    )
    assert route_for(routes, {"team": "payments", "resource": "rds-1"}).channel == "#pay"
    assert route_for(routes, {"team": "orders", "resource": "rds-1"}).channel == "#db"
    assert route_for(routes, {"team": "orders", "resource": "my-rds-1"}).name == "default"
    assert routes[-1].channel == "#alerts"


def test_alerts_share_a_group_key_only_when_their_group_by_labels_agree() -> None:
    [route] = build_routes([RouteSettings(name="all", group_by=["check", "region"])], "#alerts")
    a = route.group_key({"check": "alarms", "region": "us-east-1", "resource": "x"})
    b = route.group_key({"check": "alarms", "region": "us-east-1", "resource": "y"})
    c = route.group_key({"check": "alarms", "region": "eu-west-1", "resource": "x"})
    assert a == b != c


def test_a_bad_regular_expression_is_refused_with_its_label() -> None:
    with pytest.raises(ValidationError, match="resource: '\\(' is not a regular expression"):
        RouteSettings(match_re={"resource": "("})
