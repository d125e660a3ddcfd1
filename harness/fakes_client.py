"""Synchronous client of the fakes' control API (/_smsproof/, docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from harness.exchanges import JsonClient


PAGE_LIMIT = 1000  # items asked per page of a listing (the fakes' default)


class Fakes(JsonClient):
    side = "fakes"
    what = "fake providers"

    def _call(self, method: str, path: str, **kwargs) -> Any:
        return self.request(method, "/_smsproof" + path, **kwargs)

    def health(self) -> dict:
        return self._call("GET", "/health")

    # Accounts (the providers' dashboards).
    def put_account(self, provider: str, account: str, settings: dict) -> dict:
        return self._call("PUT", f"/accounts/{provider}/{account}", json_body=settings)

    def accounts(self) -> list[dict]:
        return self._call("GET", "/accounts")["accounts"]

    def account(self, provider: str, account: str) -> dict:
        return self._call("GET", f"/accounts/{provider}/{account}")

    def delete_account(self, provider: str, account: str) -> None:
        self._call("DELETE", f"/accounts/{provider}/{account}", expect=(204, 404))

    def reset(self, provider: str | None = None, account: str | None = None) -> None:
        scope = {"provider": provider, "account": account} if provider else None
        self._call("POST", "/reset", json_body=scope, expect=(204,))

    # Traffic.
    def _listing(self, path: str, key: str, params: dict) -> list[dict]:
        """Every item of a paged listing: page after page until `next_cursor` is null (a page
        may come back short, even empty, while the cursor goes on)."""
        items: list[dict] = []
        cursor = None
        while True:
            page = self._call("GET", path, params={**params, "cursor": cursor, "limit": PAGE_LIMIT})
            items += page[key]
            if not page.get("next_cursor"):
                return items
            if page["next_cursor"] == cursor:
                raise ValueError(f"{path}: the listing repeats cursor {cursor!r}")
            cursor = page["next_cursor"]

    def messages(self, **filters) -> list[dict]:
        """Filters: provider, account, direction (mt|mo), to, from_ (sender), since, body (substring)."""
        return self._listing("/messages", "messages", _filters(filters))

    def verify(self, count: int, **filters) -> dict:
        return self._call("POST", "/messages/verify", json_body={**_filters(filters), "count": count})

    def journal(self, provider: str | None = None, account: str | None = None, kind: str | None = None) -> list[dict]:
        return self._listing("/journal", "entries", {"provider": provider, "account": account, "kind": kind})

    def callbacks(self, state: str | None = None) -> list[dict]:
        return self._listing("/callbacks", "callbacks", {"state": state})

    # Handset side.
    def inbound(self, provider: str, sender: str, to: str, body: str, account: str | None = None) -> dict:
        """A handset's reply; `account` picks the receiving account where several own the number."""
        message = {"provider": provider, "from": sender, "to": to, "body": body}
        return self._call("POST", "/inbound", json_body=message | ({"account": account} if account else {}),
                          expect=(201,))

    def set_outcome(self, msisdn: str, outcome: str, delay_seconds: float | None = None) -> dict:
        body = {"outcome": outcome} | ({} if delay_seconds is None else {"delay_seconds": delay_seconds})
        return self._call("PUT", f"/outcomes/{msisdn}", json_body=body)

    def delete_outcome(self, msisdn: str) -> None:
        self._call("DELETE", f"/outcomes/{msisdn}", expect=(200, 204, 404))

    # Faults.
    def add_fault(self, fault: dict) -> dict:
        return self._call("POST", "/faults", json_body=fault, expect=(201,))

    def delete_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}", expect=(204, 404))

    # Clock.
    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def set_clock(self, now: str) -> dict:
        return self._call("POST", "/clock", json_body={"mode": "virtual", "now": now})

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock/advance", json_body={"seconds": seconds})


def _filters(filters: dict) -> dict:
    """`from_` (a Python keyword otherwise) is the control API's `from`."""
    out = {("from" if k == "from_" else k): v for k, v in filters.items() if v is not None}
    return out
