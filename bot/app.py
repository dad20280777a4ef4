"""The composition root: Bolt, the HTTP routes, storage, the scheduler and Socket Mode, started and stopped together."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import Counter, Histogram
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.aws.executor import AwsExecutor
from bot.aws.sessions import AwsSessions
from bot.config import Settings
from bot.core.routing import build_routes
from bot.delivery.digests import DigestMessages
from bot.delivery.drainer import Notifier
from bot.delivery.home import HomePublisher
from bot.delivery.slack_client import counting_session
from bot.delivery.waits import WaitMessages
from bot.runtime.acks_first import yields_to_acks
from bot.runtime.event_loop import LISTEN_BACKLOG, running_loop_name
from bot.runtime.heap import freeze_heap
from bot.runtime.metrics import Metrics
from bot.services import Services, utcnow
from bot.store import Database, ensure_current, upgrade
from handlers.ack_runner import AnsweringBolt
from scheduler.digest import DigestScheduler
from scheduler.registry import configure_checks
from scheduler.runner import CheckRunner
from scheduler.waits import WaitRunner

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 10.0


def package_version() -> str:
    try:
        return version("boltwatch")
    except PackageNotFoundError:
        return "0+unknown"


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
        *,
        background: bool = True,
        freeze: bool = True,
    ) -> None:
        self.background = background
        self.freeze = freeze
        self.settings = settings
        self.services = services
        self.bolt = bolt
        self.notifier = notifier
        self.runner = runner
        self.waits = waits
        self.digests = digests
        self.home: HomePublisher | None = None
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._background: list[asyncio.Task[None]] = []
        self.socket_mode: AsyncSocketModeHandler | None = None
        self._series: dict[tuple[str, int], HttpSeries] = {}
        self.web = self._web_app()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def _web_app(self) -> web.Application:
        webapp = web.Application(middlewares=[self._measure])
        webapp.router.add_post("/slack/events", self._slack_events)
        webapp.router.add_get("/healthz", self._healthz)
        webapp.router.add_get("/metrics", self._metrics)
        return webapp

    @web.middleware
    async def _measure(self, request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
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
        bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def _healthz(self, _request: web.Request) -> web.Response:
        database_ok = await self.services.db.healthy()
        delivery = await self.notifier.problem() if database_ok else None
        body = {
            "version": package_version(),
            "database": "ok" if database_ok else "unreachable",
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
        step = upgrade if db.dialect == "sqlite" else ensure_current
        await asyncio.get_running_loop().run_in_executor(None, step, db.engine)

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Serve HTTP (and Socket Mode when configured); returns the bound port."""
        await self.prepare_database()
        self.bolt.client.session = counting_session(self.services.metrics)
        if self.background:
            self.runner.schedule(self.scheduler)
            self.digests.schedule(self.scheduler)  # digests: one cron job per configured digest
        self.scheduler.start()
        if self.background:
            self._background.append(asyncio.create_task(self.notifier.run(), name="outbox-drainer"))
            self._background.append(asyncio.create_task(self.waits.run(), name="wait-jobs"))
        self._runner = web.AppRunner(
            self.web, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS / 2
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
            await self.socket_mode.connect_async()
        if self.freeze:
            freeze_heap("listening")
        log.info("boltwatch listening on http://%s:%s", bind_host, self.port)
        return self.port

    async def stop(self) -> None:
        """Stop taking work, let running work finish (bounded), then release everything."""
        if self.socket_mode is not None:
            await self.socket_mode.close_async()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.runner.finish_running(SHUTDOWN_SECONDS / 2)
        await self.bolt.ack_runner.finish(SHUTDOWN_SECONDS / 4)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.bolt.client.session is not None:
            await self.bolt.client.session.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: self.services.executor.shutdown(wait=True))
        await loop.run_in_executor(None, self.services.db.close)


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    aws_endpoint_url: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    holder: str | None = None,
    background: bool = True,
    freeze: bool = True,
) -> BoltwatchApp:
    """Build the whole bot from settings; nothing starts until `start()`.

    `background=False` keeps checks and the outbox drainer from running by themselves (tests drive them);
    `freeze=False` leaves the garbage collector alone (for processes that build and drop many apps, like tests).
    """
    checks = configure_checks(settings.checks)
    metrics = Metrics()
    executor = AwsExecutor.from_settings(settings.aws)
    metrics.aws_calls_in_flight.set_function(lambda: executor.in_flight)
    services = Services(
        settings=settings,
        db=db or Database.from_url(settings.database_url),
        metrics=metrics,
        # Every boto3 client waits its turn inside check runs' threads (acks first); elsewhere the hook is a no-op.
        aws=AwsSessions(settings.aws, endpoint_url=aws_endpoint_url, on_new_client=yields_to_acks),
        executor=executor,
        routes=build_routes(settings.file.routes, settings.slack.channel),
        check_schedule=[(c.name, c.type.name, c.every) for c in checks],
        clock=clock,
    )
    client = AsyncWebClient(token=settings.secrets.bot_token.get_secret_value(), base_url=settings.secrets.api_url)
    bolt = AnsweringBolt(
        signing_secret=settings.secrets.signing_secret.get_secret_value(),
        client=client,
        on_request=services.acks_first.request_arrived,
    )
    replica = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    notifier = Notifier(
        db=services.db, client=client, clock=clock, holder=replica, default_channel=settings.slack.channel
    )
    services.wake_notifier = notifier.wake
    waits = WaitRunner(services, WaitMessages(client), holder=replica)
    home = HomePublisher(services.db, client, clock, services.check_schedule)
    notifier.after_incident_sent = home.incidents_changed
    runner = CheckRunner(services, checks, holder=replica, freeze=freeze)
    digests = DigestScheduler(services, DigestMessages(client), holder=replica)
    handlers.register(
        bolt, services, wake_waits=waits.wake, home_publisher=home, recheck=runner.recheck,
        post_digest_now=digests.post_now,
    )  # fmt: skip
    app = BoltwatchApp(settings, services, bolt, notifier, runner, waits, digests, background=background, freeze=freeze)
    app.home = home
    return app
