"""image-resizer (Go on provided.al2023): makes thumbnails of uploaded product photos."""

from __future__ import annotations

import random

from sandbox.aws.lambda_logs import FunctionRuntime, Invocation, Outcome, go_voice
from sandbox.aws.workload import Workload


def _upload(rng: random.Random, extension: str = "jpg") -> str:
    return f"uploads/2026/11/28/IMG_{rng.randint(1000, 9999)}.{extension}"


def image_resized(rng: random.Random) -> Invocation:
    return Invocation(
        (
            ("INFO", f'msg="resizing image" key={_upload(rng)} width=4032 height=3024'),
            ("INFO", f'msg="wrote thumbnails" sizes="[320 640 1280]" elapsed={rng.randint(180, 700)}ms'),
        ),
        duration_ms=rng.uniform(250, 900),
        memory_used_mb=rng.randint(60, 96),
    )


def image_format_unknown(rng: random.Random) -> Invocation:
    key = _upload(rng, rng.choice(["heic", "tiff", "webp"]))
    return Invocation(
        (
            ("INFO", f'msg="resizing image" key={key}'),
            ("ERROR", f'msg="resize failed" key={key} err="image: unknown format"'),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(20, 80),
        memory_used_mb=rng.randint(40, 60),
    )


def image_nil_resizer_panic(rng: random.Random) -> Invocation:
    """A panic in a goroutine: nothing recovers it, the process dies and Lambda reports the exit."""
    length = rng.randint(0x20, 0x3F)
    pc = rng.randint(0x6F0000, 0x6FFFFF)
    return Invocation(
        (
            ("INFO", f'msg="resizing image" key={_upload(rng)} width=4032 height=3024'),
            (
                None,
                "panic: runtime error: invalid memory address or nil pointer dereference\n"
                f"[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x{pc:x}]\n"
                "\n"
                f"goroutine {rng.randint(18, 64)} [running]:\n"
                f"main.(*Resizer).thumbnail(0x0, {{0xc000{rng.getrandbits(24):06x}, 0x{length:x}}}, 0x140)\n"
                "\t/src/cmd/image-resizer/resize.go:74 +0x4a\n"
                f"main.handleRecord({{0x8c4e28, 0xc0000a4000}}, {{{{0xc000{rng.getrandbits(24):06x}, "
                f"0x{length:x}}}, ...}})\n"
                "\t/src/cmd/image-resizer/main.go:52 +0x1c5\n"
                "created by main.handler in goroutine 1\n"
                "\t/src/cmd/image-resizer/main.go:38 +0x11e",
            ),
        ),
        Outcome.CRASH,
        duration_ms=rng.uniform(30, 120),
        memory_used_mb=rng.randint(50, 70),
    )


def image_too_large(rng: random.Random) -> Invocation:
    """A 100-megapixel upload decoded in 128 MB: the kernel kills the runtime."""
    return Invocation(
        (("INFO", f'msg="resizing image" key={_upload(rng, "png")} width=12000 height=9000'),),
        Outcome.OUT_OF_MEMORY,
        duration_ms=rng.uniform(1800, 2600),
    )


WORKLOAD = Workload(
    name="image-resizer",
    runtime="provided.al2023",
    handler="bootstrap",
    description="Makes thumbnails of uploaded product photos",
    platform=FunctionRuntime("provided:al2023.v62", go_voice, memory_mb=128, timeout_s=10, init_ms=(40, 90)),
    hour=(
        (image_resized, 14),
        (image_format_unknown, 3),
        (image_nil_resizer_panic, 2),
        (image_too_large, 1),
    ),
    failure=image_nil_resizer_panic,
    tags={"team": "catalog", "project": "storefront"},
)
