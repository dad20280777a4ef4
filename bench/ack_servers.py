"""The processes the ack-latency benchmark measures: moto + the local Slack, a bare Bolt app, and Boltwatch (and, for
`--mode distributed`, Boltwatch's web role and a `boltwatch worker`).

Each is started by `bench/ack_latency.py` as `python -m bench.ack_servers ROLE SPEC`, prints one JSON line when it is
ready, answers the driver's probes (event-loop lag, GC pauses, CPU, a profile) on a control port, and stops when its
standard input closes.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import resource
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from bot.runtime import event_loop
from bot.runtime.event_loop import LISTEN_BACKLOG

SECRET = "bench-ack-latency-signing-secret"
COMMAND = "/boltwatch"
LAG_PROBE_SECONDS = 0.005


class LagProbe:
    """Samples how late a short sleep wakes up: a blocked or starved event loop shows up as lag."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=200_000)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            after = time.monotonic()
            self.samples.append((after, after - before - LAG_PROBE_SECONDS))

    def worst(self, start: float, end: float) -> float:
        return max((lag for at, lag in self.samples if start <= at <= end + 0.05), default=0.0)


class CallbackProbe:
    """The longest single callback the loop ran: what holds the loop, as asyncio debug's slow-callback log means it.

    Times every `Handle._run` of the standard library's loop (TimerHandle's too). uvloop's handles are its own, so
    under uvloop nothing is measured; the lag probe's figure also counts callbacks merely queued behind others."""

    def __init__(self) -> None:
        self.slow: deque[tuple[float, float, str]] = deque(maxlen=100_000)

    def install(self) -> None:
        original = asyncio.events.Handle._run
        slow = self.slow

        def timed(handle: asyncio.Handle) -> None:
            started = time.perf_counter()
            try:
                original(handle)
            finally:
                took = time.perf_counter() - started
                if took > 0.005:
                    slow.append((time.monotonic(), took, repr(handle)[:300] if took > 0.05 else ""))

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def worst(self, start: float, end: float) -> tuple[float, str]:
        found = [(took, where) for at, took, where in self.slow if start <= at <= end + 0.05]
        return max(found, default=(0.0, ""))


CALLBACKS = CallbackProbe()


class GcProbe:
    """Records every garbage collection: when it ended, how long it stopped the process, which generation."""

    def __init__(self) -> None:
        self.collections: deque[tuple[float, float, int]] = deque(maxlen=100_000)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((time.monotonic(), time.perf_counter() - self._started, info["generation"]))

    def during(self, start: float, end: float) -> tuple[float, float]:
        """Total and longest pause (seconds) of the collections that ended in [start, end]."""
        pauses = [pause for at, pause, _gen in self.collections if start <= at <= end]
        return sum(pauses), max(pauses, default=0.0)


def bot_settings(spec: dict[str, Any], *, engine: str) -> Any:
    """The bot's settings for a child: the checks of the spec, the local Slack and the database it names."""
    from bot.config import settings_from_mapping  # the children import the bot; the load generator does not

    config = {
        "slack": {"channel": "#alerts"},
        "aws": {"regions": ["us-east-1"], "max_attempts": 1},
        "checks": spec["checks"],
        "scheduler": {"engine": engine},
    }
    env = {
        "SLACK_BOT_TOKEN": spec["bot_token"],
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": spec["slack_api"],
        "BOLTWATCH_DATABASE_URL": spec["database_url"],
    }
    return settings_from_mapping(config, env)


async def serve_control(routes: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]) -> int:
    async def handle(request: web.Request) -> web.Response:
        params = await request.json() if request.can_read_body else {}
        return web.json_response(await routes[request.path](params))

    webapp = web.Application()
    for path in routes:
        webapp.router.add_post(path, handle)
    runner = web.AppRunner(webapp, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()


def objects() -> int:
    """Objects the cyclic garbage collector tracks: what a full collection has to walk."""
    return len(gc.get_objects())


def listening(port: int, control_port: int) -> dict[str, Any]:
    """What an app child tells the load generator once it serves."""
    return {
        "url": f"http://127.0.0.1:{port}/slack/events",
        "control_port": control_port,
        "objects": objects(),
        "event_loop": event_loop.running_loop_name(),
    }


def ready(info: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


def common_routes(probe: LagProbe, collector: GcProbe) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
    async def lag(params: dict[str, Any]) -> dict[str, float]:
        total, longest = collector.during(params["start"], params["end"])
        callback, where = CALLBACKS.worst(params["start"], params["end"])
        return {
            "max_ms": probe.worst(params["start"], params["end"]) * 1000,
            "callback_max_ms": callback * 1000,
            "callback_where": where,
            "gc_ms": total * 1000,
            "gc_max_ms": longest * 1000,
        }

    async def cpu(_params: dict[str, Any]) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"cpu": usage.ru_utime + usage.ru_stime, "loop_cpu": time.thread_time()}

    profiler = cProfile.Profile()

    async def profile(params: dict[str, Any]) -> dict[str, str]:
        """Profile the event-loop thread (where acks are made) between `on` and `off`; answer the top functions."""
        if params["on"]:
            profiler.enable()
            return {"top": ""}
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(params.get("lines", 25))
        return {"top": out.getvalue()}

    return {"/lag": lag, "/cpu": cpu, "/profile": profile}


async def serve_infra(spec: dict[str, Any]) -> None:
    from bench.bulk_logs import seed_bulk_log_group
    from sandbox.aws import seed_estate, start_moto
    from sandbox.aws.server import sandbox_client
    from sandbox.slack import LocalSlack
    from sandbox.slack.recording import LocalEvent

    moto = start_moto()
    slack = await LocalSlack(signing_secret=SECRET).start()
    estate = await asyncio.to_thread(seed_estate, moto.endpoint)
    fleet = spec.get("bench_functions", 0)
    if fleet:  # `ack_latency --mode distributed`: a 1,000-function estate for the check cycles
        from bench.lambda_fleet import create_functions

        await asyncio.to_thread(
            create_functions, lambda service: sandbox_client(moto.endpoint, service), fleet, broken=3, threads=8
        )
    bulk = spec.get("bulk_events", 0)
    if bulk:
        await asyncio.to_thread(seed_bulk_log_group, sandbox_client(moto.endpoint, "logs"), bulk)
    posted: list[tuple[float, str]] = []

    def record(event: LocalEvent) -> None:
        if event.kind in {"message", "reply"}:
            posted.append((time.monotonic(), getattr(event.message, "text", "") or ""))

    slack.on_event(record)

    async def answered(params: dict[str, Any]) -> dict[str, float | None]:
        """When (monotonic) the first message containing `containing` was posted after `since`."""
        at = next((at for at, text in posted if at >= params["since"] and params["containing"] in text), None)
        return {"at": at}

    async def response_urls(params: dict[str, Any]) -> dict[str, list[str]]:
        return {"urls": [slack.issue_response_url() for _ in range(params["n"])]}

    control_port = await serve_control({"/answered": answered, "/response_urls": response_urls})
    ready(
        {
            "moto": moto.endpoint,
            "slack_api": slack.api_url,
            "bot_token": slack.bot_token,
            "functions": len(estate.functions) + fleet,
            "bulk_events": bulk,
            "control_port": control_port,
        }
    )
    try:
        await until_stdin_closes()
    finally:
        await slack.stop()
        moto.stop()


async def serve_bare(spec: dict[str, Any]) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    # Wired to the local Slack like the bot, so that Bolt's one auth.test (cached) has somewhere to go.
    client = AsyncWebClient(token=spec["bot_token"], base_url=spec["slack_api"])
    bolt = AsyncApp(signing_secret=SECRET, client=client)

    async def answer(ack: Any) -> None:
        await ack(response_type="ephemeral", text="Boltwatch: /boltwatch help|status|incidents|checks|mute")

    for command in spec.get("commands", [COMMAND]):
        bolt.command(command)(answer)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    webapp = web.Application()
    webapp.router.add_post("/slack/events", events)
    runner = web.AppRunner(webapp, handle_signals=False, access_log=None)
    await runner.setup()
    # The bot's accept queue, so that neither app loses SYNs to a full queue in a 200-connection burst (Bolt's
    # own `app.start()` keeps aiohttp's 128); what is compared is the request path.
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=LISTEN_BACKLOG)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    probe = LagProbe()
    probe.start()
    collector = GcProbe()
    control_port = await serve_control(common_routes(probe, collector))
    ready(listening(port, control_port))
    try:
        await until_stdin_closes()
    finally:
        await runner.cleanup()


class RunTimes:
    """When check runs began and ended (monotonic), those still running included: a 1,000-function run outlasts the
    burst it is compared with."""

    def __init__(self) -> None:
        self._runs: list[list[float | None]] = []

    @contextmanager
    def one(self) -> Iterator[None]:
        run: list[float | None] = [time.monotonic(), None]
        self._runs.append(run)
        try:
            yield
        finally:
            run[1] = time.monotonic()

    def so_far(self) -> list[list[float]]:
        now = time.monotonic()
        return [[start or 0.0, now if end is None else end] for start, end in self._runs]


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def use_stock_runner(keep_acks_first: bool) -> None:
    """What-if for `--baseline stock-bot`: the same bot on Bolt's own listener runner (no AnsweringBolt, so no
    acks-first signal either) and the help answer sent through a plain `ack(...)`."""
    from slack_bolt.async_app import AsyncApp

    import bot.app
    import handlers.boltwatch_command as command
    from bot.blocks.help import help_blocks, help_text

    class StockRunner:
        async def finish(self, seconds: float) -> None:
            return None

    class StockBolt(AsyncApp):
        def __init__(self, *, on_request: Any = None, after_ack: Any = None, **kwargs: Any) -> None:
            # Bolt's stock runner has no hook after an ack: listeners go on at once (`after_ack` unused).
            super().__init__(**kwargs)
            self.ack_runner = StockRunner()
            if keep_acks_first and on_request is not None:

                async def arrived(next_: Any) -> Any:
                    on_request()
                    return await next_()

                self.middleware(arrived)

    async def plain_help(ack: Any) -> None:
        await ack(text=help_text(command.AVAILABLE), response_type="ephemeral", blocks=help_blocks(command.AVAILABLE))

    bot.app.AnsweringBolt = StockBolt  # type: ignore[misc, assignment]
    command.HELP = plain_help  # type: ignore[assignment]


async def serve_boltwatch(spec: dict[str, Any]) -> None:
    from bot.app import create_app

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    loop = asyncio.get_running_loop()
    if spec["loop_debug"]:
        loop.set_debug(True)
        loop.slow_callback_duration = 0.02
        logging.getLogger("asyncio").setLevel(logging.WARNING)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    if spec.get("stock_runner"):
        use_stock_runner(spec["stock_runner"] == "acks-first")
    settings = bot_settings(spec, engine=spec.get("engine", "apscheduler"))
    app = create_app(settings, aws_endpoint_url=spec["moto"], role=spec.get("role", "all"))
    runs = RunTimes()
    run_check = app.runner.run_check

    async def timed_run_check(configured: Any) -> Any:
        with runs.one():
            return await run_check(configured)

    # Recorded so the load generator can tell whether a run was in flight during a burst; the scheduler's
    # jobs are added in start(), so they pick this wrapper up too.
    app.runner.run_check = timed_run_check  # type: ignore[method-assign]
    port = await app.start(host="127.0.0.1", port=0)
    if spec["gc_freeze"] == "listening":
        gc.collect()
        gc.freeze()
    probe = LagProbe()
    probe.start()
    collector = GcProbe()
    cycles: set[asyncio.Task[None]] = set()

    async def cycle(_params: dict[str, Any]) -> dict[str, bool]:
        task = asyncio.create_task(app.runner.run_all_now())
        cycles.add(task)
        task.add_done_callback(cycles.discard)
        await asyncio.sleep(0)  # let it begin before the burst is sent
        return {"started": True}

    async def list_runs(_params: dict[str, Any]) -> dict[str, Any]:
        yielded = sum(
            sample.value
            for metric in app.services.metrics.check_yield_seconds.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
        return {"runs": runs.so_far(), "errors": errors.count, "yielded": yielded}

    async def quiet(params: dict[str, Any]) -> dict[str, int]:
        """Stop scheduled runs and wait for those in flight: from here on, runs happen only on `/cycle`."""
        app.scheduler.pause()
        await app.runner.finish_running(60)
        await asyncio.gather(*cycles, return_exceptions=True)
        tracked = objects()
        if params.get("first") and spec["gc_freeze"] == "after-first-run":
            gc.collect()
            gc.freeze()
        return {"objects": tracked}

    routes = common_routes(probe, collector) | {"/cycle": cycle, "/runs": list_runs, "/quiet": quiet}
    control_port = await serve_control(routes)
    ready(listening(port, control_port))
    try:
        await until_stdin_closes()
    finally:
        await app.stop()


async def serve_worker(spec: dict[str, Any]) -> None:
    """`boltwatch worker` (WorkerProcess, as the CLI builds it) on the web role's database, with control routes:
    `/cycle` defers a tick of each check as the periodic deferrer does and answers once a target's run has begun."""
    import scheduler.engines.distributed as distributed
    from bot.worker import WorkerProcess

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=spec["moto"],
    )  # fmt: skip
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    worker = WorkerProcess(bot_settings(spec, engine="procrastinate"), name="bench-worker", concurrency=10)
    runs = RunTimes()
    in_flight: set[asyncio.Task[Any]] = set()
    begun = asyncio.Event()
    run_check_target = distributed.run_check_target

    async def timed_run(*args: Any, **kwargs: Any) -> Any:
        task = asyncio.current_task()
        if task is not None:
            in_flight.add(task)
        begun.set()
        try:
            with runs.one():
                return await run_check_target(*args, **kwargs)
        finally:
            in_flight.discard(task)  # type: ignore[arg-type]

    # The worker's target jobs call the module's run_check_target: timed here, so the load generator can tell
    # whether a run was in flight during a burst of the web role.
    distributed.run_check_target = timed_run  # type: ignore[assignment]
    await worker.start(host="127.0.0.1", port=0)
    probe = LagProbe()
    probe.start()
    collector = GcProbe()
    last_tick = 0

    async def cycle(_params: dict[str, Any]) -> dict[str, bool]:
        nonlocal last_tick
        last_tick = max(int(time.time()), last_tick + 1)  # a target records each tick once
        begun.clear()
        app = worker.distributed.app
        for check in spec["checks"]:
            task = app.configure_task("boltwatch.check_tick", queue=distributed.QUEUE)
            await task.defer_async(timestamp=last_tick, check=check["type"])
        try:
            await asyncio.wait_for(begun.wait(), 30)
        except TimeoutError:
            return {"started": False}
        return {"started": True}

    async def list_runs(_params: dict[str, Any]) -> dict[str, Any]:
        return {"runs": runs.so_far(), "errors": errors.count, "yielded": 0.0}

    async def quiet(_params: dict[str, Any]) -> dict[str, int]:
        """Wait for the runs in flight."""
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=60)
        return {"objects": objects()}

    routes = common_routes(probe, collector) | {"/cycle": cycle, "/runs": list_runs, "/quiet": quiet}
    control_port = await serve_control(routes)
    ready({"control_port": control_port, "objects": objects(), "event_loop": event_loop.running_loop_name()})
    try:
        await until_stdin_closes()
    finally:
        await worker.stop()


SERVERS = {"infra": serve_infra, "bare": serve_bare, "boltwatch": serve_boltwatch, "worker": serve_worker}


def main(argv: list[str] | None = None) -> int:
    role, spec = (argv or sys.argv[1:])[:2]
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    spec_values = json.loads(spec)
    CALLBACKS.install()
    # The bot runs on the loop `boltwatch run` picks (uvloop when installed); the bare app on the standard
    # library's, as a bare Bolt app does, unless the run asks for uvloop there too (--bare-loop uvloop).
    choice = spec_values.get("event_loop", "asyncio") if role != "infra" else "asyncio"
    event_loop.run(SERVERS[role](spec_values), choice)
    return 0


if __name__ == "__main__":
    sys.exit(main())
