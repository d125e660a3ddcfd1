"""The simulated SMS network shared by every provider fake: one clock, journal, outbox of
callbacks, fault table, account book and set of handsets. Provider backends act on it; the
control API reads and steers it."""
from __future__ import annotations

from typing import Callable

import httpx

from .accounts import Accounts
from .callbacks import Outbox
from .clock import Clock
from .faults import Faults
from .handsets import Handsets
from .journal import Journal


class Network:
    def __init__(self, client_factory: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.clock = Clock()
        self.journal = Journal()
        self.faults = Faults()
        self.accounts = Accounts()
        self.handsets = Handsets()
        self.outbox = Outbox(self.clock, self.journal, self.faults, client_factory)
        self.providers: dict = {}  # name -> ProviderBackend

    def reset(self, provider: str | None = None, account: str | None = None) -> None:
        """Forget the traffic, pending events, callbacks and faults of a scope (or all of it).
        Accounts stay; scripted outcomes are global and go only with a full reset."""
        self.journal.reset(provider, account)
        self.outbox.reset(provider, account)
        self.faults.clear(provider, account)
        self.clock.cancel_scope(provider, account)
        for name, backend in self.providers.items():
            if provider in (None, name):
                backend.reset(account)
        if provider is None:
            self.handsets.clear()

    def forget_account(self, provider: str, account: str) -> bool:
        self.reset(provider, account)
        return self.accounts.delete(provider, account)
