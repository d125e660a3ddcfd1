"""Acme SMS's HTTP API: smsproof's driver API under /driver/v1, and the Sinch webhooks.

The standard library's threading HTTP server: each request gets a thread, so Sinch can call our
webhooks while we are sending through it. Routes are regular expressions over the path.
"""

import argparse
import json
import math
import re
import socket
import sys
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import rules, sinch, store
from .store import LOCK, WORKSPACES, stamp

NAME, VERSION = "acme-sms", "1.0.0"
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
TEN_YEARS = 10 * 366 * 24 * 3600


class Answer(Exception):
    """Stop handling and answer this status and JSON body."""

    def __init__(self, status: int, body=None):
        self.status, self.body = status, body


def not_found(what: str) -> Answer:
    return Answer(404, {"error": "not_found", "message": what})


def invalid(*problems: tuple[str, str]) -> Answer:
    return Answer(422, {"errors": [{"path": path, "message": message} for path, message in problems]})


def parse_instant(text) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise invalid(("now", "must be a timestamp like 2026-01-05T10:00:00.000Z")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if not datetime(1970, 1, 1, tzinfo=timezone.utc) <= moment <= LATEST:
        raise invalid(("now", "must be between 1970 and 9000"))
    return moment


# -- driver API ------------------------------------------------------------------------------------
def capabilities(request):
    return 200, {"name": NAME, "version": VERSION, "providers": ["sinch"], "profiles": ["opt_out_keywords"],
                 "clock": "drivable", "workspaces": True,
                 "webhooks": {"sinch": {"mo": "{base}/webhooks/{workspace}/sinch/mo",
                                        "dlr": "{base}/webhooks/{workspace}/sinch/dlr"}}}


def create_workspace(request):
    ws = store.Workspace(request.server.base_url)
    WORKSPACES[ws.id] = ws
    return 201, {"workspace": ws.id, "webhooks": ws.webhooks()}


def delete_workspace(request, ws):
    del WORKSPACES[ws.id]
    return 204, None


def put_config(request, ws):
    update = request.json_object()
    candidate = store.merge(ws.config, update)
    problems = store.config_problems(candidate)
    if problems:
        raise Answer(422, {"errors": problems})
    ws.config = candidate
    return 200, ws.config


CUSTOMER_FIELDS = {
    "phone": lambda v: v is None or isinstance(v, str),
    "language": lambda v: v is None or isinstance(v, str),
    "attributes": lambda v: isinstance(v, dict),
    "consents": lambda v: isinstance(v, dict) and all(a in ("accept", "reject") for a in v.values()),
    "sms_subscription": lambda v: v in ("subscribed", "not_subscribed", "none"),
    "mobile_phone_status": lambda v: v in ("active", "bounced", "paused"),
}


def check_customer_fields(fields: dict) -> None:
    wrong = [(key, "invalid value") for key, ok in CUSTOMER_FIELDS.items() if key in fields and not ok(fields[key])]
    if wrong:
        raise invalid(*wrong)


def create_customer(request, ws):
    fields = request.json_object()
    check_customer_fields(fields)
    customer_id = fields.get("id") or f"c{next(ws.counter)}"
    if not isinstance(customer_id, str) or customer_id in ws.customers:
        raise invalid(("id", "must be a new customer id"))
    customer = {"id": customer_id, "created": next(ws.counter), "phone": None, "phone_raw": None, "language": None,
                "attributes": {}, "consents": {}, "sms_subscription": "none", "mobile_phone_status": "active",
                "last_sms": None}
    ws.set_customer_fields(customer, fields, explicit=False)  # consents given at creation: the initial state
    ws.customers[customer_id] = customer
    return 201, ws.public(customer)


def customer_of(ws, customer_id: str) -> dict:
    if customer_id not in ws.customers:
        raise not_found(f"no customer {customer_id!r}")
    return ws.customers[customer_id]


def get_customer(request, ws, customer_id):
    return 200, ws.public(customer_of(ws, customer_id))


def patch_customer(request, ws, customer_id):
    customer, fields = customer_of(ws, customer_id), request.json_object()
    if "id" in fields:
        raise invalid(("id", "cannot be changed"))
    check_customer_fields(fields)
    ws.set_customer_fields(customer, fields, explicit=True)
    return 200, ws.public(customer)


def track_consent(request, ws, customer_id):
    customer, body = customer_of(ws, customer_id), request.json_object()
    if not isinstance(body.get("category"), str) or body.get("action") not in ("accept", "reject"):
        raise invalid(("category", "a category name"), ("action", "accept or reject"))
    return 201, ws.track_consent(customer, body["category"], body["action"], source="driver", at=ws.now, explicit=True)


def count_received(request, ws, customer_id):
    customer_of(ws, customer_id)
    query = request.query()
    if query.get("kind") not in (None, "campaign", "transactional"):
        raise invalid(("kind", "campaign or transactional"))
    since = parse_instant(query["since"]) if query.get("since") else None
    until = parse_instant(query["until"]) if query.get("until") else None
    count = sum(1 for m in ws.messages.values()
                if m["customer_id"] == customer_id and m["delivered_at"] is not None
                and query.get("campaign_id") in (None, m["campaign_id"]) and query.get("kind") in (None, m["kind"])
                and (since is None or m["delivered_at"] >= since) and (until is None or m["delivered_at"] <= until))
    return 200, {"count": count}


def render(template: str, customer: dict) -> str:
    """Our templates: "Hi {{ first_name }}" with the customer's attributes."""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(customer["attributes"].get(m.group(1), "")), template)


def send(request):
    """Decide per recipient under the lock, call Sinch without it, then record what happened."""
    with LOCK:
        ws = request.workspace()
        order = request.json_object()
        sender = order.get("sender") or ws.config["sending"].get("sender")
        ids = order.get("customer_ids") or []
        problems = []
        if order.get("kind") not in ("campaign", "transactional"):
            problems.append(("kind", "campaign or transactional (Acme SMS sends no alerts)"))
        if not isinstance(order.get("body"), str):
            problems.append(("body", "required"))
        if not isinstance(sender, str) or not sender:
            problems.append(("sender", "required (or sending.sender)"))
        if "sinch" not in ws.config["providers"]:
            problems.append(("provider", "Sinch is not configured"))
        problems += [(f"customer_ids[{i}]", "unknown customer") for i, c in enumerate(ids) if c not in ws.customers]
        if problems:
            raise invalid(*problems)
        category = order.get("category")
        outcomes, to_send = [], []
        for customer_id in ids:
            customer = ws.customers[customer_id]
            refused = rules.refusal(customer, kind=order["kind"], category=category,
                                    legal_basis=ws.legal_basis(category),
                                    blacklist_entry=ws.blacklist.get(customer["phone"]))
            outcome = {"customer_id": customer_id, "phone": customer["phone"], "status": "enqueued", "reason": None,
                       "message": None, "provider": None, "provider_message_id": None, "encoding": None,
                       "segment_count": None, "body": None}
            outcomes.append(outcome)
            if refused:
                outcome["status"], outcome["reason"], outcome["message"] = refused
                if refused[0] == "enqueue_failed":
                    ws.track_campaign(customer_id, "enqueue_failed", ws.now, campaign_id=order.get("campaign_id"),
                                      message=refused[2], sender=sender, recipient=customer["phone"])
                continue
            message = {"id": f"m{next(ws.counter)}{ws.id[-6:]}", "customer_id": customer_id, "kind": order["kind"],
                       "campaign_id": order.get("campaign_id"), "phone": customer["phone"], "sender": sender,
                       "body": render(order["body"], customer), "batch_id": None, "status": "sending",
                       "delivered_at": None}
            ws.messages[message["id"]] = message
            customer["last_sms"] = next(ws.counter)
            to_send.append((outcome, message))
        settings, callback_url = dict(ws.config["providers"]["sinch"]), ws.webhooks()["sinch"]["dlr"]
    for outcome, message in to_send:  # not under the lock: Sinch may call our webhooks meanwhile
        try:
            message["batch_id"] = sinch.send(settings, to=message["phone"], sender=message["sender"],
                                             body=message["body"], reference=message["id"], callback_url=callback_url)
        except sinch.SinchError as error:
            message["error"] = str(error)
    with LOCK:
        for outcome, message in to_send:
            status = "enqueued" if message["batch_id"] else "failed"
            outcome.update(status=status, provider="sinch", provider_message_id=message["batch_id"],
                           body=message["body"], reason=None if message["batch_id"] else "provider_error",
                           message=message.get("error"))
            ws.track_campaign(message["customer_id"], status, ws.now, campaign_id=message["campaign_id"],
                              message=message["body"], sender=message["sender"], recipient=message["phone"],
                              provider_message_id=message["batch_id"])
    return 200, {"send_id": f"s{next(ws.counter)}", "outcomes": outcomes}


def get_clock(request, ws):
    return 200, {"now": stamp(ws.now), "drivable": True}


def set_clock(request, ws):
    target = parse_instant(request.json_object().get("now"))
    ran = ws.move_clock(target)
    return 200, {"now": stamp(ws.now), "ran": ran}


def advance_clock(request, ws):
    seconds = request.json_object().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
            or not 0 <= seconds <= TEN_YEARS or ws.now + timedelta(seconds=seconds) > LATEST:
        raise invalid(("seconds", "a number of seconds from 0 to ten years"))
    ran = ws.move_clock(ws.now + timedelta(seconds=seconds))
    return 200, {"now": stamp(ws.now), "ran": ran}


def list_events(request, ws):
    query = request.query()
    if query.get("type") not in (None, "campaign", "consent"):
        raise invalid(("type", "campaign or consent"))
    return 200, {"events": ws.event_list(query.get("customer_id"), query.get("type"))}


def list_opt_outs(request, ws):
    return 200, {"blacklist": [{"phone": r["phone"], "received_at": stamp(r["blacklisted_at"]),
                                "processed_at": stamp(r["processed_at"])} for r in ws.blacklist.values()],
                 "unsubscribe_list": []}


# -- Sinch webhooks --------------------------------------------------------------------------------
def sinch_callback(request, ws, kind):
    """MO and delivery reports, told apart by their `type` (both accepted on both URLs)."""
    raw = request.raw_body()
    if not sinch.signature_ok(request.headers, raw, ws.config["providers"].get("sinch", {}).get("webhook_secret")):
        raise Answer(401, {"error": "unauthorized", "message": "missing or wrong Sinch signature"})
    try:
        what, content = sinch.read_callback(raw)
    except sinch.BadCallback as error:
        raise Answer(400, {"error": "bad_callback", "message": str(error)}) from None
    if what == "mo":
        if ("mo", content["id"]) not in ws.seen_callbacks:  # Sinch retries: one reply, once
            ws.seen_callbacks.add(("mo", content["id"]))
            ws.receive_reply(content["from"], content["to"], content["body"], content["received_at"] or ws.now)
    else:
        for report in content:
            ws.receive_report(report)
    return 200, {"status": "ok"}


WS = r"/driver/v1/workspaces/(?P<ws>[^/]+)"
ROUTES = [  # (method, path pattern, handler, takes the lock and the workspace)
    ("GET", r"/driver/v1/capabilities", capabilities, False),
    ("POST", r"/driver/v1/workspaces", create_workspace, False),
    ("DELETE", WS, delete_workspace, True),
    ("PUT", WS + r"/config", put_config, True),
    ("POST", WS + r"/customers", create_customer, True),
    ("GET", WS + r"/customers/(?P<customer_id>[^/]+)", get_customer, True),
    ("PATCH", WS + r"/customers/(?P<customer_id>[^/]+)", patch_customer, True),
    ("POST", WS + r"/customers/(?P<customer_id>[^/]+)/consents", track_consent, True),
    ("GET", WS + r"/customers/(?P<customer_id>[^/]+)/received", count_received, True),
    ("POST", WS + r"/sends", send, False),  # takes the lock itself, not while calling Sinch
    ("GET", WS + r"/clock", get_clock, True),
    ("PUT", WS + r"/clock", set_clock, True),
    ("POST", WS + r"/clock/advance", advance_clock, True),
    ("GET", WS + r"/events", list_events, True),
    ("GET", WS + r"/opt-outs", list_opt_outs, True),
    ("POST", r"/webhooks/(?P<ws>[^/]+)/sinch/(?P<kind>mo|dlr)", sinch_callback, True),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the certification makes thousands of calls

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, each answer waits ~40 ms (Nagle).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def log_message(self, *args):
        pass  # quiet

    def dispatch(self, method: str):
        self.path_parts = urlsplit(self.path)
        self._raw = None
        try:
            status, body = self.route(method)
        except Answer as answer:
            status, body = answer.status, answer.body
        except Exception as error:  # never a traceback to the caller
            status, body = 500, {"error": "internal", "message": f"{type(error).__name__}: {error}"}
        self.raw_body()  # read whatever the client sent, so the connection stays usable
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, method: str):
        for verb, pattern, handler, locked in ROUTES:
            match = re.fullmatch(pattern, self.path_parts.path)
            if match and verb == method:
                self.params = match.groupdict()
                if not locked:
                    return handler(self)
                with LOCK:
                    ws = self.workspace()
                    return handler(self, ws, *[v for k, v in self.params.items() if k != "ws"])
        raise not_found(f"no route {method} {self.path_parts.path}")

    def workspace(self):
        if self.params["ws"] not in WORKSPACES:
            raise not_found(f"no workspace {self.params['ws']!r}")
        return WORKSPACES[self.params["ws"]]

    def raw_body(self) -> bytes:
        if self._raw is None:
            self._raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return self._raw

    def json_object(self) -> dict:
        try:
            body = json.loads(self.raw_body() or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise invalid(("", "the body must be a JSON object"))
        return body

    def query(self) -> dict:
        return {k: v[-1] for k, v in parse_qs(self.path_parts.query).items()}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int):
        super().__init__((host, port), Handler)
        self.base_url = f"http://{host}:{self.server_address[1]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m acme_sms", description="Serve Acme SMS.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0: any free port")
    args = parser.parse_args(argv)
    try:
        server = Server(args.host, args.port)
    except OSError as error:
        print(f"acme_sms: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"Acme SMS on {server.base_url} (driver API {server.base_url}/driver/v1)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
