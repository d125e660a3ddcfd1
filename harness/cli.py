"""`smsproof`: certify a platform, self-test the suite, serve the fakes or the reference platform.

Exit codes: 0 certified / self-test complete, 1 certification failed (a MUST requirement failed) or
a mutant went undetected, 2 bad input (arguments, scenario file, unknown platform or mutant, a URL
that serves something else than the driver API or the control API), 3 platform or fakes unreachable
(or the platform failing to answer its capabilities), 4 the platform lacks a requested capability.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from harness import catalogue, report, servers
from harness.driver.client import NotADriverAPI
from harness.exchanges import UnexpectedResponse, Unreachable
from harness.scenario.loader import ScenarioError, files_sha256, load_paths
from harness.scenario.runner import PASSED, Environment, run_scenario

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_CAPABILITY = 0, 1, 2, 3, 4
PACKAGE = Path(__file__).resolve().parent
DEFAULT_SCENARIOS = PACKAGE.parent / "scenarios"
PROPERTY_CHECKS = PACKAGE / "properties"  # Hypothesis checks, run by certify when present


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _port(text: str) -> int:
    """argparse type: a TCP port 1..65535 (the OS would truncate larger ones, or pick any for 0)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not an integer") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {port}: must be 1..65535")
    return port


def _at_least_one(text: str) -> int:
    """argparse type: a positive count (of workers or examples)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value}: must be at least 1")
    return value


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (argparse would print the usage first); `--help` shows usage."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"smsproof: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="smsproof", description="Certify SMS platforms against the seeds' rules.")
    commands = parser.add_subparsers(dest="command", required=True)

    certify = commands.add_parser("certify", help="certify a platform (default: the embedded reference platform)")
    certify.add_argument("--platform", default=servers.DEFAULT_PLATFORM,
                         help="'reference', a URL of a running platform, or a name registered in smsproof.platforms")
    certify.add_argument("--profile", action="append", default=[], help="only this profile (repeatable)")
    certify.add_argument("--mutant", help="run the embedded platform with this mutant")
    certify.add_argument("--workers", type=_at_least_one, default=1, help="parallel workers (pytest-xdist)")
    certify.add_argument("--seed", type=int, help="seed of the property-based checks")
    certify.add_argument("--examples", type=_at_least_one, help="examples per property-based check")
    certify.add_argument("--reports", default="reports", help="directory of the run reports (default: reports)")
    certify.add_argument("--scenarios", action="append", default=[], help="scenario file or directory (repeatable)")
    certify.add_argument("--fakes", help="URL of running fake providers (default: start them)")

    selftest = commands.add_parser("selftest", help="reference must pass, every mutant must fail on its requirement")
    selftest.add_argument("--platform", default=servers.DEFAULT_PLATFORM, help="a registered platform with mutants")
    selftest.add_argument("--mutant", action="append", default=[], help="only these mutants (repeatable)")
    selftest.add_argument("--scenarios", action="append", default=[], help="scenario file or directory (repeatable)")

    serve = commands.add_parser("serve", help="run the fake providers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8010)
    serve.add_argument("--no-demo", action="store_true", help="without the demo accounts (for `certify --fakes`)")

    platform = commands.add_parser("platform", help="run the reference platform")
    platform.add_argument("--host", default="127.0.0.1")
    platform.add_argument("--port", type=_port, default=8020)
    platform.add_argument("--mutant")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "certify":
            return certify(args)
        if args.command == "selftest":
            return selftest(args)
        return serve(args)
    except CliError as error:
        print(f"smsproof: error: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        return 130


def serve(args) -> int:
    """`serve` or `platform` until interrupted; an address that cannot be bound is one line."""
    try:
        if args.command == "serve":
            from fake_providers.server import run

            run(host=args.host, port=args.port, demo=not args.no_demo)
        else:
            from reference_platform.server import run

            run(host=args.host, port=args.port, mutant=args.mutant)  # prints its banner (driver URL)
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", EXIT_USAGE) from None
    return EXIT_OK


def _load_scenarios(paths: list[str]):
    paths = paths or [str(DEFAULT_SCENARIOS)]
    for path in paths:
        if not Path(path).exists():
            raise CliError(f"no scenarios at {path}", EXIT_USAGE)
    try:
        return paths, load_paths(paths)
    except ScenarioError as error:
        raise CliError(f"invalid scenario: {error}", EXIT_USAGE) from None


def _target(platform: str, mutant: str | None) -> servers.PlatformTarget:
    try:
        return servers.resolve_platform(platform, mutant)
    except servers.PlatformSpecError as error:
        raise CliError(str(error), EXIT_USAGE) from None


def _connect(platform_url: str, fakes_url: str) -> Environment:
    """Both sides answering as themselves, or one line: unreachable (3) or a wrong URL (2)."""
    try:
        return Environment.connect(platform_url, fakes_url)
    except Unreachable as error:
        raise CliError(str(error), EXIT_UNREACHABLE) from None
    except NotADriverAPI as error:
        raise CliError(str(error), EXIT_USAGE) from None
    except UnexpectedResponse as error:
        if error.exchange.side != "fakes":
            raise CliError(f"the platform at {platform_url} failed to answer its capabilities: {error}", EXIT_UNREACHABLE) from None
        raise CliError(f"{fakes_url} does not serve the fakes' control API (GET /_smsproof/health answered "
                       f"{error.status}): give the URL of `smsproof serve --no-demo`", EXIT_USAGE) from None


def _quiet() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or not sys.stdout.isatty()


def certify(args) -> int:
    unknown = [p for p in args.profile if p not in catalogue.default().profiles]
    if unknown:
        raise CliError(f"unknown profile {unknown[0]!r} (profiles: {', '.join(catalogue.default().profiles)})", EXIT_USAGE)
    if args.fakes and args.workers > 1:
        raise CliError("--fakes needs --workers 1: the fakes' clock is shared by everything they serve", EXIT_USAGE)
    paths, _ = _load_scenarios(args.scenarios)
    target = _target(args.platform, args.mutant)
    started, started_at = time.time(), datetime.now(timezone.utc)
    run_id = started_at.strftime("%Y%m%d-%H%M%S-") + (args.mutant or ("url" if target.url else target.spec)) + "-" + uuid.uuid4().hex[:4]
    run_dir = Path(args.reports) / run_id
    results_dir = run_dir / "results"
    _make_directory(Path(args.reports), args.reports)  # early: before starting anything
    with contextlib.ExitStack() as stack:
        try:
            fakes_url = stack.enter_context(servers.running_fakes(args.fakes))
            platform_url = stack.enter_context(servers.running_platform(target))
        except servers.PlatformSpecError as error:
            raise CliError(str(error), EXIT_USAGE) from None
        env = _connect(platform_url, fakes_url)
        capabilities = env.capabilities
        existing = [f"{a['provider']}/{a['account']}" for a in env.fakes.accounts()]
        env.close()
        if existing:
            raise CliError(f"the fakes at {fakes_url} already have accounts ({', '.join(existing[:3])}); certification "
                           "needs fakes of its own (smsproof serve --no-demo)", EXIT_USAGE)
        offered = capabilities.get("profiles") or []
        for profile in args.profile:
            if profile not in offered:
                raise CliError(f"the platform does not offer profile {profile!r} (it offers: {', '.join(offered) or 'none'})",
                               EXIT_CAPABILITY)
        if not capabilities.get("workspaces", False):
            raise CliError("the platform does not offer workspaces (capabilities.workspaces), which certification needs",
                           EXIT_CAPABILITY)
        pytest_args = [*paths, *([str(PROPERTY_CHECKS)] if PROPERTY_CHECKS.is_dir() and not args.scenarios else []),
                       "-p", "no:cacheprovider", "-p", "no:benchmark",
                       "-W", "ignore::pytest.PytestAssertRewriteWarning",  # httpx imported anyio before pytest
                       f"--junitxml={run_dir / 'junit.xml'}",
                       f"--smsproof-results={results_dir}", f"--smsproof-platform={args.platform}",
                       *[f"--smsproof-scenarios={p}" for p in paths],
                       *[f"--smsproof-profile={p}" for p in args.profile],
                       *([f"--smsproof-mutant={args.mutant}"] if args.mutant else []),
                       *([f"--hypothesis-seed={args.seed}"] if args.seed is not None else []),
                       *([f"--smsproof-examples={args.examples}"] if args.examples else [])]
        if args.workers > 1:
            pytest_args += ["-n", str(args.workers)]  # every worker starts its own fakes (and embedded platform)
            if args.fakes:
                pytest_args.append(f"--smsproof-fakes={args.fakes}")
        else:
            pytest_args += [f"--smsproof-platform-url={platform_url}", f"--smsproof-fakes={fakes_url}"]
        pytest_args += ["-p", "no:terminal"] if _quiet() else ["-q", "--no-header", "-rN"]
        _make_directory(results_dir, args.reports)  # pytest's junitxml would fail on it with a traceback
        import pytest

        problems = _CollectionProblems()
        code = pytest.main(pytest_args, plugins=[problems])
    if problems.first:
        raise CliError(f"a check could not be collected: {problems.first}", EXIT_USAGE)
    if code not in (0, 1, 5):
        raise CliError(f"the test run stopped (pytest exit code {code})", EXIT_USAGE)
    results = report.read_results(results_dir)
    shutil.rmtree(results_dir, ignore_errors=True)
    cat = catalogue.default()
    built = report.build(
        run_id=run_id, started_at=started_at.isoformat(), duration_s=time.time() - started,
        platform={"name": target.name, "spec": args.platform, "url": platform_url if target.url else None,
                  "mutant": args.mutant, "capabilities": capabilities},
        options={"profiles": args.profile, "workers": args.workers, "seed": args.seed, "examples": args.examples},
        files={"catalogue": {str(catalogue.CATALOGUE_PATH): cat.sha256},
               "scenarios": files_sha256(sorted({Path(r["file"]) for r in results}))},
        results=results, cat=cat, selected_profiles=set(args.profile) or None)
    report.write(built, run_dir)
    _print_summary(built, run_dir)
    return EXIT_OK if built["summary"]["certified"] else EXIT_FAILED


def _make_directory(path: Path, reports: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create the run directory in {reports}: {error.strerror or error}", EXIT_USAGE) from None


class _CollectionProblems:
    """pytest plugin object: the first collection error, as one line (quiet runs print nothing)."""

    first: str | None = None

    def pytest_collectreport(self, report) -> None:
        if report.failed and self.first is None:
            lines = [line.strip() for line in str(report.longrepr).splitlines() if line.strip()]
            self.first = f"{report.nodeid or report.fspath}: {lines[-1] if lines else 'error'}"


def _print_summary(built: dict, run_dir: Path) -> None:
    s = built["summary"]
    for requirement in built["requirements"]:
        if requirement["verdict"] == report.FAILED:
            print(f"  FAILED {requirement['id']} ({requirement['level']}{', blocking' if requirement['blocking'] else ''}): "
                  f"{requirement['title']}")
    if s["contract_problems"]:
        print(f"  {len(s['contract_problems'])} kinds of driver-API answers differ from harness/driver/openapi.yaml "
              f"(e.g. {s['contract_problems'][0]}); see report.html")
    word = "CERTIFIED" if s["certified"] else "NOT CERTIFIED"
    print(f"smsproof: {word} {built['platform']['name']}: {s['PASSED']} passed, {s['FAILED']} failed, "
          f"{s['NOT APPLICABLE']} not applicable, {s['NOT CHECKED']} not checked requirements "
          f"in {built['duration_s']} s; reports in {run_dir}")


def selftest(args) -> int:
    """The reference passes every check; each mutant fails the checks of the requirement it breaks."""
    _, scenarios = _load_scenarios(args.scenarios)
    target = _target(args.platform, None)
    if target.adapter is None:
        raise CliError("selftest needs a registered platform with mutants, not a URL", EXIT_USAGE)
    mutants = target.adapter.mutants()
    unknown = sorted(set(args.mutant) - {m.name for m in mutants})
    if unknown:
        raise CliError(f"platform {args.platform!r} has no mutant {unknown[0]!r}", EXIT_USAGE)
    if args.mutant:
        mutants = [m for m in mutants if m.name in args.mutant]
    rows, reference_ok = [], True
    with servers.running_fakes() as fakes_url:
        def failed_requirements(mutant: str | None, chosen) -> set[str]:
            embedded = servers.PlatformTarget(args.platform, adapter=target.adapter, mutant=mutant)
            with contextlib.ExitStack() as stack:
                try:
                    url = stack.enter_context(servers.running_platform(embedded))
                except servers.PlatformSpecError as error:
                    raise CliError(str(error), EXIT_USAGE) from None
                env = _connect(url, fakes_url)
                try:
                    results = [run_scenario(s, env) for s in chosen]
                except Unreachable as error:
                    raise CliError(str(error), EXIT_UNREACHABLE) from None
                finally:
                    env.close()
            return {r for result in results if result.verdict not in (PASSED, "NOT APPLICABLE") for r in result.requirements}

        broken = failed_requirements(None, scenarios)
        reference_ok = not broken
        print(f"reference: {'PASSED' if reference_ok else 'FAILED on ' + ', '.join(sorted(broken))} ({len(scenarios)} scenarios)")
        for mutant in mutants:
            chosen = [s for s in scenarios if mutant.requirement in s.requirements]
            detected = bool(chosen) and mutant.requirement in failed_requirements(mutant.name, chosen)
            rows.append((mutant.name, mutant.requirement, "yes" if detected else ("no check" if not chosen else "NO")))
    width = max([len(r[0]) for r in rows] + [6])
    print(f"{'mutant':<{width}}  {'requirement':<24} detected")
    for name, requirement, detected in rows:
        print(f"{name:<{width}}  {requirement:<24} {detected}")
    score = sum(r[2] == "yes" for r in rows)
    print(f"detection score: {score}/{len(rows)}" + (f" ({100 * score // len(rows)}%)" if rows else ""))
    return EXIT_OK if reference_ok and score == len(rows) else EXIT_FAILED
