"""The driver API (`/driver/v1/`): the harness sets the platform up and observes it only through this."""

from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from ulid import ULID
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import VERSION, clock, contact_centre, jsonbody, phones, sending
from .config import PROCESS_DEFAULT_KEYWORDS, PROVIDERS
from .timeutil import fmt, parse
from .workspace import Customer, Workspace

PROFILES = ["opt_out_keywords", "sms_processes", "campaign_sending", "subscription_status", "contact_centre"]
_SUBSCRIPTIONS = ("subscribed", "not_subscribed", "none")
_PHONE_STATUSES = ("active", "bounced", "paused")
_RECEIVED_KINDS = ("campaign", "transactional")
_MAX_ADVANCE = timedelta(days=10 * 366)  # one move: far beyond any test
# Where the clock may be set: scheduled work (the next full hour, expiry dates) stays inside datetime's range.
_CLOCK_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc))


def not_found(message: str) -> JSONResponse:
    return JSONResponse({"error": "not_found", "message": message}, 404)


def invalid(problems: list[dict]) -> JSONResponse:
    """422 listing every problem, each path once (two checks of one field join their messages)."""
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        messages = by_path.setdefault(problem["path"], [])
        if problem["message"] not in messages:
            messages.append(problem["message"])
    return JSONResponse({"errors": [{"path": path, "message": "; ".join(messages)}
                                    for path, messages in by_path.items()]}, 422)


def _base_url(request: Request) -> str:
    return request.app.state.base_url or str(request.base_url).rstrip("/")


async def _json(request: Request):
    """The body's JSON value, None when it is not JSON; BadBody (answered 422 by `with_workspace`)
    for a hostile one."""
    try:
        return jsonbody.parse(await request.body())
    except jsonbody.BadBody:
        raise
    except ValueError:
        return None


def _workspace(request: Request) -> Workspace | None:
    return request.app.state.workspaces.get(request.path_params["ws"])


def with_workspace(handler):
    async def wrapped(request: Request):
        ws = _workspace(request)
        if ws is None:
            return not_found(f"unknown workspace {request.path_params['ws']!r}")
        try:
            return await handler(request, ws)
        except jsonbody.BadBody as error:
            return invalid([{"path": error.path, "message": error.message}])

    return wrapped


def with_customer(handler):
    """`with_workspace`, plus the customer of the path's `id` (404 when unknown)."""
    @with_workspace
    async def wrapped(request: Request, ws: Workspace):
        customer = ws.customers.get(request.path_params["id"])
        if customer is None:
            return not_found("unknown customer")
        return await handler(request, ws, customer)

    return wrapped


async def capabilities(request: Request):
    webhooks = {p: {"mo": f"{{base}}/webhooks/{{workspace}}/{p}/mo", "dlr": f"{{base}}/webhooks/{{workspace}}/{p}/dlr"}
                for p in PROVIDERS}
    return JSONResponse({"name": "reference", "version": VERSION, "providers": list(PROVIDERS), "profiles": PROFILES,
                         "clock": "real" if request.app.state.real_clock else "drivable", "workspaces": True, "webhooks": webhooks,
                         "process_default_keywords": PROCESS_DEFAULT_KEYWORDS,
                         "short_link_resolver": "{base}/r/{code}", "base": _base_url(request),
                         "mutant": request.app.state.broken.name})


async def create_workspace(request: Request):
    app = request.app.state
    ws = Workspace(f"ws_{ULID()}", _base_url(request), app.broken, app.http)
    if app.real_clock:
        ws.now = app.real_clock.now()
    app.workspaces[ws.name] = ws
    return JSONResponse({"workspace": ws.name, "webhooks": ws.webhook_urls()}, 201)


async def delete_workspace(request: Request):
    state = request.app.state
    ws = state.workspaces.pop(request.path_params["ws"], None)
    if ws is None:
        return not_found(f"unknown workspace {request.path_params['ws']!r}")
    for code in [code for code, link in state.links.items() if link["workspace"] is ws]:
        del state.links[code]
    return Response(status_code=204)


@with_workspace
async def put_config(request, ws):
    body = await _json(request)
    if not isinstance(body, dict):
        return invalid([{"path": "", "message": "body must be a JSON object"}])
    problems = ws.apply_config(body)
    return invalid(problems) if problems else JSONResponse(ws.config)


@with_workspace
async def get_config(request, ws):
    return JSONResponse(ws.config)


def _customer_problems(ws: Workspace, body, creating: bool) -> list[dict]:
    if not isinstance(body, dict):
        return [{"path": "", "message": "body must be a JSON object"}]
    problems = []
    checks = [
        ("id", lambda v: isinstance(v, str) and v and (not creating or v not in ws.customers), "a new customer id"),
        ("phone", lambda v: v is None or isinstance(v, str), "a string or null"),
        ("language", lambda v: v is None or isinstance(v, str), "a string"),
        ("attributes", lambda v: isinstance(v, dict), "an object"),
        ("consents", lambda v: isinstance(v, dict) and all(a in ("accept", "reject") for a in v.values()),
         "an object of category: accept|reject"),
        ("sms_subscription", lambda v: v in _SUBSCRIPTIONS, f"one of {_SUBSCRIPTIONS}"),
        ("mobile_phone_status", lambda v: v in _PHONE_STATUSES, f"one of {_PHONE_STATUSES}"),
    ]
    for key, ok, wanted in checks:
        if key in body and not ok(body[key]):
            problems.append({"path": key, "message": f"must be {wanted}"})
    if not creating and "id" in body:
        problems.append({"path": "id", "message": "cannot be changed"})
    return problems


def _update_customer(ws: Workspace, customer: Customer, body: dict, explicit: bool):
    if "phone" in body:
        customer.phone_raw = body["phone"]
        if ws.broken("phone_stored_raw"):
            customer.phone = body["phone"]
        else:
            region = "DE" if ws.broken("national_phone_sent") else None
            customer.phone = phones.to_e164(body["phone"], region=region)
    for key in ("language", "attributes", "sms_subscription", "mobile_phone_status"):
        if key in body:
            setattr(customer, key, body[key])
    for category, action in (body.get("consents") or {}).items():
        ws.consent_event(customer, category, action, source="driver", timestamp=ws.now, explicit=explicit)


@with_workspace
async def create_customer(request, ws):
    body = await _json(request)
    if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"] in ws.customers:
        return JSONResponse({"errors": [{"path": "id", "message": f"customer {body['id']!r} exists"}]}, 409)
    problems = _customer_problems(ws, body, creating=True)
    if problems:
        return invalid(problems)
    customer = Customer(id=body.get("id") or ws.new_id("cus"), seq=ws.next_seq(), created_at=ws.now)
    _update_customer(ws, customer, body, explicit=False)
    ws.customers[customer.id] = customer
    return JSONResponse(customer.state(), 201)


@with_customer
async def get_customer(request, ws, customer):
    return JSONResponse(customer.state())


@with_customer
async def patch_customer(request, ws, customer):
    body = await _json(request)
    problems = _customer_problems(ws, body, creating=False)
    if problems:
        return invalid(problems)
    _update_customer(ws, customer, body, explicit=True)
    return JSONResponse(customer.state())


@with_customer
async def track_consent(request, ws, customer):
    body = await _json(request)
    problems = []
    if not isinstance(body, dict):
        return invalid([{"path": "", "message": "body must be a JSON object"}])
    if not isinstance(body.get("category"), str) or not body["category"]:
        problems.append({"path": "category", "message": "required string"})
    if body.get("action") not in ("accept", "reject"):
        problems.append({"path": "action", "message": "must be accept or reject"})
    if problems:
        return invalid(problems)
    event = ws.consent_event(customer, body["category"], body["action"], source="driver", timestamp=ws.now,
                             explicit=True)
    return JSONResponse({k: v for k, v in event.items() if k != "_seq"}, 201)


@with_customer
async def count_received(request, ws, customer):
    query = request.query_params
    if query.get("kind") not in (None, "", *_RECEIVED_KINDS):
        return invalid([{"path": "kind", "message": f"must be one of {_RECEIVED_KINDS}"}])
    try:
        since = parse(query["since"]) if query.get("since") else None
        until = parse(query["until"]) if query.get("until") else None
    except (ValueError, OverflowError):
        return invalid([{"path": "since/until", "message": "must be ISO 8601 timestamps"}])
    count = 0
    for message in ws.sent.values():
        if message.customer_id != customer.id:
            continue
        if query.get("campaign_id") and message.campaign_id != query["campaign_id"]:
            continue
        if query.get("kind") and message.kind != query["kind"]:
            continue
        at = message.sent_at if ws.broken("received_counts_sends") else message.delivered_at
        if at is None or (since and at < since) or (until and at > until):
            continue
        count += 1
    return JSONResponse({"count": count})


@with_workspace
async def send(request, ws):
    body = await _json(request)
    problems = sending.validate(ws, body)
    if problems:
        return invalid(problems)
    return JSONResponse(await sending.send(ws, body, request.app.state.links))


@with_workspace
async def get_clock(request, ws):
    return JSONResponse({"now": fmt(ws.now), "drivable": request.app.state.real_clock is None})


def _real_clock_refusal(request: Request, path: str) -> JSONResponse | None:
    if request.app.state.real_clock is None:
        return None
    return invalid([{"path": path, "message": "the clock is real (capabilities.clock): it cannot be moved"}])


@with_workspace
async def set_clock(request, ws):
    refused = _real_clock_refusal(request, "now")
    if refused:
        return refused
    body = await _json(request)
    try:
        target = parse(body["now"])
    except (TypeError, KeyError, ValueError, OverflowError):
        return invalid([{"path": "now", "message": "must be an ISO 8601 timestamp"}])
    if not _CLOCK_RANGE[0] <= target <= _CLOCK_RANGE[1]:
        return invalid([{"path": "now", "message": f"must be from {fmt(_CLOCK_RANGE[0])} to {fmt(_CLOCK_RANGE[1])}"}])
    ran = await clock.move_to(ws, target)
    return JSONResponse({"now": fmt(ws.now), "ran": ran})


@with_workspace
async def advance_clock(request, ws):
    refused = _real_clock_refusal(request, "seconds")
    if refused:
        return refused
    body = await _json(request)
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
            or not 0 <= seconds <= _MAX_ADVANCE.total_seconds():  # NaN fails both comparisons
        return invalid([{"path": "seconds", "message": f"must be a number from 0 to {_MAX_ADVANCE.total_seconds():.0f}"}])
    if ws.now + timedelta(seconds=seconds) > _CLOCK_RANGE[1]:
        return invalid([{"path": "seconds", "message": f"would move the clock past {fmt(_CLOCK_RANGE[1])}"}])
    ran = await clock.move_to(ws, ws.now + timedelta(seconds=seconds))
    return JSONResponse({"now": fmt(ws.now), "ran": ran})


@with_workspace
async def list_events(request, ws):
    kind = request.query_params.get("type")
    if kind not in (None, "campaign", "consent"):
        return invalid([{"path": "type", "message": "must be campaign or consent"}])
    return JSONResponse({"events": ws.event_list(request.query_params.get("customer_id"), kind)})


@with_workspace
async def list_opt_outs(request, ws):
    blacklist = [{"phone": e.phone, "received_at": fmt(e.blacklisted_at), "processed_at": fmt(e.processed_at)}
                 for e in ws.blacklist.values()]
    unsubscribed = [{**u, "at": fmt(u["at"])} for u in ws.unsubscribe_list.values()]
    return JSONResponse({"blacklist": blacklist, "unsubscribe_list": unsubscribed})


@with_workspace
async def cc_queue(request, ws):
    return JSONResponse({"interactions": contact_centre.queue_state(ws)})


@with_workspace
async def cc_message(request, ws):
    body = await _json(request)
    problems = []
    if not isinstance(body, dict):
        return invalid([{"path": "", "message": "body must be a JSON object"}])
    if phones.to_e164(body.get("to"), bare_ok=True) is None:
        problems.append({"path": "to", "message": "must be a phone number in international form"})
    if not isinstance(body.get("body"), str) or not body["body"]:
        problems.append({"path": "body", "message": "required string"})
    if problems:
        return invalid(problems)
    return JSONResponse(await contact_centre.agent_message(ws, body["to"], body["body"]))


_WS = "/driver/v1/workspaces/{ws}"
_TABLE = [  # (path, method, handler)
    ("/driver/v1/capabilities", "GET", capabilities),
    ("/driver/v1/workspaces", "POST", create_workspace),
    (_WS, "DELETE", delete_workspace),
    (f"{_WS}/config", "PUT", put_config),
    (f"{_WS}/config", "GET", get_config),
    (f"{_WS}/customers", "POST", create_customer),
    (f"{_WS}/customers/{{id}}", "GET", get_customer),
    (f"{_WS}/customers/{{id}}", "PATCH", patch_customer),
    (f"{_WS}/customers/{{id}}/consents", "POST", track_consent),
    (f"{_WS}/customers/{{id}}/received", "GET", count_received),
    (f"{_WS}/sends", "POST", send),
    (f"{_WS}/clock", "GET", get_clock),
    (f"{_WS}/clock", "PUT", set_clock),
    (f"{_WS}/clock/advance", "POST", advance_clock),
    (f"{_WS}/events", "GET", list_events),
    (f"{_WS}/opt-outs", "GET", list_opt_outs),
    (f"{_WS}/contact-centre/queue", "GET", cc_queue),
    (f"{_WS}/contact-centre/messages", "POST", cc_message),
]


def _dispatch(handlers: dict):
    """One route per path, so a 405 lists every method of the path in its Allow header."""
    async def endpoint(request: Request):
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)
    return endpoint


_PATHS: dict[str, dict] = {}
for _path, _method, _handler in _TABLE:
    _PATHS.setdefault(_path, {})[_method] = _handler
routes = [Route(path, _dispatch(handlers), methods=list(handlers)) for path, handlers in _PATHS.items()]
