"""What every Boltwatch process builds from its settings, web or worker: storage, AWS access, routes, metrics and
the configured checks. Kept apart from `bot.app` so that a worker loads no Slack listener (it answers none)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from bot.aws.executor import AwsExecutor
from bot.aws.sessions import AwsSessions
from bot.config import ConfigError, Settings
from bot.core.inhibition import build_inhibit_rules
from bot.core.routing import build_routes
from bot.runtime.acks_first import yields_to_acks
from bot.runtime.metrics import Metrics
from bot.services import Services, utcnow
from bot.store import Database
from scheduler.registry import ConfiguredCheck, configure_actions, configure_checks


def package_version() -> str:
    try:
        return version("boltwatch")
    except PackageNotFoundError:
        return "0+unknown"


def build_services(
    settings: Settings,
    *,
    db: Database | None = None,
    aws_endpoint_url: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    acks_first: bool = True,
) -> tuple[Services, list[ConfiguredCheck]]:
    """What web and worker processes share: storage, AWS access, routes, metrics, the configured checks. With
    `acks_first`, every boto3 client waits its turn inside check runs' threads while Slack requests arrive (a
    process that answers Slack); a worker answers none."""
    push = settings.file.push
    checks = configure_checks(settings.checks, reconcile_every=push.reconcile_every if push.enabled else None)
    if settings.file.scheduler.engine == "procrastinate":
        from scheduler.engines.distributed import schedule_problems

        if problems := schedule_problems(checks):
            raise ConfigError(problems)
    actions = configure_actions(settings.file.actions)
    metrics = Metrics()
    executor = AwsExecutor.from_settings(settings.aws)
    metrics.aws_calls_in_flight.set_function(lambda: executor.in_flight)
    services = Services(
        settings=settings,
        db=db or Database.from_url(settings.database_url),
        metrics=metrics,
        aws=AwsSessions(
            settings.aws, endpoint_url=aws_endpoint_url, on_new_client=yields_to_acks if acks_first else None
        ),
        executor=executor,
        routes=build_routes(settings.file.routes, settings.slack.channel),
        inhibit_rules=build_inhibit_rules(settings.file.inhibit_rules),
        check_schedule=[(c.name, c.type.name, c.every) for c in checks],
        clock=clock,
        actions=actions,
    )
    return services, checks
