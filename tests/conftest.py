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


def pytest_collection_modifyitems(config, items) -> None:
    """The long tests (`slow(seconds)`: whole certifications, the selftest, the wheel install) first,
    longest first, so that they run side by side on different workers. pytest-xdist (with
    `--maxschedchunk 1`, pyproject.toml) starts each worker with two tests and then hands out one at a
    time to whichever is free: the first two of each worker pair a longer test with a shorter one."""
    def seconds(item) -> float:
        marker = item.get_closest_marker("slow")
        return marker.args[0] if marker and marker.args else 0

    slow = sorted((item for item in items if seconds(item)), key=seconds, reverse=True)
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    head, dealt = slow[:2 * workers], []
    while head:
        dealt.append(head.pop(0))
        if head:
            dealt.append(head.pop())
    items[:] = dealt + slow[2 * workers:] + [item for item in items if not seconds(item)]
