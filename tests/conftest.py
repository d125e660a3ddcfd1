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
    """The long tests (`slow`: whole certifications, the selftest, the wheel install) first, so that
    pytest-xdist spreads them over the workers at the start instead of one worker ending the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
