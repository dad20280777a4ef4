"""`boltwatch worker`: a process that runs check jobs from Procrastinate's queue (scheduler.engine procrastinate),
streams the log groups of `log_errors` checks in `mode: live`, polls `/wait` jobs, posts scheduled digests, and
serves `/healthz` and `/metrics`. It answers no Slack request and writes to Slack only through the outbox, which the
web processes drain.

Live Tail sessions are shared among workers (and `--role all` processes) by their owner leases
(scheduler/live_tail_lease.py): each check's log groups in an account and region stream in one of them, a stopping
worker gives its leases up and a dead one's expire, and another takes over. Whichever worker runs a target's check job
skips the groups that stream, here or in another worker.

Waits and digests are shared among workers by the database, not by the queue: a wait job is claimed by one poller
at a time (`SELECT … FOR UPDATE SKIP LOCKED`, claims that expire), and a digest's period by the first process to
record it (`digest_runs`, unique per channel, project and period). Every worker schedules every digest."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.assembly import build_services, package_version
from bot.config import Settings
from bot.core import wait_jobs
from bot.runtime.metrics import Metrics
from bot.services import utcnow
from bot.store import ensure_current
from bot.views.status_queries import queue_line
from scheduler.digest import DigestScheduler
from scheduler.engines.distributed import DistributedChecks, ensure_queue_schema
from scheduler.live_tails import LiveTails
from scheduler.runner import CheckRunner
from scheduler.waits import WaitRunner

log = logging.getLogger(__name__)
DEFAULT_PORT = 3001


class WorkerProcess:
    """Create, `await start()`, `await stop()`: the same shape as `BoltwatchApp`, for `serve_until_signalled`."""

    def __init__(
        self,
        settings: Settings,
        *,
        name: str,
        concurrency: int,
        aws_endpoint_url: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`aws_endpoint_url`: one endpoint for every AWS service (the sandbox's and tests' moto server); `clock`:
        the time the web processes keep (tests)."""
        self.settings = settings
        self.name = name
        self.concurrency = concurrency
        self.services, checks = build_services(
            settings, aws_endpoint_url=aws_endpoint_url, clock=clock, acks_first=False
        )
        # Records what the Live Tail sessions deliver (`run_streamed`); it schedules nothing: the checks are jobs.
        streamed = CheckRunner(self.services, checks, freeze=False)
        self.distributed = DistributedChecks(self.services, checks, tags=streamed.tags)
        self.live_tails = LiveTails(self.services, streamed, holder=name)
        self.distributed.live_groups = self.live_tails.live_groups
        self.waits = WaitRunner(self.services, holder=name)
        self.digests = DigestScheduler(self.services)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        """The digests' cron schedules (the checks' ticks are Procrastinate's periodic tasks)."""
        self._worker: asyncio.Task[None] | None = None
        self._waiting: asyncio.Task[None] | None = None
        self._http: web.AppRunner | None = None
        self.web = web.Application()
        self.web.router.add_get("/healthz", self._healthz)
        self.web.router.add_get("/metrics", self._metrics)

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Take jobs and serve HTTP; returns the bound port."""
        engine = self.services.db.engine
        await asyncio.to_thread(ensure_current, engine)  # `boltwatch db upgrade` first, as for web processes
        if await asyncio.to_thread(ensure_queue_schema, engine):
            log.info("created Procrastinate's tables")
        await self.distributed.app.open_async()
        # A worker started under the name of one that died takes back its wait claims at once.
        await self.services.db.run(lambda s: wait_jobs.release_claims(s, holder=self.name))
        run = self.distributed.run_worker(concurrency=self.concurrency, name=self.name)
        self._worker = asyncio.create_task(run, name="procrastinate-worker")
        self._waiting = asyncio.create_task(self.waits.run(), name="wait-jobs")
        self.live_tails.start()
        self.digests.schedule(self.scheduler)
        self.scheduler.start()
        self._http = web.AppRunner(self.web, handle_signals=False, access_log=None)
        await self._http.setup()
        site = web.TCPSite(self._http, host or self.settings.server.host, DEFAULT_PORT if port is None else port)
        await site.start()
        bound: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info(
            "boltwatch worker %s taking jobs (concurrency %d), serving on port %d", self.name, self.concurrency, bound
        )
        return bound

    async def stop(self) -> None:
        """Take no new job; running ones get the worker's grace, then go back to the queue; wait claims are given
        back, so another worker polls those waits at once; Live Tail leases too, so another worker streams."""
        await self.live_tails.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        tasks = [task for task in (self._worker, self._waiting) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            released = await self.services.db.run(lambda s: wait_jobs.release_claims(s, holder=self.name))
        except Exception as exc:  # they expire anyway
            log.warning("could not give back this worker's wait claims: %s", exc)
        else:
            if released:
                log.info("gave back %d wait claims", released)
        await self.distributed.app.close_async()
        if self._http is not None:
            await self._http.cleanup()
        self.services.executor.shutdown()
        await asyncio.to_thread(self.services.db.close)

    def running(self) -> bool:
        return self._worker is not None and not self._worker.done()

    async def _healthz(self, _request: web.Request) -> web.Response:
        database_ok = await self.services.db.healthy()
        body = {
            "version": package_version(),
            "role": "worker",
            "database": "ok" if database_ok else "unreachable",
            "worker": "running" if self.running() else "stopped",
        }
        healthy = database_ok and self.running()
        return web.json_response(body, status=200 if healthy else 503, dumps=json.dumps)

    async def _metrics(self, _request: web.Request) -> web.Response:
        metrics = self.services.metrics
        try:
            line = await self.services.db.run(queue_line)  # what `/boltwatch status` shows, read the same way
        except Exception as exc:  # the job counters still tell something while the database does not answer
            log.warning("could not read the queue's state: %s", exc)
        else:
            if line is not None:
                metrics.queue_depth.set(line.waiting)
                metrics.queue_oldest_seconds.set(line.oldest_waiting.total_seconds())
                metrics.stalled_jobs.set(line.stalled)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": Metrics.content_type})
