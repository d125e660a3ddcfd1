"""smsproof harness: the certifier (catalogue, rules oracle, scenarios, runner, reports, CLI)."""

SUITE_VERSION = "0.1.0"
