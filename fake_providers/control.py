"""The control API under /_smsproof/ (contract: docs/architecture.md, document:
openapi/control.yaml): the providers' dashboards (accounts), the traffic (messages, journal,
callbacks), the handset side (inbound messages, delivery outcomes), faults and the clock."""
from __future__ import annotations

import json
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


MAX_ADVANCE_SECONDS = 10 * 366 * 86400  # a bound far beyond any test, far below datetime's range
# Where the clock may be: due events (delays, validity periods) stay inside datetime's range.
CLOCK_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))
DEFAULT_PAGE, MAX_PAGE = 1000, 10000  # messages per page of GET /messages
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
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_json", "the body must be a JSON object")
    return body


def message_filter(source: dict) -> MessageFilter:
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


def page_of(params) -> tuple[int, int]:
    """(offset, limit) of `?limit=N&cursor=C`; the cursor is opaque to clients."""
    try:
        limit = int(params.get("limit") or DEFAULT_PAGE)
        offset = int(params.get("cursor") or 0)
    except ValueError:
        raise ControlError(422, "invalid_filter", "limit and cursor must come from the API") from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ControlError(422, "invalid_filter", f"limit must be from 1 to {MAX_PAGE}")
    return offset, limit


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
        provider = request.query_params.get("provider")
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
        if provider is not None and provider not in network.providers:
            return error(422, "invalid_scope", f"unknown provider {provider!r}")
        if body.get("account") is not None and provider is None:
            return error(422, "invalid_scope", "an account needs its provider")
        network.reset(provider, body.get("account"))
        return Response(status_code=204)

    async def messages(request: Request) -> Response:
        offset, limit = page_of(request.query_params)
        found = network.journal.find(message_filter(dict(request.query_params)))
        more = len(found) > offset + limit
        return JSONResponse({"messages": [m.to_dict() for m in found[offset:offset + limit]],
                             "next_cursor": str(offset + limit) if more else None})

    async def verify(request: Request) -> Response:
        body = await json_body(request)
        criteria = message_filter(body)
        expected = body.get("count", 1)
        if not isinstance(expected, int) or expected < 0:
            return error(422, "invalid_count", "count must be a non-negative integer")
        found = network.journal.find(criteria)
        ok = len(found) == expected
        nearest = [] if ok else [m.to_dict() for m in network.journal.nearest(criteria)]
        return JSONResponse({"ok": ok, "count": len(found), "nearest": nearest})

    async def journal(request: Request) -> Response:
        kind = request.query_params.get("kind") or None
        if kind not in (None, *KINDS):
            return error(422, "invalid_filter", f"kind must be one of {list(KINDS)}")
        entries = network.journal.query(request.query_params.get("provider") or None,
                                        request.query_params.get("account") or None, kind)
        return JSONResponse({"entries": entries})

    async def callbacks(request: Request) -> Response:
        state = request.query_params.get("state") or None
        if state not in (None, "pending", "delivered", "failed"):
            return error(422, "invalid_filter", "state must be pending, delivered or failed")
        return JSONResponse({"callbacks": [c.to_dict() for c in network.outbox.list(state)]})

    async def inbound(request: Request) -> Response:
        body = await json_body(request)
        missing = [k for k in ("provider", "from", "to", "body")
                   if not isinstance(body.get(k), str)]
        if missing:
            return error(422, "invalid_inbound", f"missing or non-string: {', '.join(missing)}")
        backend = network.providers.get(body["provider"])
        if backend is None:
            return error(422, "invalid_inbound", f"unknown provider {body['provider']!r}")
        owner = network.accounts.owner_of(body["provider"], body["to"], body["body"])
        if owner is None:
            return error(404, "not_found",
                         f"no {body['provider']} account owns {body['to']!r} "
                         "(for this keyword, on a shared short code)")
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
            if body.get("now") is not None:
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
