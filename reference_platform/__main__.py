"""`python -m reference_platform [--host H] [--port P] [--mutant NAME | --list-mutants]
[--real-clock [--clock-start ISO8601]]`."""

import argparse
import sys

from .mutants import MUTANTS
from .timeutil import parse


def _moment(text: str):
    try:
        return parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timestamp {text!r}: use ISO 8601, e.g. 2026-01-05T10:59:50Z") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_platform", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--mutant", help="run a faulty variant (see --list-mutants)")
    parser.add_argument("--real-clock", action="store_true", help="run on the wall clock (capabilities.clock: real)")
    parser.add_argument("--clock-start", type=_moment, help="with --real-clock: the clock's time at start")
    parser.add_argument("--list-mutants", action="store_true", help="list the mutants and the rule each breaks")
    args = parser.parse_args(argv)
    if args.list_mutants:
        for mutant in MUTANTS:
            print(f"{mutant.name:36} {mutant.requirement:24} {mutant.description}")
        return 0
    from .server import run

    run(args.host, args.port, args.mutant, real_clock=args.real_clock or args.clock_start is not None,
        clock_start=args.clock_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
