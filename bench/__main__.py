"""`python -m bench [NAME] [OPTIONS]`: run one benchmark, or all of them; non-zero exit when a target is missed."""

from __future__ import annotations

import argparse
import sys

from bench import (
    ack_latency,
    api_calls,
    chaos,
    charts,
    command_load,
    detection,
    engine,
    lambda_grouping,
    scale,
    soak,
    startup,
    storm,
)

BENCHMARKS = {
    "storm": storm,
    "startup": startup,
    "ack_latency": ack_latency,
    "api_calls": api_calls,
    "detection": detection,
    "chaos": chaos,
    "command_load": command_load,
    "lambda_grouping": lambda_grouping,
    "engine": engine,
    "charts": charts,
    "scale": scale,
    "soak": soak,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    names = parser.add_subparsers(dest="name", metavar="NAME")
    parsers = {}
    for name, module in BENCHMARKS.items():
        parsers[name] = names.add_parser(name, help=(module.__doc__ or name).splitlines()[0])
        module.add_arguments(parsers[name])
    args = parser.parse_args(argv)
    if args.name is not None:
        return BENCHMARKS[args.name].run(args)
    failures = [BENCHMARKS[name].run(parsers[name].parse_args([])) for name in BENCHMARKS]
    return 1 if any(failures) else 0


if __name__ == "__main__":
    sys.exit(main())
