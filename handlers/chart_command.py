"""`/boltwatch chart TARGET [METRIC] [SINCE] [account NAME] [region REGION]`: a metric chart of a resource, posted in
the channel through the outbox (drawn and uploaded by the drainer, like an incident's chart).

The listener has acked already; what it finds wrong (the target, the metric) is said privately and nothing is
posted. Once the target resolves, the person is told the chart is being drawn, then hears whether Slack took it."""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient

from bot.aws.chart_targets import (
    KIND_NAMES,
    AmbiguousChartTarget,
    MetricOfAlarm,
    Resource,
    ResourceKind,
    UnchartableAlarm,
    UnknownMetric,
    UnknownTarget,
    chart_request,
    find_resource,
)
from bot.aws.metric_charts import ChartRequest
from bot.commands import CHART
from bot.delivery.answers import AnswerRefused
from bot.durations import format_duration
from bot.enums import OutboxStatus
from bot.services import Services
from handlers.grammar import ChartAsk, did_you_mean, parse_chart
from handlers.log_targets import Place, place_of
from handlers.usage import UsageError, quoted

LISTED_METRICS = 12
"""An unknown metric's answer lists this many of the resource's metrics."""
SLACK_REFUSALS = ("not_in_channel", "channel_not_found", "is_archived")


async def show_chart(services: Services, words: list[str], command: dict[str, Any], respond: Any) -> None:
    usage = CHART.line(services.command_names)
    ask = parse_chart(words, services.command_names)
    if not services.settings.file.charts.enabled:
        raise UsageError("Charts are off in this Boltwatch (`charts.enabled: false` in its config).")
    place = place_of(services, ask.scope, CHART)
    resource, request = await services.executor.run(_resolve, services, place, ask, usage)
    await respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Rendering a chart of {KIND_NAMES[resource.kind]} {quoted(resource.name)}, "
        f"the last {format_duration(ask.since)}…",
    )
    until = services.clock()
    outcome = await services.answers.post_chart(
        command["channel_id"], request.to_payload(), start=until - ask.since, until=until
    )
    if outcome is not None and outcome[0] == OutboxStatus.FAILED:
        error = outcome[1] or "unknown"
        if error in SLACK_REFUSALS:
            raise AnswerRefused(error)
        raise UsageError(f"The chart could not be drawn or posted: {error[:300]}")


def _resolve(services: Services, place: Place, ask: ChartAsk, usage: str) -> tuple[Resource, ChartRequest]:
    """The resource and what its chart shows, or a UsageError that says what is wrong. Blocking: on the executor."""

    def clients(service: str) -> BaseClient:
        return services.aws.client(service, account=place.account, region=place.region)

    try:
        resource = find_resource(clients, ask.target)
        request = chart_request(
            clients, resource, ask.metric, span=ask.since, account=place.account, region=place.region
        )
    except UnknownTarget as exc:
        kinds = [KIND_NAMES[kind] for kind in exc.kinds]
        listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"
        hint = did_you_mean(exc.name, exc.names)
        forms = " An ECS service is CLUSTER/SERVICE, an instance its id (i-…)." if len(kinds) > 1 else ""
        raise UsageError(
            f"No {listed} is called {quoted(exc.name)} in {place.account} / {place.region}.{hint}{forms}", usage
        ) from None
    except AmbiguousChartTarget as exc:
        what = " and ".join(f"{_article(kind)} {KIND_NAMES[kind]}" for kind in exc.kinds)
        pick = " or ".join(f"`{kind}:{exc.target}`" for kind in exc.kinds)
        raise UsageError(f"{quoted(exc.target)} names {what}: write {pick}.", usage) from None
    except UnknownMetric as exc:
        shown = ", ".join(exc.names[:LISTED_METRICS]) + (" …" if len(exc.names) > LISTED_METRICS else "")
        raise UsageError(
            f"{KIND_NAMES[exc.kind]} {quoted(ask.target)} has no metric {quoted(exc.metric)}."
            f"{did_you_mean(exc.metric, exc.names)} Its metrics: {shown}.",
            usage,
        ) from None
    except MetricOfAlarm as exc:
        raise UsageError(
            f"An alarm's chart is its own metric and threshold: leave out {quoted(str(exc))}.", usage
        ) from None
    except UnchartableAlarm as exc:
        raise UsageError(f"Alarm {quoted(ask.target)} uses {exc}, which Boltwatch cannot chart yet.") from None
    return resource, request


def _article(kind: ResourceKind) -> str:
    """`an SQS queue`, `an EC2 instance`, `an ECS service`, `a Lambda function`, `a CloudWatch alarm`."""
    return "an" if kind in (ResourceKind.SQS, ResourceKind.EC2, ResourceKind.ECS) else "a"
