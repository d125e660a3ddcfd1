"""Where a quiet `smsproof certify` run is (CI logs, no terminal): a line at every tenth of the checks."""

from __future__ import annotations

import time

import pytest


class Progress:
    """pytest plugin object; with pytest-xdist the controller learns the total from the workers."""

    def __init__(self):
        self.total = self.done = self.failed = 0
        self.started = time.time()
        self.next_report = 1

    def pytest_collection_finish(self, session) -> None:
        self.total = max(self.total, len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.total = max(self.total, len(ids))

    def pytest_runtest_logreport(self, report) -> None:
        if report.when != "call" and not (report.when == "setup" and not report.passed):
            return
        self.done += 1
        self.failed += report.failed
        if self.total and self.done >= self.next_report * self.total / 10:
            self.next_report = int(self.done * 10 / self.total) + 1
            print(f"smsproof: {self.done}/{self.total} checks run, {self.failed} failed, "
                  f"{time.time() - self.started:.0f} s", flush=True)
