"""Suite-wide setup, loaded before any test module is imported."""

import os

import pytest

# `fake_providers.testing` is a pytest plugin (its fixtures) that test modules also import directly:
# registered here, its asserts are rewritten whichever import comes first (no PytestAssertRewriteWarning).
pytest.register_assert_rewrite("fake_providers.testing")


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto`: one worker more than the cores. About a third of a worker's time is spent waiting
    (servers starting in subprocesses, real-time checks waiting for the clock), which the extra worker
    fills."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items) -> None:
    """The long tests (`slow(seconds)`: whole certifications, the selftest, the wheel install) first,
    longest first: pytest-xdist deals the first tests to its workers in turn, so they start together
    on different workers instead of one worker ending the run alone."""
    def seconds(item) -> float:
        marker = item.get_closest_marker("slow")
        return marker.args[0] if marker and marker.args else 0
    items.sort(key=lambda item: -seconds(item))
