"""Synchronous client of the driver API (openapi.yaml) that every certified platform implements.

`Driver` holds the platform-wide calls; `Workspace` the calls under /workspaces/{ws}. A 422 on a
call that may be refused (configuration, customers, sends) raises `Refused` with the platform's
`errors` list, which scenarios assert on ("configuration refused"). A base URL whose
`/driver/v1/capabilities` is not the driver API's answer raises `NotADriverAPI` with one line that
says what the URL serves instead (the fakes, say).
"""

from __future__ import annotations

import json
from typing import Any

from harness.exchanges import UNREACHABLE, Exchange, HarnessHTTPError, JsonClient, Unreachable, UnexpectedResponse

__all__ = ["Driver", "Workspace", "Refused", "NotADriverAPI", "Unreachable", "UnexpectedResponse", "HarnessHTTPError"]

PREFIX = "/driver/v1"


class Refused(HarnessHTTPError):
    """The platform answered 422: `errors` is its list of {path, message}."""

    def __init__(self, exchange: Exchange):
        self.exchange = exchange
        body = exchange.response if isinstance(exchange.response, dict) else {}
        self.errors: list[dict] = body.get("errors") or []
        paths = ", ".join(str(e.get("path")) for e in self.errors) or "no errors listed"
        super().__init__(f"{exchange.method} {exchange.url} refused (422): {paths}")


class NotADriverAPI(HarnessHTTPError):
    """Something answers at the base URL, but not the driver API (a wrong URL, not a failing platform)."""


class Driver(JsonClient):
    side = "platform"
    what = "platform"

    def _call(self, method: str, path: str, *, expect=(200,), refusable: bool = False, **kwargs) -> Any:
        try:
            return self.request(method, PREFIX + path, expect=expect, **kwargs)
        except UnexpectedResponse as exc:
            if refusable and exc.status == 422:
                raise Refused(exc.exchange) from None
            raise

    def capabilities(self) -> dict:
        """The platform's capabilities; NotADriverAPI when the base URL serves something else."""
        try:
            answer = self._call("GET", "/capabilities")
        except UnexpectedResponse as exc:
            if exc.status not in (404, 405):
                raise  # a driver API that fails is the platform's fault, reported as such
            raise NotADriverAPI(self._not_a_driver_api(f"GET {PREFIX}/capabilities answered {exc.status}")) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("profiles"), list):
            raise NotADriverAPI(self._not_a_driver_api(f"GET {PREFIX}/capabilities answered no capabilities object"))
        return answer

    def _not_a_driver_api(self, what: str) -> str:
        """The one-line explanation, naming the smsproof fakes when that is what answers."""
        try:
            health = self.send("GET", f"{self.base_url}/_smsproof/health", timeout=5)
            fakes = health.status == 200 and "providers" in (json.loads(health.data) or {})
        except (*UNREACHABLE, ValueError, TypeError, AttributeError):
            fakes = False
        hint = ("that is the smsproof fake providers (smsproof serve), not a platform" if fakes else
                "give the platform's base URL, where /driver/v1/capabilities answers")
        return f"{self.base_url} does not serve the driver API ({what}): {hint}"

    def create_workspace(self) -> "Workspace":
        body = self._call("POST", "/workspaces", expect=(201,))
        return Workspace(self, body["workspace"], body.get("webhooks") or {})

    def delete_workspace(self, ws: str) -> None:
        self._call("DELETE", f"/workspaces/{ws}", expect=(204, 404))


class Workspace:
    """One isolated workspace of the platform under test."""

    def __init__(self, driver: Driver, ws: str, webhooks: dict):
        self.driver, self.id, self.webhooks = driver, ws, webhooks

    def _call(self, method: str, path: str, **kwargs) -> Any:
        return self.driver._call(method, f"/workspaces/{self.id}{path}", **kwargs)

    def delete(self) -> None:
        self.driver.delete_workspace(self.id)

    def put_config(self, config: dict) -> dict:
        return self._call("PUT", "/config", json_body=config, refusable=True)

    def create_customer(self, customer: dict) -> dict:
        return self._call("POST", "/customers", json_body=customer, expect=(201,), refusable=True)

    def customer(self, customer_id: str) -> dict:
        return self._call("GET", f"/customers/{customer_id}")

    def patch_customer(self, customer_id: str, fields: dict) -> dict:
        return self._call("PATCH", f"/customers/{customer_id}", json_body=fields, refusable=True)

    def track_consent(self, customer_id: str, category: str, action: str) -> dict:
        return self._call("POST", f"/customers/{customer_id}/consents",
                          json_body={"category": category, "action": action}, expect=(201,), refusable=True)

    def received(self, customer_id: str, **filters) -> int:
        return self._call("GET", f"/customers/{customer_id}/received", params=filters)["count"]

    def send(self, request: dict) -> dict:
        return self._call("POST", "/sends", json_body=request, refusable=True)

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def set_clock(self, now: str) -> dict:
        return self._call("PUT", "/clock", json_body={"now": now}, refusable=True)

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock/advance", json_body={"seconds": seconds}, refusable=True)

    def events(self, customer_id: str | None = None, type: str | None = None) -> list[dict]:
        return self._call("GET", "/events", params={"customer_id": customer_id, "type": type})["events"]

    def opt_outs(self) -> dict:
        return self._call("GET", "/opt-outs")

    def contact_centre_queue(self) -> list[dict]:
        return self._call("GET", "/contact-centre/queue")["interactions"]

    def contact_centre_send(self, to: str, body: str) -> dict:
        return self._call("POST", "/contact-centre/messages", json_body={"to": to, "body": body}, refusable=True)
