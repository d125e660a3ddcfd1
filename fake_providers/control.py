"""The control API under /_smsproof/ (contract: docs/architecture.md, document:
openapi/control.yaml): the providers' dashboards (accounts), the traffic (messages, journal,
callbacks), the handset side (inbound messages, delivery outcomes), faults and the clock."""
from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .accounts import AccountError
from .clock import parse_iso
from .faults import FaultError
from .handsets import OutcomeError
from .journal import KINDS, MessageFilter
from .network import Network
from .provider import parse_json


PAGE_LIMIT, MAX_PAGE_LIMIT = 1000, 10_000  # items per page of a listing: default, most
NEAREST_AMONG = 100_000  # the newest messages a failed verify ranks for the nearest ones
YIELD_EVERY = 5_000  # messages a whole-journal count examines between turns of the event loop

log = logging.getLogger("fake_providers")
MAX_ADVANCE_SECONDS = 10 * 366 * 86400  # a bound far beyond any test, far below datetime's range
# Where the clock may be: due events (delays, validity periods) stay inside datetime's range.
CLOCK_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))
OPENAPI = files(__package__).joinpath("openapi/control.yaml")


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status)


async def json_body(request: Request, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ControlError(400, "invalid_json", "a JSON body is required")
        return {}
    try:
        body = parse_json(raw, finite=False)  # NaN or 1e400 answered as 422 by each validator
    except ValueError as exc:
        raise ControlError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_json", "the body must be a JSON object")
    return body


FILTER_FIELDS = ("provider", "account", "direction", "to", "from", "since", "body", "status")


def message_filter(source: dict, providers) -> MessageFilter:
    wrong = [name for name in FILTER_FIELDS if not isinstance(source.get(name), (str, type(None)))]
    if wrong:
        raise ControlError(422, "invalid_filter", f"must be strings: {', '.join(wrong)}")
    known_provider(source.get("provider"), providers)
    direction = source.get("direction")
    if direction not in (None, "", "mt", "mo"):
        raise ControlError(422, "invalid_filter", "direction must be mt or mo")
    since = source.get("since")
    if since:
        try:
            since = parse_iso(since)
        except (ValueError, AttributeError):
            raise ControlError(422, "invalid_filter", f"since is not a timestamp: {since!r}") from None
    return MessageFilter(provider=source.get("provider") or None,
                         account=source.get("account") or None, direction=direction or None,
                         to=source.get("to") or None, sender=source.get("from") or None,
                         since=since or None, body=source.get("body") or None,
                         status=source.get("status") or None)


def paging(request: Request) -> tuple[int, int]:
    """(the number to continue after, limit) from `?cursor=&limit=`; a cursor is opaque to
    clients: the `next_cursor` of the previous page."""
    cursor, limit = request.query_params.get("cursor") or "0", request.query_params.get("limit")
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise ControlError(422, "invalid_cursor",
                           f"cursor {cursor[:40]!r} is not a next_cursor of this listing")
    if limit is None:
        return int(cursor), PAGE_LIMIT
    if not (limit.isascii() and limit.isdigit() and 1 <= int(limit[:6]) <= MAX_PAGE_LIMIT):
        raise ControlError(422, "invalid_limit",
                           f"limit must be an integer from 1 to {MAX_PAGE_LIMIT}")
    return int(cursor), int(limit)


def page_body(key: str, items: list, cursor: int | None) -> dict:
    return {key: items, "next_cursor": None if cursor is None else str(cursor)}


def known_provider(provider: str | None, providers) -> None:
    """A provider filter names a provider served here (empty or absent: every provider)."""
    if provider and provider not in providers:
        raise ControlError(422, "invalid_filter", f"provider must be one of {list(providers)}")



def routes(network: Network) -> list[Route]:
    def provider_of(request: Request) -> str:
        provider = request.path_params["provider"]
        if provider not in network.providers:
            raise ControlError(404, "not_found", f"unknown provider {provider!r}")
        return provider

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "providers": list(network.providers),
                             "clock": network.clock.to_dict()})

    async def list_accounts(request: Request) -> Response:
        provider = request.query_params.get("provider") or None
        known_provider(provider, network.providers)
        return JSONResponse({"accounts": [a.to_dict() for a in network.accounts.all(provider)]})

    async def account(request: Request) -> Response:
        provider, account_id = provider_of(request), request.path_params["account"]
        if request.method in ("PUT", "PATCH"):
            settings = await json_body(request)
            if request.method == "PATCH":  # merge into the account's settings
                current = network.accounts.get(provider, account_id)
                if current is None:
                    return error(404, "not_found", f"no {provider} account {account_id!r}")
                kept = {k: v for k, v in current.to_dict().items() if k not in ("provider", "account")}
                settings = {**kept, **settings}
            try:
                found = network.accounts.put(provider, account_id, settings)
            except AccountError as exc:
                return error(422, "invalid_account", str(exc))
            return JSONResponse(found.to_dict())
        if request.method == "DELETE":
            if not network.forget_account(provider, account_id):
                return error(404, "not_found", f"no {provider} account {account_id!r}")
            return Response(status_code=204)
        found = network.accounts.get(provider, account_id)
        if found is None:
            return error(404, "not_found", f"no {provider} account {account_id!r}")
        return JSONResponse(found.to_dict())

    async def reset(request: Request) -> Response:
        body = await json_body(request, required=False)
        provider = body.get("provider")
        if provider is not None and (not isinstance(provider, str) or provider not in network.providers):
            return error(422, "invalid_scope", f"unknown provider {provider!r}")
        account = body.get("account")
        if not isinstance(account, (str, type(None))):
            return error(422, "invalid_scope", "account must be a string")
        account = account or None  # empty: every account
        if account is not None and provider is None:
            return error(422, "invalid_scope", "an account needs its provider")
        network.reset(provider, account)
        return Response(status_code=204)

    async def messages(request: Request) -> Response:
        after, limit = paging(request)
        criteria = message_filter(dict(request.query_params), network.providers)
        found, cursor = network.journal.messages_page(criteria, after, limit)
        return JSONResponse(page_body("messages", [m.to_dict() for m in found], cursor))

    async def verify(request: Request) -> Response:
        """Counts every match: the narrowest index is walked, pausing for other requests every
        YIELD_EVERY messages; on a mismatch, the nearest among the newest NEAREST_AMONG."""
        body = await json_body(request)
        criteria = message_filter(body, network.providers)
        expected = body.get("count", 1)
        if isinstance(expected, float) and expected.is_integer():
            expected = int(expected)  # 3.0 is an integer in JSON
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
            return error(422, "invalid_count", "count must be a non-negative integer")
        count = 0
        for seen, message in enumerate(network.journal.candidates(criteria), 1):
            count += criteria.matches(message)
            if seen % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        nearest: list[dict] = []
        if count != expected:
            ranked: list[tuple[int, int, object]] = []  # a bounded heap of (-misses, -seq, m)
            for seen, message in enumerate(network.journal.newest(NEAREST_AMONG), 1):
                item = (-criteria.misses(message), -message.seq, message)
                if len(ranked) < 5:
                    heapq.heappush(ranked, item)
                elif item > ranked[0]:
                    heapq.heapreplace(ranked, item)
                if seen % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            nearest = [m.to_dict() for _, _, m in sorted(ranked, reverse=True)]
        return JSONResponse({"ok": count == expected, "count": count, "nearest": nearest})

    async def journal(request: Request) -> Response:
        after, limit = paging(request)
        kind = request.query_params.get("kind") or None
        known_provider(request.query_params.get("provider"), network.providers)
        if kind not in (None, *KINDS):
            return error(422, "invalid_filter", f"kind must be one of {list(KINDS)}")
        entries, cursor = network.journal.entries_page(
            after, limit, request.query_params.get("provider") or None,
            request.query_params.get("account") or None, kind)
        return JSONResponse(page_body("entries", entries, cursor))

    async def callbacks(request: Request) -> Response:
        after, limit = paging(request)
        state = request.query_params.get("state") or None
        if state not in (None, "pending", "delivered", "failed"):
            return error(422, "invalid_filter", "state must be pending, delivered or failed")
        found, cursor = network.outbox.page(state, after, limit)
        return JSONResponse(page_body("callbacks", [c.to_dict() for c in found], cursor))

    async def inbound(request: Request) -> Response:
        body = await json_body(request)
        missing = [k for k in ("provider", "from", "to", "body")
                   if not isinstance(body.get(k), str)]
        if missing:
            return error(422, "invalid_inbound", f"missing or non-string: {', '.join(missing)}")
        backend = network.providers.get(body["provider"])
        if backend is None:
            return error(422, "invalid_inbound", f"unknown provider {body['provider']!r}")
        if body.get("account") is not None and not isinstance(body["account"], str):
            return error(422, "invalid_inbound", "account must be a string")
        owner = network.accounts.owner_of(body["provider"], body["to"], body["body"], body.get("account"))
        if owner is None:
            return error(404, "not_found",
                         f"no {body['provider']} account {'' if body.get('account') is None else repr(body['account']) + ' '}"
                         f"owns {body['to']!r} (for this keyword, on a shared short code)")
        account, number = owner
        # provider-specific details of the inbound (e.g. Sinch `udh` for mo_binary, `sent_at`)
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        message, callback = await backend.receive(account, number, body["from"], body["body"],
                                                  details)
        return JSONResponse({"message": message.to_dict(), "account": account.id,
                             "callback": {"id": callback.id, "state": callback.state,
                                          "status": callback.last_status,
                                          "error": callback.last_error}}, 201)

    async def outcomes(request: Request) -> Response:
        return JSONResponse({"outcomes": network.handsets.scripted()})

    async def outcome(request: Request) -> Response:
        msisdn = request.path_params["msisdn"]
        if request.method == "DELETE":
            if not network.handsets.unscript(msisdn):
                return error(404, "not_found", f"no scripted outcome for {msisdn!r}")
            return Response(status_code=204)
        try:
            scripted = network.handsets.script(msisdn, await json_body(request))
        except OutcomeError as exc:
            return error(422, "invalid_outcome", str(exc))
        return JSONResponse(scripted.to_dict(msisdn))

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                fault = network.faults.add(await json_body(request), list(network.providers))
            except FaultError as exc:
                return error(422, "invalid_fault", str(exc))
            return JSONResponse(fault.to_dict(), 201)
        if request.method == "DELETE":
            network.faults.clear()
            return Response(status_code=204)
        return JSONResponse({"faults": [f.to_dict() for f in network.faults.list()]})

    async def fault(request: Request) -> Response:
        if not network.faults.remove(request.path_params["fault_id"]):
            return error(404, "not_found", "no such fault")
        return Response(status_code=204)

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            body = await json_body(request)
            mode = body.get("mode", "virtual")
            if mode not in ("real", "virtual"):
                return error(422, "invalid_clock", "mode must be real or virtual")
            now = None
            if body.get("now") not in (None, ""):  # empty: not set, as an empty filter
                if not isinstance(body["now"], str):
                    return error(422, "invalid_clock", "now must be a timestamp string")
                try:
                    now = parse_iso(body["now"])
                except (ValueError, AttributeError, OverflowError):
                    return error(422, "invalid_clock", f"now is not a timestamp: {body['now']!r}")
                if not CLOCK_RANGE[0] <= now <= CLOCK_RANGE[1]:
                    return error(422, "invalid_clock", f"now must be from {CLOCK_RANGE[0].year} to {CLOCK_RANGE[1].year}")
            if mode == "real" and now is not None:
                return error(422, "invalid_clock", "a real clock cannot be set")
            network.clock.set_mode(mode, now)
            network.journal.publish("clock", network.clock.to_dict())
        return JSONResponse(network.clock.to_dict())

    async def advance(request: Request) -> Response:
        seconds = (await json_body(request)).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                or not 0 <= seconds <= MAX_ADVANCE_SECONDS:  # NaN fails both comparisons
            return error(422, "invalid_clock",
                         f"seconds must be a number from 0 to {MAX_ADVANCE_SECONDS} (ten years)")
        if network.clock.now() + timedelta(seconds=seconds) > CLOCK_RANGE[1]:
            return error(422, "invalid_clock", f"seconds would move the clock past {CLOCK_RANGE[1].year}")
        fired = await network.clock.advance(seconds)
        network.journal.publish("clock", network.clock.to_dict())
        return JSONResponse({**network.clock.to_dict(), "fired": fired})

    async def openapi(request: Request) -> Response:
        return Response(OPENAPI.read_bytes(), media_type="application/yaml")

    def guarded(handler):
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except ControlError as exc:
                return error(exc.status, exc.code, exc.message)
            except Exception:  # a defect: logged with its traceback, never echoed to the caller
                log.exception("control %s %s failed", request.method, request.url.path)
                return error(500, "internal_error", "internal error (see the server log)")
        return run

    table = [
        ("/health", health, ["GET"]),
        ("/accounts", list_accounts, ["GET"]),
        ("/accounts/{provider}/{account:path}", account, ["GET", "PUT", "PATCH", "DELETE"]),
        ("/reset", reset, ["POST"]),
        ("/messages", messages, ["GET"]),
        ("/messages/verify", verify, ["POST"]),
        ("/journal", journal, ["GET"]),
        ("/callbacks", callbacks, ["GET"]),
        ("/inbound", inbound, ["POST"]),
        ("/outcomes", outcomes, ["GET"]),
        ("/outcomes/{msisdn}", outcome, ["PUT", "DELETE"]),
        ("/faults", faults, ["GET", "POST", "DELETE"]),
        ("/faults/{fault_id}", fault, ["DELETE"]),
        ("/clock", clock, ["GET", "POST"]),
        ("/clock/advance", advance, ["POST"]),
        ("/openapi.yaml", openapi, ["GET"]),
    ]
    return [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]
