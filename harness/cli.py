"""`smsproof`: certify a platform, self-test the suite, serve the fakes or the reference platform.

Exit codes: 0 certified (every MUST requirement of the named profiles passed) / self-test complete,
1 not certified (a MUST requirement failed or could not be checked) or a mutant went undetected,
2 bad input (arguments, scenario file, unknown platform or mutant, a URL that serves something else
than the driver API or the control API), 3 platform or fakes unreachable (or the platform failing to
answer its capabilities), 4 the platform lacks a requested capability or offers no profile,
5 partial: a narrowed run (scenario paths, -k, SMSPROOF_REQUIREMENTS) found no failure but certifies
nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from fake_providers import cli as fakes_cli
from fake_providers import server as fake_server
from fake_providers.server import add_exposure_arguments, add_log_flags
from harness import catalogue, cli_list, realtime, report, servers, suite
from harness.driver.client import NotADriverAPI
from harness.exchanges import UnexpectedResponse, Unreachable
from harness.scenario.loader import DEFAULT_SCENARIOS, ScenarioError, files_sha256, load_paths, shipped_copy
from harness.scenario.runner import PASSED, PROVIDERS, Environment, run_scenario

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_CAPABILITY, EXIT_PARTIAL = 0, 1, 2, 3, 4, 5
VERDICT_EXIT = {report.CERTIFIED: EXIT_OK, report.NOT_CERTIFIED: EXIT_FAILED, report.PARTIAL: EXIT_PARTIAL}
REQUIREMENTS_ENV = "SMSPROOF_REQUIREMENTS"  # narrows the property checks (harness/properties/conftest.py)
PACKAGE = Path(__file__).resolve().parent
PROPERTY_CHECKS = PACKAGE / "properties"  # Hypothesis checks, run by certify when present
# Fewer scenarios than this, given by path, run in one worker: starting a worker (its own process, fakes
# and platform) costs about 3 s of CPU, more than a handful of scenarios take.
SMALL_RUN = 16
# Installed pytest plugins the checks do not use: each would be imported by the run and by every worker
# (schemathesis alone about 1 s of CPU). Blocking a plugin that is not installed is harmless.
UNUSED_PLUGINS = [arg for name in ("benchmark", "schemathesis", "faker", "respx", "anyio", "platformdirs",
                                   "xdist.looponfail") for arg in ("-p", f"no:{name}")]


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
    certify.add_argument("--profile", action="append", default=[],
                         help="certify this profile (repeatable; default: every profile the platform offers)")
    certify.add_argument("--mutant", help="run the embedded platform with this mutant")
    certify.add_argument("--workers", type=fake_server.positive_int, default=None,
                         help="parallel workers (pytest-xdist; default: 2 on a machine with 2 cores or more, "
                              f"1 with --fakes, in real-time mode or for fewer than {SMALL_RUN} scenarios given by path)")
    certify.add_argument("--seed", type=int, help="seed of the property-based checks (default: drawn and recorded in the report)")
    certify.add_argument("-k", dest="keyword", metavar="EXPR",
                         help="only checks matching this pytest -k expression (a PARTIAL run: it certifies nothing)")
    certify.add_argument("--examples", type=fake_server.positive_int, help="examples per property-based check")
    certify.add_argument("--reports", default="reports", help="directory of the run reports (default: reports)")
    certify.add_argument("--scenarios", action="append", default=[], help="scenario file or directory (repeatable)")
    certify.add_argument("--fakes", help="URL of running fake providers (default: start them)")
    certify.add_argument("--provider", choices=PROVIDERS,
                         help="the provider the checks not about one provider's format go through, one the platform "
                              "declares (default: sinch when declared, else the first of cm and instasent declared)")
    _add_real_time_arguments(certify)

    selftest = commands.add_parser("selftest", help="reference must pass, every mutant must fail on its requirement")
    selftest.add_argument("--platform", default=servers.DEFAULT_PLATFORM, help="a registered platform with mutants")
    selftest.add_argument("--mutant", action="append", default=[], help="only these mutants (repeatable)")
    selftest.add_argument("--scenarios", action="append", default=[], help="scenario file or directory (repeatable)")

    serve = commands.add_parser("serve", help="run the fake providers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8010)
    serve.add_argument("--no-demo", action="store_true", help="without the demo accounts (for `certify --fakes`)")
    add_log_flags(serve)
    serve.add_argument("--max-messages", type=fake_server.positive_int, metavar="N",
                       help="keep the newest N messages and N journal entries, evicting the oldest")
    add_exposure_arguments(serve)
    fakes_cli.add_commands(commands)

    platform = commands.add_parser("platform", help="run the reference platform")
    platform.add_argument("--host", default="127.0.0.1")
    platform.add_argument("--port", type=_port, default=8020)
    platform.add_argument("--mutant")
    platform.add_argument("--real-clock", action="store_true",
                          help="run on the wall clock: capabilities say clock: real, the clock cannot be moved")
    platform.add_argument("--clock-start", type=_moment,
                          help="with --real-clock: what the clock reads at start (ISO 8601, e.g. 2026-01-05T10:59:50Z)")

    cli_list.register(commands, parser)
    return parser


def _add_real_time_arguments(certify) -> None:
    certify.add_argument("--real-time", action="store_true",
                         help="real-time mode even for a drivable clock (automatic when capabilities.clock is not "
                              "'drivable'): advances wait for the platform's clock")
    certify.add_argument("--time-budget", type=_budget, default=realtime.DEFAULT_BUDGET, metavar="DURATION",
                         help="real-time mode: how long the run may wait (default 2h); checks that would need "
                              "longer are NOT CHECKED")


def _budget(text: str) -> float:
    """argparse type: a duration (90m, 1h30m, 600)."""
    try:
        return realtime.parse_budget(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _moment(text: str) -> datetime:
    """argparse type: an ISO 8601 timestamp (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timestamp {text!r}: use ISO 8601, e.g. 2026-01-05T10:59:50Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _check_real_time(args, platform_url: str, fakes_url: str) -> None:
    """Real-time mode needs a platform clock it can read and that runs by itself (exit 4 otherwise)."""
    env = _connect(platform_url, fakes_url)
    try:
        if args.real_time or env.capabilities.get("clock") != "drivable":
            why, advice = realtime.why_real_time(env.capabilities, forced=args.real_time)
            realtime.RealTime(args.time_budget).measure(env.driver, why, advice)
    except realtime.NotChecked as error:
        raise CliError(str(error), EXIT_CAPABILITY) from None
    except Unreachable as error:
        raise CliError(str(error), EXIT_UNREACHABLE) from None
    finally:
        env.close()


def _real_time_args(args, capabilities: dict) -> list[str]:
    """pytest options of the real-time mode; it runs in one process (its scenarios run concurrently
    there), so it overrides --workers."""
    real_time = args.real_time or capabilities.get("clock") != "drivable"
    if real_time:
        args.workers = 1
    return [f"--smsproof-real-time={'on' if args.real_time else 'auto'}", f"--smsproof-time-budget={args.time_budget}"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "certify":
            return certify(args)
        if args.command == "selftest":
            return selftest(args)
        if args.command in fakes_cli.COMMANDS:
            return fakes_cli.run(args)
        if args.command == "list":
            return cli_list.run(args)
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

            run(host=args.host, port=args.port, demo=not args.no_demo, log=not args.quiet,
                max_messages=args.max_messages, control_token=args.control_token,
                callback_hosts=tuple(args.callback_host) or None)
        else:
            from reference_platform.server import run

            run(host=args.host, port=args.port, mutant=args.mutant,  # prints its banner (driver URL)
                real_clock=args.real_clock or args.clock_start is not None, clock_start=args.clock_start)
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", EXIT_USAGE) from None
    return EXIT_OK


def scenario_paths(paths: list[str]) -> list[str]:
    """The paths given, each as found: here, or a relative one under the shipped scenarios (said on
    stderr); CliError (exit 2) naming where it looked and how to run a shipped scenario otherwise."""
    found = []
    for path in paths:
        shipped = shipped_copy(path)
        if shipped is not None:
            print(f"smsproof: {path} is not under {Path.cwd()}: using the shipped {shipped}", file=sys.stderr)
            path = str(shipped)
        elif not Path(path).exists():
            where = "" if Path(path).is_absolute() else (
                f" (neither under the current directory {Path.cwd()} nor under the shipped scenarios); to run a "
                "shipped scenario by name use -k NAME (`smsproof list scenarios` names them)")
            raise CliError(f"no scenarios at {path}{where}", EXIT_USAGE)
        found.append(path)
    return found


def load_scenarios(paths: list[str]):
    """The scenario paths as found (`scenario_paths`, default: the shipped scenarios) and their scenarios."""
    paths = scenario_paths(paths) if paths else [str(DEFAULT_SCENARIOS)]
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
    if args.fakes and (args.workers or 1) > 1:
        raise CliError("--fakes needs --workers 1: the fakes' clock is shared by everything they serve", EXIT_USAGE)
    paths, scenarios = load_scenarios(args.scenarios)
    if args.workers is None:  # two workers: the measured sweet spot on 2 cores (benchmarks/bench_certify.py)
        small = bool(args.scenarios) and len(scenarios) < SMALL_RUN  # a worker costs more to start than it saves
        args.workers = 1 if args.fakes or small else min(2, os.cpu_count() or 1)
    narrowing = [reason for reason, present in [
        ("scenario paths", bool(args.scenarios)), ("-k", bool(args.keyword)),
        (REQUIREMENTS_ENV, bool(os.environ.get(REQUIREMENTS_ENV, "").strip()))] if present]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
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
        named = args.profile or [p for p in catalogue.default().profiles if p in offered]
        if not named:
            raise CliError("the platform offers no certification profile (capabilities.profiles names none of: "
                           f"{', '.join(catalogue.default().profiles)}): there is nothing to certify", EXIT_CAPABILITY)
        if not capabilities.get("workspaces", False):
            raise CliError("the platform does not offer workspaces (capabilities.workspaces), which certification needs",
                           EXIT_CAPABILITY)
        if args.provider and args.provider not in (capabilities.get("providers") or []):
            raise CliError(f"the platform does not declare provider {args.provider!r} (capabilities.providers: "
                           f"{', '.join(capabilities.get('providers') or []) or 'none'})", EXIT_CAPABILITY)
        _check_real_time(args, platform_url, fakes_url)
        pytest_args = [*paths, *([str(PROPERTY_CHECKS)] if PROPERTY_CHECKS.is_dir() and not args.scenarios else []),
                       "-p", "no:cacheprovider", *UNUSED_PLUGINS,
                       "-W", "ignore::pytest.PytestAssertRewriteWarning",  # httpx imported anyio before pytest
                       f"--junitxml={run_dir / 'junit.xml'}",
                       f"--smsproof-results={results_dir}", f"--smsproof-platform={args.platform}",
                       *[f"--smsproof-scenarios={p}" for p in paths],
                       *[f"--smsproof-profile={p}" for p in named],
                       *([f"--smsproof-mutant={args.mutant}"] if args.mutant else []),
                       *(["-k", args.keyword] if args.keyword else []),
                       f"--hypothesis-seed={seed}",
                       *([f"--smsproof-examples={args.examples}"] if args.examples else []),
                       *([f"--smsproof-provider={args.provider}"] if args.provider else []),
                       *_real_time_args(args, capabilities)]
        if args.workers > 1:
            pytest_args += ["-n", str(args.workers)]  # every worker starts its own fakes (and embedded platform)
            if args.fakes:
                pytest_args.append(f"--smsproof-fakes={args.fakes}")
        else:
            pytest_args += [f"--smsproof-platform-url={platform_url}", f"--smsproof-fakes={fakes_url}"]
        pytest_args += ["-p", "no:terminal"] if _quiet() else ["-q", "--no-header", "-rN"]
        _make_directory(results_dir, args.reports)  # pytest's junitxml would fail on it with a traceback
        import pytest

        from harness.progress import Progress

        problems = _CollectionProblems()
        code = pytest.main(pytest_args, plugins=[problems, *([Progress()] if _quiet() else [])])
    if problems.first:
        raise CliError(f"a check could not be collected: {problems.first}", EXIT_USAGE)
    if code not in (0, 1, 5):
        raise CliError(f"the test run stopped (pytest exit code {code})", EXIT_USAGE)
    results = report.read_results(results_dir)
    shutil.rmtree(results_dir, ignore_errors=True)
    cat = catalogue.default()
    checked_files = [catalogue.CATALOGUE_PATH, *sorted({s.path for s in scenarios}),
                     *(sorted(PROPERTY_CHECKS.glob("*.py")) if PROPERTY_CHECKS.is_dir() and not args.scenarios else [])]
    built = report.build(
        run_id=run_id, started_at=started_at.isoformat(), duration_s=time.time() - started,
        platform={"name": target.name, "spec": args.platform, "url": platform_url,
                  "mutant": args.mutant, "capabilities": capabilities},
        options={"profiles": named, "workers": args.workers, "seed": seed, "examples": args.examples,
                 "provider": args.provider,
                 "narrowed_by": narrowing, "keyword": args.keyword,
                 "real_time": args.real_time or capabilities.get("clock") != "drivable", "time_budget_s": args.time_budget},
        files={"catalogue": {str(catalogue.CATALOGUE_PATH): cat.sha256},
               "scenarios": files_sha256(sorted({Path(r["file"]) for r in results}))},
        results=results, cat=cat, profiles=named, narrowed=bool(narrowing), suite=suite.describe(checked_files))
    report.write(built, run_dir)
    report.stamp_junit(run_dir / "junit.xml", built)
    _print_summary(built, run_dir)
    return VERDICT_EXIT[built["verdict"]]


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
    """Root causes first, each with the check that failed and why; then what they probably caused."""
    s, requirements = built["summary"], {r["id"]: r for r in built["requirements"]}
    failed_checks = {}  # requirement -> its first failed check, one at MUST level when there is one
    for check in built["scenarios"]:
        if check["verdict"] in (report.FAILED, "ERROR"):
            for requirement in check["requirements"]:
                at_must = (check.get("levels") or {}).get(requirement) == "MUST"
                if requirement not in failed_checks or at_must and not failed_checks[requirement][1]:
                    failed_checks[requirement] = (check, at_must)
    for requirement_id in s["root_causes"]:
        r = requirements[requirement_id]
        print(f"  FAILED {r['id']} ({report.level_text(r)}): {r['title']}")
        check = failed_checks.get(requirement_id, (None,))[0]
        if check:
            through = f" (through {', '.join(check['providers'])})" if check.get("providers") else ""
            print(f"    {report.relative(check['file'])}:{check['line']} {check['name']}{through}: "
                  f"at {check.get('failed_step') or '(setup)'}: {report.one_line(check.get('reason', ''))}")
    caused: dict[str, list[str]] = {}
    for r in built["requirements"]:
        if r["verdict"] == report.FAILED and r["probable_cause"]:
            caused.setdefault(r["probable_cause"], []).append(r["id"])
    for cause, ids in caused.items():
        print(f"  also failed, probably caused by {cause}: {', '.join(ids)}")
    if s["contract_problems"]:
        print(f"  {len(s['contract_problems'])} kinds of driver-API answers differ from harness/driver/openapi.yaml "
              f"(e.g. {s['contract_problems'][0]}); see report.html")
    for problem in s["callback_problems"]:
        print(f"  {problem} (it does not change a verdict; in production the callback comes back)")
    for profile in built["profiles"]:
        if profile["verdict"] == report.NOT_CERTIFIED and not profile["failed"]:
            for item in profile["not_passed"][:3]:
                print(f"  {profile['profile']}: {item['id']} {item['verdict']}: {item['reason']}")
            if len(profile["not_passed"]) > 3:
                print(f"  {profile['profile']}: ... and {len(profile['not_passed']) - 3} more MUST requirements not passed")
    profiles = ", ".join(f"{p['profile']} {p['verdict']}" for p in built["profiles"])
    narrowed = f" (narrowed by {', '.join(built['options']['narrowed_by'])}: certifies nothing)" if s["narrowed"] else ""
    print(f"smsproof: {built['verdict']}{narrowed} {built['platform']['name']}: {profiles}; "
          f"{report.counts_text(s)}; {report.providers_text(s)}; in {built['duration_s']} s; "
          f"smsproof {built['suite']['smsproof_version']}, suite {built['suite']['hash'][:12]}, "
          f"seed {built['options']['seed']}; reports in {run_dir}")


def selftest(args) -> int:
    """The reference passes every check; each mutant fails the checks of the requirement it breaks; each
    conforming variant (another reading the seeds allow) fails no MUST check of its requirement."""
    _, scenarios = load_scenarios(args.scenarios)
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
        def failed_requirements(mutant: str | None, chosen, must_only: bool = False) -> set[str]:
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
            if must_only:  # a conforming variant: only MUST-level failures count against the suite's fairness
                return {r for result in results if result.verdict not in (PASSED, "NOT APPLICABLE")
                        for r in result.requirements if result.levels.get(r) == "MUST"}
            return {r for result in results if result.verdict not in (PASSED, "NOT APPLICABLE") for r in result.requirements}

        broken = failed_requirements(None, scenarios)
        reference_ok = not broken
        print(f"reference: {'PASSED' if reference_ok else 'FAILED on ' + ', '.join(sorted(broken))} ({len(scenarios)} scenarios)")
        for mutant in mutants:
            chosen = [s for s in scenarios if mutant.requirement in s.requirements]
            detected = bool(chosen) and mutant.requirement in failed_requirements(mutant.name, chosen)
            rows.append((mutant.name, mutant.requirement, "yes" if detected else ("no check" if not chosen else "NO")))
        unfair, fairness = [], []
        cat = catalogue.default()
        for variant in ([] if args.mutant else servers.variants_of(target.adapter)):
            profile = cat[variant.requirement].profile
            chosen = [s for s in scenarios if any(cat[r].profile == profile for r in s.requirements)]
            failed = failed_requirements(variant.name, chosen, must_only=True)
            fairness.append(f"conforming variant {variant.name} ({variant.requirement}): "
                            f"{'FAILED MUST on ' + ', '.join(sorted(failed)) if failed else 'passes every MUST check'}")
            unfair += sorted(failed)
    width = max([len(r[0]) for r in rows] + [6])
    print(f"{'mutant':<{width}}  {'requirement':<24} detected")
    for name, requirement, detected in rows:
        print(f"{name:<{width}}  {requirement:<24} {detected}")
    score = sum(r[2] == "yes" for r in rows)
    print(f"detection score: {score}/{len(rows)}" + (f" ({100 * score // len(rows)}%)" if rows else ""))
    for line in fairness:
        print(line)
    return EXIT_OK if reference_ok and score == len(rows) and not unfair else EXIT_FAILED
