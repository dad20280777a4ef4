"""The composition root: Bolt, the HTTP routes, storage, the scheduler and Socket Mode, started and stopped together."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import Counter, Histogram
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

import handlers
from bot.assembly import build_services, package_version
from bot.config import ConfigError, Settings
from bot.core import leases, undos, wait_jobs
from bot.core.oncall import answer
from bot.core.oncall_store import active_overrides
from bot.delivery import outbox
from bot.delivery.drainer import Notifier
from bot.delivery.home import HomePublisher
from bot.delivery.slack_client import counting_session
from bot.runtime.event_loop import LISTEN_BACKLOG, running_loop_name
from bot.runtime.heap import freeze_heap
from bot.runtime.metrics import Metrics
from bot.services import Services, utcnow
from bot.store import Database, ensure_current, upgrade_apart
from handlers.ack_runner import AnsweringBolt
from handlers.replays import SharedReplayGuard
from handlers.signature import replay_key, signature_problem
from scheduler.digest import DigestScheduler
from scheduler.escalation import EscalationRunner
from scheduler.leader import SchedulerLeader
from scheduler.live_tails import LiveTails
from scheduler.maintenance import MaintenanceRunner
from scheduler.oncall_calendars import CalendarImports
from scheduler.push.sns_receiver import SnsReceiver
from scheduler.retention import RetentionRunner
from scheduler.runner import CheckRunner
from scheduler.undos import UndoRunner
from scheduler.waits import WaitRunner

if TYPE_CHECKING:
    # Procrastinate is the `postgres` extra's: imported when scheduler.engine is procrastinate, not before.
    from scheduler.engines.distributed import DistributedChecks

log = logging.getLogger(__name__)


def _not_the_unused_token_warning(record: logging.LogRecord) -> bool:
    """Bolt falls back to SLACK_BOT_TOKEN when given a client and then warns, at every start, that this token (the
    one the client was built with) goes unused: a warning with nothing to act on."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_not_the_unused_token_warning)  # AnsweringBolt logs there too
Role = Literal["web", "all"]
WORKER_CONCURRENCY = 10
"""Jobs a worker runs at once: mostly waiting on AWS, so more than the cores (`boltwatch worker --concurrency`)."""
SHUTDOWN_SECONDS = 10.0
# How `stop()` spends them. Slack's listeners ack within 3 s, so a request in flight when the inputs close has
# answered by then; running work (check runs, the outbox pass, listeners after their ack) gets until FINISH_SECONDS,
# and releasing leases and closing connections must fit in what is left.
INPUTS_CLOSE_SECONDS = 3.0
FINISH_SECONDS = 6.0
RELEASE_SECONDS = 1.5


@dataclass(frozen=True)
class HttpSeries:
    requests: Counter
    latency: Histogram

    def observe(self, seconds: float) -> None:
        self.requests.inc()
        self.latency.observe(seconds)


class BoltwatchApp:
    """One running bot: create with `create_app(settings)`, then `await start()` and `await stop()`."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        bolt: AnsweringBolt,
        notifier: Notifier,
        runner: CheckRunner,
        waits: WaitRunner,
        digests: DigestScheduler,
        sns: SnsReceiver,
        undos: UndoRunner,
        *,
        replica: str,
        background: bool = True,
        freeze: bool = True,
    ) -> None:
        self.replica = replica
        """Who this process is when it holds leases and outbox claims."""
        self.background = background
        self.freeze = freeze
        self.settings = settings
        self.services = services
        self.bolt = bolt
        self.notifier = notifier
        self.runner = runner
        self.waits = waits
        self.digests = digests
        self.sns = sns
        self.undos = undos
        self.retention = RetentionRunner(services, holder=replica)
        self.escalations = EscalationRunner(services)
        self.live_tails = LiveTails(services, runner, holder=replica)
        self.maintenance = MaintenanceRunner(services)
        self.calendars = CalendarImports(services)
        self.escalations.calendar_behind = self.calendars.refresh_soon
        """The imported on-call calendars (`schedules[].ics`), read at start and every `refresh`."""
        self.runs_checks = True
        """The in-process scheduler runs the checks (scheduler.engine apscheduler) while this replica holds the
        scheduler lock (`leader`)."""
        self.leader: SchedulerLeader | None = None
        """Whether this replica, of those sharing the database, is the one that runs the checks."""
        self.runs_jobs = True
        """This process polls `/wait` jobs and posts scheduled digests; `--role web` leaves them to the workers."""
        self.distributed: DistributedChecks | None = None
        """scheduler.engine procrastinate: the job queue, where this process defers the check runs pushed events ask
        for (and which it works with `--role all`)."""
        self.works_queue = False
        """`--role all` with scheduler.engine procrastinate: this process is a worker too."""
        self._worker: asyncio.Task[None] | None = None
        self.home: HomePublisher | None = None
        self.end_live_tails: Callable[[], None] = lambda: None
        """Ends the `/logs … live` tails at shutdown: listeners that would otherwise run on for minutes."""
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._background: list[asyncio.Task[None]] = []
        self.socket_mode: AsyncSocketModeHandler | None = None
        self._socket_connecting: asyncio.Task[None] | None = None
        self._series: dict[tuple[str, int], HttpSeries] = {}
        self._replays = SharedReplayGuard(services.db)
        self.web = self._web_app()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def _web_app(self) -> web.Application:
        webapp = web.Application(middlewares=[self._measure])
        webapp.router.add_post("/slack/events", self._slack_events)
        webapp.router.add_post("/aws/sns", self._aws_sns)
        webapp.router.add_get("/healthz", self._healthz)
        webapp.router.add_get("/metrics", self._metrics)
        return webapp

    @web.middleware
    async def _measure(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        path = request.match_info.route.resource.canonical if request.match_info.route.resource else "other"
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self._http_series(path, status).observe(time.perf_counter() - started)

    def _http_series(self, path: str, status: int) -> HttpSeries:
        """The request counter and latency histogram of (path, status), looked up once (this is on every ack)."""
        series = self._series.get((path, status))
        if series is None:
            metrics = self.services.metrics
            series = HttpSeries(metrics.http_requests.labels(path, str(status)), metrics.http_latency.labels(path))
            self._series[(path, status)] = series
        return series

    async def _slack_events(self, request: web.Request) -> web.Response:
        body = await request.read()
        secret = self.settings.secrets.signing_secret.get_secret_value()
        if problem := signature_problem(request.headers, body, secret=secret, now=time.time()):
            log.info("refused a request to /slack/events: %s", problem)
            return web.Response(status=401)
        if not await self._replays.first_time(replay_key(request.headers, body), time.time()):
            log.info("answered a request to /slack/events seen before (a retry or a replay) without running it")
            return web.Response(status=200)
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as exc:  # Bolt's parsing of a body it does not expect fails in many ways; all mean 400
            log.info("refused a signed request to /slack/events that is not Slack's format: %s", type(exc).__name__)
            return web.Response(status=400)
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    async def _aws_sns(self, request: web.Request) -> web.Response:
        return web.Response(status=await self.sns.receive(await request.read()))

    async def _healthz(self, _request: web.Request) -> web.Response:
        db = self.services.db
        database_ok = await db.healthy() and not db.failing_for()
        if database_ok:
            database = "ok"
        elif db.failing_for():
            database = f"transactions failing for {db.failing_for():.0f}s: {db.failure}"
        else:
            database = "unreachable"
        delivery = await self.notifier.problem() if database_ok else None
        body = {
            "version": package_version(),
            "database": database,
            "scheduler": "running" if self.scheduler.running else "stopped",
            "mode": "socket" if self.settings.secrets.socket_mode else "http",
            "event_loop": running_loop_name(),
            "delivery": delivery or "ok",
        }
        healthy = database_ok and self.scheduler.running and delivery is None
        return web.json_response(body, status=200 if healthy else 503, dumps=json.dumps)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.services.metrics.exposition(), headers={"Content-Type": Metrics.content_type})

    async def prepare_database(self) -> None:
        """Upgrade an embedded SQLite database; refuse any other database that is not current."""
        db = self.services.db
        step = upgrade_apart if db.dialect == "sqlite" else ensure_current
        await asyncio.get_running_loop().run_in_executor(None, step, db.engine)

    def _take_over_from_predecessor(self, session: Session) -> None:
        """A replica is named by its host and port, so a process restarted in the place of one that died (kill -9,
        OOM) has its name: what that one held — Live Tail and retention leases, outbox claims — is this one's at once,
        not when it expires."""
        leases_back = leases.release_all(session, holder=self.replica)
        claims_back = outbox.release_claims(session, holder=self.replica)
        claims_back += wait_jobs.release_claims(session, holder=self.replica)
        claims_back += undos.release_claims(session, holder=self.replica)
        if leases_back or claims_back:
            log.info("took over from an earlier %s: %d leases, %d claims", self.replica, leases_back, claims_back)

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Serve HTTP (and Socket Mode when configured); returns the bound port."""
        await self.prepare_database()
        if self.background:
            await self.services.db.run(self._take_over_from_predecessor)
        self.bolt.client.session = counting_session(self.services.metrics)
        # Calendar files are read before the first answer; URLs load in the background (a slow host holds up nothing).
        await self.calendars.refresh_all(self.calendars.files())
        if self.background:
            self.runner.schedule(self.scheduler)
            if self.runs_checks:
                scheduler = self.scheduler
                self.leader = SchedulerLeader(
                    self.services, holder=self.replica, gained=lambda: self.runner.schedule_checks(scheduler),
                    lost=lambda: self.runner.unschedule_checks(scheduler),
                )  # fmt: skip
            if self.runs_jobs:
                self.digests.schedule(self.scheduler)  # digests: one cron job per configured digest
            self.retention.schedule(self.scheduler)
            self.maintenance.schedule(self.scheduler)
        self.scheduler.start()
        if self.leader is not None:
            self.leader.start()
        if self.background:
            self._background.append(asyncio.create_task(self.notifier.run(), name="outbox-drainer"))
            if self.runs_jobs:
                self._background.append(asyncio.create_task(self.waits.run(), name="wait-jobs"))
            self._background.append(asyncio.create_task(self.undos.run(), name="scheduled-undos"))
            if self.calendars.wanted:
                self._background.append(asyncio.create_task(self.calendars.run(), name="oncall-calendars"))
            self._background.append(asyncio.create_task(self.escalations.run(), name="escalations"))
            if self.runs_checks or self.works_queue:  # sessions feed the checks run here: in-process, or as jobs
                self.live_tails.start()
        if self.distributed is not None:
            await self._open_queue(self.distributed)
        self._runner = web.AppRunner(
            self.web, handle_signals=False, access_log=None, shutdown_timeout=INPUTS_CLOSE_SECONDS
        )
        await self._runner.setup()
        bind_host = host or self.settings.server.host
        bind_port = self.settings.server.port if port is None else port
        site = web.TCPSite(self._runner, bind_host, bind_port, backlog=LISTEN_BACKLOG)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self.settings.secrets.app_token is not None:
            self.socket_mode = AsyncSocketModeHandler(
                self.bolt, app_token=self.settings.secrets.app_token.get_secret_value()
            )
            # The client retries until Slack answers, for as long as Slack is unreachable: it connects in the
            # background so that an outage neither holds up the rest of the bot nor keeps a signal from stopping it.
            self._socket_connecting = asyncio.create_task(self.socket_mode.connect_async(), name="socket-mode")
        if self.freeze:
            freeze_heap("listening")
        log.info("boltwatch listening on http://%s:%s", bind_host, self.port)
        return self.port

    async def _open_queue(self, distributed: DistributedChecks) -> None:
        """Open the job queue: to defer the check runs that pushed events ask for, and with `--role all` (in the
        background) to work its jobs too."""
        from scheduler.engines.distributed import ensure_queue_schema

        await asyncio.to_thread(ensure_queue_schema, self.services.db.engine)
        await distributed.app.open_async()
        if self.background and self.works_queue:
            worker = distributed.run_worker(concurrency=WORKER_CONCURRENCY, name=self.replica)
            self._worker = asyncio.create_task(worker, name="procrastinate-worker")

    async def _stop_worker(self) -> None:
        """Running jobs get the worker's grace; what is left goes back to the queue."""
        if self.distributed is None:
            return
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        await self.distributed.app.close_async()

    async def stop(self) -> None:
        """Stop taking work, let running work finish, release what this replica holds: within SHUTDOWN_SECONDS.

        Inputs close first (the scheduler, Socket Mode, the HTTP listener) while check runs and the outbox pass in
        flight go on; at FINISH_SECONDS what still runs is cancelled, a boto3 call that hangs abandoned to its
        daemon thread. Then the scheduler lock goes, so that another replica runs the checks within seconds, and
        this replica's leases and claims go too.
        """
        loop = asyncio.get_running_loop()
        finish_by = loop.time() + FINISH_SECONDS
        if self.scheduler.running:
            # Pausing fires no more jobs and leaves running ones be; shutting down would cancel them at once.
            self.scheduler.pause()
        await self.live_tails.stop()
        self.end_live_tails()
        running = asyncio.gather(
            self.runner.finish_running(FINISH_SECONDS), self.notifier.stop(FINISH_SECONDS), self._stop_worker()
        )
        await asyncio.gather(self._close_socket_mode(), self._close_http())
        await self.bolt.ack_runner.finish(max(0.0, finish_by - loop.time()))
        await running
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)  # cancels what is still running: a digest stuck on Slack
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, self.calendars.stop(), return_exceptions=True)
        await asyncio.gather(self._release_leases(), *([self.leader.stop()] if self.leader is not None else []))
        if self.bolt.client.session is not None:
            await self.bolt.client.session.close()
        await self.sns.close()
        self.services.executor.shutdown()
        if abandoned := self.services.executor.in_flight:
            log.warning("abandoning %d AWS calls still running (their threads end with the process)", abandoned)
        await loop.run_in_executor(None, self.services.db.close)

    async def _close_socket_mode(self) -> None:
        if self.socket_mode is None:
            return
        if self._socket_connecting is not None:
            self._socket_connecting.cancel()
            await asyncio.gather(self._socket_connecting, return_exceptions=True)
        try:
            # Closing waits for Slack to answer the WebSocket close (aiohttp allows 10 s): not when Slack is gone.
            await asyncio.wait_for(self.socket_mode.close_async(), INPUTS_CLOSE_SECONDS)
        except TimeoutError:
            log.warning("Slack did not answer the Socket Mode close within %.0f s; closed anyway", INPUTS_CLOSE_SECONDS)

    async def _close_http(self) -> None:
        """Stop listening, and give requests in flight up to INPUTS_CLOSE_SECONDS to be answered."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _release_leases(self) -> None:
        """Give up this replica's leases (Live Tail, retention) and its claims on `/wait` jobs and undos."""

        def release(session: Session) -> tuple[int, int]:
            holder = self.replica
            claims = wait_jobs.release_claims(session, holder=holder) + undos.release_claims(session, holder=holder)
            return leases.release_all(session, holder=holder), claims

        try:
            released, waits = await asyncio.wait_for(self.services.db.run(release), RELEASE_SECONDS)
        except Exception as exc:  # they expire by themselves; stopping must not wait on a stuck database
            log.warning("could not release this replica's leases and claims (%s); they expire by themselves", exc)
            return
        log.info("released %d leases and %d wait and undo claims", released, waits)


def replica_name(port: int) -> str:
    """Who this process is to the other replicas: its host and HTTP port, which two live processes never share and
    a restarted one keeps (`boltwatch run` on a fixed port). With no fixed port, a name of its own."""
    if port:
        return f"{socket.gethostname()}:{port}"
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    aws_endpoint_url: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    holder: str | None = None,
    background: bool = True,
    freeze: bool = True,
    role: Role = "all",
) -> BoltwatchApp:
    """Build the whole bot from settings; nothing starts until `start()`.

    `background=False` keeps checks and the outbox drainer from running by themselves (tests drive them);
    `freeze=False` leaves the garbage collector alone (for processes that build and drop many apps, like tests).
    `role`: `all` runs the checks too (in-process, or as a Procrastinate worker with `scheduler.engine:
    procrastinate`); `web` runs none (workers do).
    """
    engine = settings.file.scheduler.engine
    if role == "web" and engine != "procrastinate":
        raise ConfigError(
            ["--role web runs no checks, and with scheduler.engine apscheduler nothing else would: use --role all,"
             " or scheduler.engine procrastinate with `boltwatch worker` processes"]
        )  # fmt: skip
    services, checks = build_services(settings, db=db, aws_endpoint_url=aws_endpoint_url, clock=clock)
    client = AsyncWebClient(token=settings.secrets.bot_token.get_secret_value(), base_url=settings.secrets.api_url)
    bolt = AnsweringBolt(
        # Named, or Bolt names the app after its caller's file from inspect.stack(), which resolves the path of every
        # module loaded since the last time: hundreds of ms on the event loop of a test that builds the app.
        name="boltwatch",
        signing_secret=settings.secrets.signing_secret.get_secret_value(),
        client=client,
        on_request=services.acks_first.request_arrived,
        after_ack=services.acks_first.after_ack,
    )
    replica = holder or replica_name(0)
    notifier = Notifier(
        db=services.db, client=client, clock=clock, holder=replica, default_channel=settings.slack.channel
    )
    services.wake_notifier = notifier.wake
    waits = WaitRunner(services, holder=replica)
    schedules = services.schedules
    home = HomePublisher(
        services.db, notifier.wake, clock, services.check_schedule,
        on_call=lambda s, now: [
            answer(schedule, active_overrides(s, schedule=name, at=now), now) for name, schedule in schedules.items()
        ],
    )  # fmt: skip
    notifier.after_incident_sent = home.incidents_changed
    notifier.home_view = home.view_for
    notifier.action_choices = services.action_choices
    if settings.file.charts.enabled:
        notifier.chart_image = services.chart_image
        notifier.figure_image = services.figure_image
        if freeze:
            # The first chart imports matplotlib (~55k long-lived objects): out of every later full collection's way.
            services.after_first_chart = lambda: freeze_heap("the first chart is drawn")
    runner = CheckRunner(services, checks, freeze=freeze)
    digests = DigestScheduler(services)
    end_live_tails = handlers.register(
        bolt, services, wake_waits=waits.wake, home_publisher=home, recheck=runner.recheck,
        post_digest_now=digests.post_now, replica=replica,
    )  # fmt: skip
    distributed: DistributedChecks | None = None
    if engine == "procrastinate":
        from scheduler.engines.distributed import DistributedChecks

        distributed = DistributedChecks(services, checks, tags=runner.tags)
    # An EC2/ECS event runs the check of its target now: in this process, or as a job a worker takes.
    recheck = distributed.defer_recheck if distributed is not None else runner.recheck
    sns = SnsReceiver(services, checks, runner.tags, recheck=recheck)
    app = BoltwatchApp(
        settings, services, bolt, notifier, runner, waits, digests, sns, UndoRunner(services, holder=replica),
        replica=replica, background=background, freeze=freeze,
    )  # fmt: skip
    if distributed is not None:
        app.runs_checks = False
        app.runs_jobs = app.works_queue = role == "all"
        app.distributed = distributed
        distributed.live_groups = app.live_tails.live_groups  # `--role all`: its jobs skip the groups that stream
    app.home = home
    app.end_live_tails = end_live_tails
    return app
