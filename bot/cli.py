"""`boltwatch`: run, worker, sandbox, iam-policy, check, db upgrade, manifest.

Each command imports what it needs when it runs: `boltwatch --help`, a usage error and a config error answer
without loading the app (Slack, the database, the scheduler).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.aws.runbook import RunbookAction
    from bot.aws.settings import AwsSettings
    from bot.config import FileSettings
    from bot.core.findings import CheckResult, Finding
    from bot.views.incident import AlertLine, IncidentSnapshot
    from scheduler.registry import ConfiguredCheck

log = logging.getLogger(__name__)
EXIT_FIRING = 1
EXIT_CONFIG = 2
EXIT_TARGETS_FAILED = 3
CHECK_EXIT_CODES = """\
exit codes: 0 nothing fires; 1 something fires; 2 a usage or config error;
3 nothing fires where it could look, but some account/region could not be checked"""
IAM_POLICY_FORMATS = """\
json: the policy document; without --responder, for the identity the bot runs as (with sts:AssumeRole on the
accounts' roles). cloudformation: a template of the role to create in each watched account, trusting the bot's
principal with an external ID: the read-only role, or with --responder the responder role (deploy/*.yaml)"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bot.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"config error: {problem}", file=sys.stderr)
        return EXIT_CONFIG


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="boltwatch", description="A Slack bot that keeps AWS systems up.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve the bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    run.add_argument("--config", required=True, help="YAML config file")
    run.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=None, help="port to bind (default 3000)")
    run.add_argument("--log-level", default="INFO")
    run.add_argument(
        "--role",
        choices=["all", "web"],
        default="all",
        help="all (default): also run the checks; web: Slack, HTTP and the outbox only, `boltwatch worker` processes"
        " run the checks (scheduler.engine procrastinate)",
    )
    run.set_defaults(func=_run)

    worker = commands.add_parser(
        "worker", help="run check jobs from the PostgreSQL queue (scheduler.engine procrastinate); serves /healthz"
    )
    worker.add_argument("--config", required=True, help="YAML config file")
    worker.add_argument("--concurrency", type=int, default=10, help="jobs run at once (default 10)")
    worker.add_argument("--host", default=None, help="address to bind /healthz and /metrics (default 127.0.0.1)")
    worker.add_argument("--port", type=int, default=3001, help="port of /healthz and /metrics (default 3001)")
    worker.add_argument("--log-level", default="INFO")
    worker.set_defaults(func=_worker)

    sandbox = commands.add_parser("sandbox", help="run the bot against emulated AWS and a local Slack")
    sandbox.add_argument("--command", action="append", default=[], help='e.g. "/boltwatch help"; repeatable')
    sandbox.add_argument("--config", default=None, help="YAML config (default: the sandbox's own)")
    sandbox.add_argument("--log-level", default="WARNING")
    sandbox.set_defaults(func=_sandbox)

    iam = commands.add_parser(
        "iam-policy",
        help="print the least-privilege IAM policy, or a CloudFormation template of the role, for checks or actions",
        epilog=IAM_POLICY_FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    granted = iam.add_mutually_exclusive_group(required=True)
    granted.add_argument("--config", help="YAML config file: grant what its checks and enabled actions need")
    granted.add_argument(
        "--all",
        action="store_true",
        help="instead of a config: grant what every check type (with --responder, every built-in action) needs",
    )
    iam.add_argument("--wait-services", default="", help="comma-separated services people will /wait on, e.g. ec2,s3")
    iam.add_argument(
        "--include-secret-actions",
        action="store_true",
        help="also grant the waiters' reads that return secrets (ec2:GetPasswordData, ec2:DescribeVpnConnections)",
    )
    iam.add_argument(
        "--responder",
        action="store_true",
        help="print the responder role's write policy: what the enabled runbook actions call (and verify with)",
    )
    iam.add_argument("--format", choices=["json", "cloudformation"], default="json", help="default: json")
    iam.set_defaults(func=_iam_policy)

    once = commands.add_parser(
        "check",
        help="run one check now and print what it finds",
        epilog=CHECK_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    once.add_argument("type", help="a check type, e.g. cloudwatch_alarms")
    once.add_argument("--once", action="store_true", help="accepted and ignored: one run is the only mode")
    once.add_argument("--config", default=None, help="YAML config: its AWS settings and this check's params")
    once.set_defaults(func=_check_once)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="bring the schema to this release's version")
    db_upgrade.add_argument("--database-url", default=None, help="default: $BOLTWATCH_DATABASE_URL or ./boltwatch.db")
    db_upgrade.set_defaults(func=_db_upgrade)

    from bot.manifest import add_parser as add_manifest_parser  # light: the command catalogue and yaml

    add_manifest_parser(commands)
    from bot.push_setup_cli import add_parser as add_push_parser  # light: argparse only until it runs

    add_push_parser(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from scheduler.registry import check_problems

    settings = load_settings(args.config, judge_check=check_problems)

    from bot.app import create_app, replica_name
    from bot.runtime import event_loop
    from bot.runtime.heap import limit_malloc_arenas
    from bot.runtime.log_redaction import configure_logging
    from bot.store import SchemaError

    limit_malloc_arenas()  # before any worker thread allocates
    secrets = [settings.secrets.bot_token, settings.secrets.signing_secret, settings.secrets.app_token]
    configure_logging(args.log_level, [s.get_secret_value() for s in secrets if s is not None])
    try:
        app = create_app(settings, holder=replica_name(args.port or settings.server.port), role=args.role)
        event_loop.run(serve_until_signalled(app, args.host, args.port), settings.server.event_loop)
    except SchemaError as exc:
        return _database_error(exc)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_settings
    from scheduler.registry import check_problems

    if args.concurrency < 1:
        raise ConfigError([f"--concurrency: {args.concurrency} is not a number of jobs; give 1 or more"])
    settings = load_settings(args.config, judge_check=check_problems)
    if settings.file.scheduler.engine != "procrastinate":
        raise ConfigError(["scheduler.engine: `boltwatch worker` takes jobs only with engine procrastinate"])

    from bot.app import replica_name
    from bot.runtime import event_loop
    from bot.runtime.heap import limit_malloc_arenas
    from bot.runtime.log_redaction import configure_logging
    from bot.store import SchemaError
    from bot.worker import WorkerProcess

    limit_malloc_arenas()  # before any worker thread allocates, as for `run`
    secrets = [settings.secrets.bot_token, settings.secrets.signing_secret, settings.secrets.app_token]
    configure_logging(args.log_level, [s.get_secret_value() for s in secrets if s is not None])
    try:
        worker = WorkerProcess(settings, name=replica_name(args.port), concurrency=args.concurrency)
        event_loop.run(serve_until_signalled(worker, args.host, args.port), settings.server.event_loop)
    except SchemaError as exc:
        return _database_error(exc)
    return 0


class Serving(Protocol):
    """A process that serves until stopped: `BoltwatchApp`, `WorkerProcess`."""

    async def start(self, host: str | None = None, port: int | None = None) -> int: ...

    async def stop(self) -> None: ...


async def serve_until_signalled(app: Serving, host: str | None, port: int | None) -> None:
    """Serve until SIGTERM or SIGINT, then shut down within SHUTDOWN_SECONDS."""
    import asyncio
    import signal

    from bot.app import SHUTDOWN_SECONDS

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop(signum: signal.Signals) -> None:
        log.info("%s received: stopping", signum.name)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
    # start() returns once the bot listens and waits on nothing from Slack (Socket Mode connects in the
    # background): a Slack outage cannot keep the signal from being heard.
    await app.start(host, port)
    try:
        await stopping.wait()
    finally:
        began = loop.time()
        try:
            await asyncio.wait_for(app.stop(), SHUTDOWN_SECONDS)
        except TimeoutError:
            log.error("shutdown took longer than %.0f s; exiting with its work unfinished", SHUTDOWN_SECONDS)
        else:
            log.info("stopped in %.1f s", loop.time() - began)


def _iam_policy(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_file_settings
    from scheduler.registry import check_problems, configure_actions, load_action_types

    file_settings = load_file_settings(args.config, judge_check=check_problems) if args.config else None

    from bot.aws.iam_policy import policy, responder_policy, waiter_actions
    from bot.aws.role_template import READ_ONLY, RESPONDER, role_template

    actions = configure_actions(file_settings.actions) if file_settings else load_action_types()
    if args.responder:
        document = responder_policy(actions.values())
        if args.format == "cloudformation" and not document["Statement"]:
            raise ConfigError(["actions.enabled: no runbook action is enabled: the responder role would do nothing"])
    else:
        services = [s.strip() for s in args.wait_services.split(",") if s.strip()]
        try:
            waits = waiter_actions(services, include_secrets=args.include_secret_actions)
        except ValueError as exc:
            raise ConfigError([f"--wait-services: {exc}"]) from None
        for action, why in waits.left_out.items():
            print(f"left out {action}: it {why} (--include-secret-actions grants it)", file=sys.stderr)
        document = policy(
            check_permissions=_granted_check_permissions(file_settings),
            # The identity the bot runs as assumes the accounts' roles; the roles themselves assume nothing.
            role_arns=_assumed_roles(file_settings, actions) if args.format == "json" else [],
            waits=waits,
        )
    if args.format == "json":
        print(json.dumps(document, indent=2))
    else:
        kind = RESPONDER if args.responder else READ_ONLY
        print(role_template(kind, document, command=_iam_policy_command(args)), end="")
    return 0


def _granted_check_permissions(file_settings: FileSettings | None) -> list[str]:
    """What the config's enabled checks declare; without a config, what every check type declares."""
    from scheduler.registry import configure_checks, load_check_types

    if file_settings is None:
        return [p for check_type in load_check_types().values() for p in check_type.permissions]
    return [p for check in configure_checks(file_settings.checks) for p in check.type.permissions]


def _assumed_roles(file_settings: FileSettings | None, actions: Mapping[str, RunbookAction]) -> list[str]:
    """The accounts' read-only roles, and their responder roles when some runbook action is enabled."""
    if file_settings is None:
        return []
    accounts = file_settings.aws.accounts
    responders = [a.responder_role_arn for a in accounts if a.responder_role_arn] if actions else []
    return [a.role_arn for a in accounts if a.role_arn] + responders


def _iam_policy_command(args: argparse.Namespace) -> str:
    """The command line that prints this output again (the header of a generated template)."""
    words = ["boltwatch", "iam-policy", *(["--all"] if args.all else ["--config", args.config])]
    if args.responder:
        words.append("--responder")
    else:
        words += ["--wait-services", args.wait_services] if args.wait_services else []
        words += ["--include-secret-actions"] if args.include_secret_actions else []
    return shlex.join([*words, "--format", args.format])


def _check_once(args: argparse.Namespace) -> int:
    """`boltwatch check TYPE --once`: run one check now over every target, print its findings and the message it
    would post; no database, so no log cursors and nothing recorded. Exit codes: CHECK_EXIT_CODES."""
    import asyncio

    from bot.aws.settings import AwsSettings
    from bot.blocks.incident import incident_message
    from bot.config import load_file_settings
    from bot.core.findings import CheckResult
    from scheduler.registry import check_problems

    file_settings = load_file_settings(args.config, judge_check=check_problems) if args.config else None
    check = _configured_check(args.type, file_settings)
    aws_settings = file_settings.aws if file_settings else AwsSettings()
    now = datetime.now(UTC)
    outcomes = asyncio.run(_run_once(check, aws_settings, now))
    findings: list[Finding] = []
    failed = 0
    for outcome in outcomes:
        if isinstance(outcome, CheckResult):
            findings.extend(outcome.findings)
        else:
            failed += 1
            print(outcome)
    firing = [f for f in findings if f.firing]
    print(f"{check.name}: {len(firing)} firing, {len(findings) - len(firing)} not firing, {failed} targets failed")
    for finding in firing:
        where = f"{finding.resource} ({finding.account}/{finding.region})"
        print(f"  FIRING {finding.severity.value}: {finding.title} — {where}")
    if firing:
        text, blocks = incident_message(_preview(firing, now), now=now)
        print(
            "\nThe Slack message it would post:\n" + json.dumps({"text": text, "blocks": blocks}, indent=2, default=str)
        )
        return EXIT_FIRING
    return EXIT_TARGETS_FAILED if failed else 0


def _configured_check(check_type: str, file_settings: FileSettings | None) -> ConfiguredCheck:
    """The config's first check of `check_type`, else that type with its default params."""
    from bot.config import CheckSettings, ConfigError
    from scheduler.registry import configure_checks

    configured_checks = [c for c in (file_settings.checks if file_settings else []) if c.type == check_type]
    try:
        [check] = configure_checks(configured_checks[:1] or [CheckSettings(type=check_type)])
    except ConfigError as exc:
        if not configured_checks:
            exc.problems.append(f"(add a `type: {check_type}` entry with its params to a config and pass --config)")
        raise
    return check


async def _run_once(check: ConfiguredCheck, settings: AwsSettings, now: datetime) -> list[CheckResult | str]:
    """Each target's result, or the line that says why it failed, in target order."""
    import asyncio

    from bot.aws.errors import classify
    from bot.aws.executor import AwsExecutor
    from bot.aws.sessions import AwsSessions, AwsTarget
    from bot.aws.tags import TagCache
    from scheduler.probe import probe_target

    aws, executor, tags = AwsSessions(settings), AwsExecutor.from_settings(settings), TagCache()

    async def one(target: AwsTarget) -> CheckResult | str:
        try:
            return await probe_target(check, target, aws=aws, executor=executor, tags=tags, clock=lambda: now)
        except Exception as exc:
            return f"{target.account} / {target.region}: {classify(exc).message}"

    try:
        return await asyncio.gather(*(one(target) for target in aws.targets()))
    finally:
        executor.shutdown()


def _preview(firing: list[Finding], now: datetime) -> IncidentSnapshot:
    """The incident the firing findings would open."""
    from bot.enums import IncidentStatus
    from bot.views.incident import IncidentSnapshot

    lead = min(firing, key=lambda f: f.severity.rank)
    return IncidentSnapshot(
        id=0, title=lead.title, severity=lead.severity, status=IncidentStatus.OPEN, channel="", route="preview",
        opened_at=now, acknowledged_by=None, acknowledged_at=None, resolved_by=None, resolved_at=None,
        snoozed_until=None, alerts=[_preview_line(f, now) for f in firing],
    )  # fmt: skip


def _preview_line(finding: Finding, now: datetime) -> AlertLine:
    from bot.views.incident import AlertLine

    return AlertLine(
        title=finding.title, severity=finding.severity, firing=True, summary=finding.summary,
        resource=finding.resource, account=finding.account, region=finding.region,
        first_seen=finding.started_at or now, labels=dict(finding.labels), links=dict(finding.links),
        evidence=dict(finding.evidence),
    )  # fmt: skip


def _db_upgrade(args: argparse.Namespace) -> int:
    from bot.config import default_database_url
    from bot.store import SchemaError, make_engine, upgrade

    url = args.database_url or os.environ.get("BOLTWATCH_DATABASE_URL") or default_database_url()
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    except SchemaError as exc:
        return _database_error(exc)
    finally:
        engine.dispose()
    print(f"database schema: {before or 'empty'} -> {after}")
    return 0


def _database_error(exc: Exception) -> int:
    print(f"database error: {exc}", file=sys.stderr)
    return EXIT_CONFIG


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from sandbox.runner import run_sandbox
    except ModuleNotFoundError as exc:
        if exc.name != "sandbox":
            raise
        print("boltwatch sandbox needs the sandbox extra: pip install 'boltwatch[sandbox]'", file=sys.stderr)
        return EXIT_CONFIG

    from bot.runtime import event_loop
    from bot.runtime.log_redaction import configure_logging

    configure_logging(args.log_level)
    try:
        return int(event_loop.run(run_sandbox(commands=args.command, config_path=args.config)))
    except KeyboardInterrupt:
        print("\nsandbox stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
