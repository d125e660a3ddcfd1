"""`python -m reference_platform [--host H] [--port P] [--mutant NAME | --list-mutants]`."""

import argparse
import sys

from .mutants import MUTANTS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_platform", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--mutant", help="run a faulty variant (see --list-mutants)")
    parser.add_argument("--list-mutants", action="store_true", help="list the mutants and the rule each breaks")
    args = parser.parse_args(argv)
    if args.list_mutants:
        for mutant in MUTANTS:
            print(f"{mutant.name:36} {mutant.requirement:24} {mutant.description}")
        return 0
    from .server import run

    run(args.host, args.port, args.mutant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
