"""One isolated workspace: configuration, customers, events, opt-out lists, traffic, clock."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from ulid import ULID

from . import config as config_module
from .timeutil import fmt, utcnow


@dataclass
class Customer:
    id: str
    seq: int
    created_at: datetime
    phone_raw: str | None = None
    phone: str | None = None
    language: str | None = None
    attributes: dict = field(default_factory=dict)
    # category -> {"action", "at": datetime, "explicit": bool (tracked after creation)}
    consents: dict = field(default_factory=dict)
    sms_subscription: str = "none"  # 002: "This is the default value"
    mobile_phone_status: str = "active"
    last_sms_seq: int | None = None  # order of the last SMS sent to this profile

    def state(self) -> dict:
        return {
            "id": self.id,
            "phone": self.phone,
            "phone_raw": self.phone_raw,
            "language": self.language,
            "attributes": self.attributes,
            "consents": {cat: {"action": c["action"], "timestamp": fmt(c["at"])} for cat, c in self.consents.items()},
            "sms_subscription": self.sms_subscription,
            "mobile_phone_status": self.mobile_phone_status,
        }


@dataclass
class SentMessage:
    """An MT the platform handed to a provider, followed up by delivery reports."""

    id: str
    customer_id: str | None
    campaign_id: str | None
    kind: str
    provider: str
    phone: str
    sender: str
    body: str
    sent_at: datetime
    provider_message_id: str | None = None
    status: str = "enqueued"
    delivered_at: datetime | None = None


@dataclass
class BlacklistEntry:
    phone: str
    sender: str
    recipient: str
    body: str
    received_at: datetime  # provider's received time (event timestamp)
    blacklisted_at: datetime  # platform clock at receipt
    processed_at: datetime | None = None


class Workspace:
    def __init__(self, name: str, base_url: str, broken, http):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.broken = broken
        self.http = http  # outbox.ProviderHTTP, shared by the app's workspaces
        self.config = config_module.merged(config_module.DEFAULTS, {})
        self.started_processes: dict[str, dict] = {}  # as they were when started (a mutant keeps them)
        self.now = utcnow()
        self.customers: dict[str, Customer] = {}
        self.events: list[dict] = []
        self.blacklist: dict[str, BlacklistEntry] = {}
        self.pending_opt_outs: list[BlacklistEntry] = []
        self.unsubscribe_list: dict[str, dict] = {}
        self.sent: dict[str, SentMessage] = {}
        self.by_provider_id: dict[tuple[str, str], SentMessage] = {}
        self.seen_callbacks: set = set()
        self.interactions: list[dict] = []
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        return next(self._seq)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{ULID()}"

    def webhook_urls(self) -> dict:
        return {p: {"mo": f"{self.base_url}/webhooks/{self.name}/{p}/mo",
                    "dlr": f"{self.base_url}/webhooks/{self.name}/{p}/dlr"} for p in config_module.PROVIDERS}

    # configuration -------------------------------------------------------------------------

    def apply_config(self, update: dict) -> list[dict]:
        candidate = config_module.merged(self.config, update)
        problems = config_module.validate(candidate, self.broken)
        if problems:
            return problems
        previous = {p["id"]: p for p in self.config["sms_processes"]}
        processes = []
        for process in candidate["sms_processes"]:
            process = {"provider_keyword": None, "custom_keywords": [], "message": None, "send_confirmation": False,
                       "state": "new", "name": process.get("id"), **process}
            old = previous.get(process["id"])
            if (self.broken("process_edits_need_restart") and old and old["state"] == "started"
                    and process["state"] == "started"):
                process = old  # edits wait for a restart
            processes.append(process)
        candidate["sms_processes"] = processes
        self.config = candidate
        return []

    def consent_category(self, name: str) -> dict:
        for category in self.config["consent_categories"]:
            if category["name"] == name:
                return category
        return {"name": name, "legal_basis": "consent"}

    # customers and events ------------------------------------------------------------------

    def customers_with_phone(self, phone: str) -> list[Customer]:
        return [c for c in self.customers.values() if c.phone is not None and c.phone == phone]

    def track(self, event: dict) -> dict:
        event["_seq"] = self.next_seq()
        self.events.append(event)
        return event

    def campaign_event(self, customer_id, status, *, campaign_id=None, message=None, sender=None, recipient=None,
                       timestamp=None, provider_message_id=None) -> dict:
        return self.track({"type": "campaign", "customer_id": customer_id, "action_type": "sms", "status": status,
                           "campaign_id": campaign_id, "message": message, "sender": sender,
                           "recipient": recipient, "timestamp": fmt(timestamp or self.now),
                           "provider_message_id": provider_message_id})

    def consent_event(self, customer: Customer, category: str, action: str, *, source: str, timestamp: datetime,
                      explicit: bool, identification=None, message=None, imported=None) -> dict:
        customer.consents[category] = {"action": action, "at": timestamp, "explicit": explicit}
        return self.track({"type": "consent", "customer_id": customer.id, "action": action, "source": source,
                           "category": category, "identification": identification,
                           "identification_type": "phone" if identification else None, "message": message,
                           "timestamp": fmt(timestamp), "imported_timestamp": fmt(imported)})

    def event_list(self, customer_id=None, kind=None) -> list[dict]:
        chosen = [e for e in self.events
                  if (customer_id is None or e["customer_id"] == customer_id) and (kind is None or e["type"] == kind)]
        chosen.sort(key=lambda e: (e["timestamp"], e["_seq"]))
        return [{k: v for k, v in e.items() if k != "_seq"} for e in chosen]
