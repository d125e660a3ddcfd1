"""`smsproof --version` and `smsproof list profiles|requirements|mutants|scenarios`.

What an installed smsproof knows, without reading the repository: the catalogue's profiles and
requirements, a registered platform's mutants, the scenarios it ships (or those under --scenarios).
One line per item, tab-separated columns, so that the output can be read and also piped to `cut`.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version as _distribution_version

from pathlib import Path

from harness import catalogue, servers

KINDS = ("profiles", "requirements", "mutants", "scenarios")


def version() -> str:
    try:
        return _distribution_version("smsproof")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def register(commands, parser: argparse.ArgumentParser) -> None:
    """Add `--version` to the main parser and the `list` command to its subcommands."""
    parser.add_argument("--version", action="version", version=f"smsproof {version()}")
    listing = commands.add_parser("list", help="list profiles, requirements, mutants or scenarios")
    listing.add_argument("kind", choices=KINDS)
    listing.add_argument("--profile", action="append", default=[],
                         help="requirements or scenarios of this profile only (repeatable)")
    listing.add_argument("--platform", default=servers.DEFAULT_PLATFORM, help="the platform whose mutants to list")
    listing.add_argument("--scenarios", action="append", default=[],
                         help="scenario file or directory (repeatable; default: the scenarios smsproof ships)")


def run(args) -> int:
    from harness.cli import EXIT_OK, EXIT_USAGE, CliError

    cat = catalogue.default()
    unknown = [p for p in args.profile if p not in cat.profiles]
    if unknown:
        raise CliError(f"unknown profile {unknown[0]!r} (profiles: {', '.join(cat.profiles)})", EXIT_USAGE)
    profiles = set(args.profile) or set(cat.profiles)
    rows: list[str] = []
    if args.kind == "profiles":
        for name, description in cat.profiles.items():
            rows.append(f"{name}\t{len(cat.by_profile(name))} requirements\t{description}")
    elif args.kind == "requirements":
        for r in cat.requirements.values():
            if r.profile in profiles:
                rows.append(f"{r.id}\t{r.level}\t{r.profile}\t{r.title}")
    elif args.kind == "mutants":
        try:
            target = servers.resolve_platform(args.platform, None)
        except servers.PlatformSpecError as error:
            raise CliError(str(error), EXIT_USAGE) from None
        if target.adapter is None or not hasattr(target.adapter, "mutants"):
            raise CliError(f"platform {args.platform!r} is not a registered platform with mutants", EXIT_USAGE)
        for mutant in target.adapter.mutants():
            rows.append(f"{mutant.name}\t{mutant.requirement}\t{getattr(mutant, 'description', '')}")
    else:
        from harness.cli import load_scenarios
        from harness.scenario.runner import PROVIDERS, providers_used

        _, scenarios = load_scenarios(args.scenarios)
        for scenario in scenarios:
            if any(cat[r].profile in profiles for r in scenario.requirements):
                named = " ".join(sorted(providers_used(scenario), key=PROVIDERS.index)) or "none"
                providers = "the platform's provider" if scenario.follows_platform else named
                rows.append(f"{scenario.name}\t{_shown(scenario.path)}:{scenario.line}\t{' '.join(scenario.requirements)}\t{providers}")
    try:
        print("\n".join(rows))
        sys.stdout.flush()
    except BrokenPipeError:  # `smsproof list ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return EXIT_OK


def _shown(path: Path) -> str:
    """Relative to the working directory when under it (a checkout), else as is (an installed copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
