"""Fixtures shared by the harness's tests."""

import pytest

from harness import servers
from harness.scenario.runner import Environment


@pytest.fixture(scope="module")
def env():
    """An `Environment` of the embedded fakes and reference platform, for scenarios run in-process."""
    with servers.running_fakes() as fakes, servers.running_platform(servers.resolve_platform("reference")) as platform:
        environment = Environment.connect(platform, fakes)
        yield environment
        environment.close()
