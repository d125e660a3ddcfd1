"""Workspaces: each one an isolated tenant with its configuration, customers, events and clock.

Storage is plain dictionaries in memory. Callers hold `LOCK` while they read or change a workspace
(the HTTP server answers each request in its own thread) and release it while they call Sinch.
"""

import copy
import itertools
import secrets
import threading
from datetime import datetime, timedelta, timezone

from . import rules

LOCK = threading.Lock()
WORKSPACES: dict[str, "Workspace"] = {}
PROFILES_PER_REPLY = 10  # an opt-out unsubscribes at most 10 profiles with the phone
DEFAULT_CONFIG = {
    "providers": {}, "default_provider": "sinch", "inbound_numbers": [],
    "two_way": {"track_incoming": True, "opt_out_enabled": False, "keywords": [], "categories": []},
    "consent_categories": [], "sending": {"sender": None},
}


def stamp(moment: datetime | None) -> str | None:
    """2026-01-05T10:00:00.000Z"""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def config_problems(config: dict) -> list[dict]:
    """What is wrong with a configuration (every problem, as {path, message})."""
    problems = []
    two_way = config.get("two_way")
    if not isinstance(two_way, dict):
        return [{"path": "two_way", "message": "must be an object"}]
    keywords, categories = two_way.get("keywords"), two_way.get("categories")
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append({"path": "two_way.keywords", "message": "must be a list of strings"})
    elif len(keywords) > rules.MAX_KEYWORDS:
        problems.append({"path": "two_way.keywords", "message": f"at most {rules.MAX_KEYWORDS} keywords"})
    else:
        for index, keyword in enumerate(keywords):
            if not 0 < len(keyword) <= rules.MAX_KEYWORD_LENGTH:
                problems.append({"path": f"two_way.keywords[{index}]",
                                 "message": f"1 to {rules.MAX_KEYWORD_LENGTH} characters"})
    if not isinstance(categories, list) or len(categories) > rules.MAX_OPT_OUT_CATEGORIES:
        problems.append({"path": "two_way.categories",
                         "message": f"a list of at most {rules.MAX_OPT_OUT_CATEGORIES} categories"})
    sinch = config.get("providers", {}).get("sinch")
    if sinch is not None and not all(isinstance(sinch.get(k), str) for k in ("base_url", "service_plan_id", "api_token")):
        problems.append({"path": "providers.sinch", "message": "needs base_url, service_plan_id and api_token"})
    return problems


class Workspace:
    def __init__(self, base_url: str):
        self.id = "ws_" + secrets.token_hex(8)
        self.base_url = base_url
        self.config = copy.deepcopy(DEFAULT_CONFIG)
        self.now = datetime.now(timezone.utc)
        self.customers: dict[str, dict] = {}
        self.events: list[dict] = []
        self.blacklist: dict[str, dict] = {}  # E.164 phone -> the opt-out reply
        self.waiting_for_batch: list[dict] = []  # opt-out replies the hourly batch has not processed
        self.messages: dict[str, dict] = {}  # our message id -> what we sent through Sinch
        self.seen_callbacks: set = set()
        self.counter = itertools.count(1)

    def webhooks(self) -> dict:
        hook = f"{self.base_url}/webhooks/{self.id}/sinch"
        return {"sinch": {"mo": f"{hook}/mo", "dlr": f"{hook}/dlr"}}

    # -- customers ---------------------------------------------------------------------------
    def set_customer_fields(self, customer: dict, fields: dict, explicit: bool) -> None:
        if "phone" in fields:
            customer["phone_raw"] = fields["phone"]
            customer["phone"] = rules.e164(fields["phone"])
        for key in ("language", "attributes", "sms_subscription", "mobile_phone_status"):
            if key in fields:
                customer[key] = fields[key]
        for category, action in (fields.get("consents") or {}).items():
            self.track_consent(customer, category, action, source="driver", at=self.now, explicit=explicit)

    def public(self, customer: dict) -> dict:
        shown = {k: customer[k] for k in ("id", "phone", "phone_raw", "language", "attributes",
                                          "sms_subscription", "mobile_phone_status")}
        shown["consents"] = {c: {"action": v["action"], "timestamp": stamp(v["at"])}
                             for c, v in customer["consents"].items()}
        return shown

    def profiles_of(self, phone: str) -> list[dict]:
        """Profiles with this phone: those that most recently got an SMS first, then the oldest."""
        mine = [c for c in self.customers.values() if c["phone"] == phone]
        return sorted(mine, key=lambda c: (c["last_sms"] is None, -(c["last_sms"] or 0), c["created"]))

    def legal_basis(self, category: str) -> str:
        return next((c.get("legal_basis", "consent") for c in self.config["consent_categories"]
                     if c.get("name") == category), "consent")

    # -- events --------------------------------------------------------------------------------
    def track_consent(self, customer: dict, category: str, action: str, *, source: str, at: datetime,
                      explicit: bool, phone=None, message=None, imported=None) -> dict:
        customer["consents"][category] = {"action": action, "at": at, "explicit": explicit}
        event = {"type": "consent", "customer_id": customer["id"], "action": action, "source": source,
                 "category": category, "identification": phone, "identification_type": "phone" if phone else None,
                 "message": message, "timestamp": stamp(at), "imported_timestamp": stamp(imported)}
        self.events.append(event)
        return event

    def track_campaign(self, customer_id: str, status: str, at: datetime, **fields) -> None:
        self.events.append({"type": "campaign", "customer_id": customer_id, "action_type": "sms", "status": status,
                            "campaign_id": None, "message": None, "sender": None, "recipient": None,
                            "timestamp": stamp(at), "provider_message_id": None, **fields})

    def event_list(self, customer_id=None, kind=None) -> list[dict]:
        chosen = [e for e in self.events if customer_id in (None, e["customer_id"]) and kind in (None, e["type"])]
        return sorted(chosen, key=lambda e: e["timestamp"])  # stable: same instant keeps tracking order

    # -- replies ---------------------------------------------------------------------------------
    def receive_reply(self, sender_raw: str, to: str, body: str, received_at: datetime) -> None:
        phone = rules.e164(sender_raw, bare_digits_ok=True) or sender_raw
        recipient = rules.our_number(to)
        two_way = self.config["two_way"]
        if two_way["opt_out_enabled"] and rules.is_opt_out(body, two_way["keywords"]):
            reply = {"phone": phone, "recipient": recipient, "body": body, "received_at": received_at,
                     "blacklisted_at": self.now, "processed_at": None}
            self.blacklist[phone] = reply  # at once: no more SMS to this phone
            self.waiting_for_batch.append(reply)  # events are tracked by the hourly batch
        elif two_way["track_incoming"]:
            self.track_incoming(phone, recipient, body, received_at)

    def track_incoming(self, phone: str, recipient: str, body: str, received_at: datetime) -> None:
        profiles = self.profiles_of(phone)
        if profiles:  # one profile only: the one that received our last SMS
            self.track_campaign(profiles[0]["id"], "incoming_message", received_at, message=body, sender=phone,
                                recipient=recipient)

    def hourly_batch(self) -> None:
        for reply in self.waiting_for_batch:
            profiles = self.profiles_of(reply["phone"])
            for customer in profiles[:PROFILES_PER_REPLY]:
                for category in self.config["two_way"]["categories"]:
                    self.track_consent(customer, category, "reject", source="sms_reply", at=reply["received_at"],
                                       explicit=True, phone=reply["phone"], message=reply["body"], imported=self.now)
            self.track_incoming(reply["phone"], reply["recipient"], reply["body"], reply["received_at"])
            reply["processed_at"] = self.now
        self.waiting_for_batch = []

    # -- the clock -------------------------------------------------------------------------------
    def move_clock(self, target: datetime) -> list[str]:
        """Move to `target`, running the hourly batch at each full hour passed while replies wait for it."""
        ran = []
        while self.waiting_for_batch:
            next_hour = self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            if next_hour > target:
                break
            self.now = next_hour
            self.hourly_batch()
            ran.append(f"consent_batch@{stamp(next_hour)}")
        self.now = target
        return ran

    # -- delivery reports --------------------------------------------------------------------------
    def receive_report(self, report: dict) -> None:
        sent = self.messages.get(report["reference"]) or next(
            (m for m in self.messages.values() if m["batch_id"] == report["batch_id"]), None)
        if sent is None or report["status"] is None:
            return
        key = ("report", sent["id"], report["status"])
        if key in self.seen_callbacks:
            return  # Sinch may deliver a report twice
        self.seen_callbacks.add(key)
        at = report["at"] or self.now
        sent["status"] = report["status"]
        if report["status"] == "delivered":
            sent["delivered_at"] = at
        if sent["customer_id"] in self.customers:
            self.track_campaign(sent["customer_id"], report["status"], at, campaign_id=sent["campaign_id"],
                                message=sent["body"], sender=sent["sender"], recipient=sent["phone"],
                                provider_message_id=sent["batch_id"])
