"""`generate(seed, events, functions, hours)`: the labelled corpus, many functions' invocations interleaved."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.lambda_corpus import platform
from bench.lambda_corpus.fleet import BURST, Function, build_fleet
from bench.lambda_corpus.invocation import (
    Failure,
    GoCrash,
    GoRecoveredPanic,
    Invocation,
    LabelledEvent,
    LoggedError,
    OutOfMemory,
    ProcessExit,
)
from bench.lambda_corpus.noise import MISLEADING, ROUTINE
from bench.lambda_corpus.params import Params
from bench.lambda_corpus.writers import JSON_FORMAT, Context, Runtime, iso

START = datetime(2026, 11, 2, 6, tzinfo=UTC)
RUNTIME_VERSIONS = {
    Runtime.PYTHON: "python:3.12.v38",
    Runtime.NODE: "nodejs:20.v41",
    Runtime.JAVA: "java:21.v27",
    Runtime.GO: "provided:al2023.v83",
}
CRASHES = (GoCrash, GoRecoveredPanic, OutOfMemory, ProcessExit)  # the process is gone: the next invocation is cold
PILOT_INVOCATIONS = 600


def generate(seed: int = 1, events: int = 50_000, functions: int = 30, hours: float = 12) -> list[LabelledEvent]:
    """`events` labelled events (oldest first) of `functions` functions over `hours`, the same for the same seed."""
    start_ms = int(START.timestamp() * 1000)
    span_ms = int(hours * 3600 * 1000)
    # A pilot run measures events per invocation, so the invocations drawn fill the whole span.
    pilot = _write(seed, functions, start_ms, span_ms, PILOT_INVOCATIONS)
    invocations = int(events / (len(pilot) / PILOT_INVOCATIONS) * 1.03) + 1
    corpus = _write(seed, functions, start_ms, span_ms, invocations)
    while len(corpus) < events:  # a pilot that undershot: draw again with more, the last few minutes are cut
        invocations = int(invocations * 1.05) + 1
        corpus = _write(seed, functions, start_ms, span_ms, invocations)
    return corpus[:events]


def _write(seed: int, functions: int, start_ms: int, span_ms: int, invocations: int) -> list[LabelledEvent]:
    rng = random.Random(seed)
    params = Params(rng)
    fleet = build_fleet(rng, functions, start_ms, span_ms)
    weights = [f.weight for f in fleet]
    times = sorted(start_ms + rng.randrange(span_ms) for _ in range(invocations))
    events: list[LabelledEvent] = []
    for time_ms, function in zip(times, rng.choices(fleet, weights, k=invocations), strict=True):
        events.extend(_invoke(function, time_ms, params))
    events.sort(key=lambda e: e.timestamp)  # stable: an invocation's records keep their order
    return events


def _invoke(function: Function, time_ms: int, params: Params) -> list[LabelledEvent]:
    rng = params.rng
    json_format = function.style in JSON_FORMAT
    cold = function.cold_next or rng.random() < 0.02
    function.cold_next = False
    ctx = Context(function.name, params.uuid(), time_ms, params.trace_id(), cold)
    inv = Invocation(function.name, function.runtime, function.style, ctx, params)
    init_ms = None
    if cold:
        arn_hash = params.hex(64)
        inv.emit(platform.init_start(json_format, time_ms, RUNTIME_VERSIONS[function.runtime], arn_hash), "platform")
        init_ms = rng.uniform(150, 1800 if function.runtime is Runtime.JAVA else 700)
        inv.ctx.time_ms += int(init_ms)
        broken = function.broken_init
        if broken and broken[0] <= time_ms < broken[1]:
            _broken_init(inv, json_format, init_ms)
            function.cold_next = True
            return inv.events
    inv.emit(platform.start(json_format, inv.ctx.time_ms, ctx.request_id), "platform")
    failure = _pick(function, time_ms, rng)
    for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
        _noise(inv, function.misleading_share)
    if failure is not None:
        failure.write(inv)
        if isinstance(failure, LoggedError) and rng.random() < 0.5:
            _noise(inv, function.misleading_share)
        function.cold_next = isinstance(failure, CRASHES)
    inv.emit(platform.end(ctx.request_id), "platform")
    duration = inv.duration_ms or (inv.ctx.time_ms - time_ms) + rng.uniform(0.5, 40)
    used = function.memory_mb if inv.error_type == "Runtime.OutOfMemory" else rng.randint(60, function.memory_mb)
    usage = platform.Usage(duration, function.memory_mb, used, init_ms, inv.status, inv.error_type)
    trace = ctx.trace_id if function.traced else None
    group = " ".join(filter(None, ("REPORT", inv.status, inv.error_type))) if inv.status else None
    inv.emit(platform.report(json_format, inv.ctx.time_ms, ctx.request_id, usage, trace), "platform", group)
    return inv.events


def _pick(function: Function, time_ms: int, rng: random.Random) -> Failure | None:
    draw = rng.random()
    for signature in function.signatures:
        burst = signature.burst
        draw -= signature.rate * (BURST if burst and burst[0] <= time_ms < burst[1] else 1)
        if draw < 0:
            return signature.failure
    return None


def _noise(inv: Invocation, misleading_share: float) -> None:
    pool = MISLEADING if inv.params.rng.random() < misleading_share else ROUTINE
    level, message = inv.params.rng.choice(pool)
    inv.log(level, message(inv.params), kind="misleading noise" if pool is MISLEADING else "noise")


def _broken_init(inv: Invocation, json_format: bool, init_ms: float) -> None:
    """A bad deploy: the handler's module cannot be imported, in the init phase and again in the invoke phase."""
    module = inv.function.split("-")[0] + "_sdk"
    for phase in ("init", "invoke"):
        inv.emit(_import_error(inv, module), "runtime error report", "import error")
        error_type = "Runtime.Unknown" if phase == "init" else "Runtime.ImportModuleError"
        record = platform.init_report(json_format, inv.ctx.time_ms, init_ms, phase, "error", error_type)
        inv.emit(record, "platform", f"INIT_REPORT {phase} error {error_type}")
        if phase == "init":
            inv.emit(platform.start(json_format, inv.ctx.time_ms, inv.ctx.request_id), "platform")
    inv.emit(platform.end(inv.ctx.request_id), "platform")
    usage = platform.Usage(init_ms, 512, 70, None, "error", "Runtime.ImportModuleError")
    inv.emit(
        platform.report(json_format, inv.ctx.time_ms, inv.ctx.request_id, usage, None),
        "platform",
        "REPORT error Runtime.ImportModuleError",
    )


def _import_error(inv: Invocation, module: str) -> str:
    """How awslambdaric (bootstrap._get_handler) and the Node RIC (UserFunction.load) report a missing module."""
    if inv.runtime is Runtime.PYTHON:
        message = f"Unable to import module 'app': No module named '{module}'"
        if inv.style in JSON_FORMAT:
            return (
                f'{{"timestamp":"{iso(inv.ctx.time_ms)[:19]}Z","log_level":"ERROR","errorMessage":"{message}",'
                f'"errorType":"Runtime.ImportModuleError","requestId":"","stackTrace":[]}}'
            )
        return f"[ERROR] Runtime.ImportModuleError: {message}\nTraceback (most recent call last):"
    message = f"Error: Cannot find module '{module}'\\nRequire stack:\\n- /var/task/index.js\\n- /var/runtime/index.mjs"
    stack = (
        f'["Runtime.ImportModuleError: Error: Cannot find module \'{module}\'","Require stack:",'
        '"- /var/task/index.js","- /var/runtime/index.mjs",'
        '"    at _loadUserApp (file:///var/runtime/index.mjs:1087:17)",'
        '"    at async start (file:///var/runtime/index.mjs:1282:23)"]'
    )
    error = f'{{"errorType":"Runtime.ImportModuleError","errorMessage":"{message}","stack":{stack}}}'
    if inv.style in JSON_FORMAT:
        return f'{{"timestamp":"{iso(inv.ctx.time_ms)}","level":"ERROR","requestId":"undefined","message":{error}}}'
    return f"{iso(inv.ctx.time_ms)}\tundefined\tERROR\tUncaught Exception \t{error}"
