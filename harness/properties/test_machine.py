"""A stateful check: random sequences of sends, replies, profiles, consents, clock moves and faults.

`OptOutMachine` drives one sandbox through Hypothesis's RuleBasedStateMachine. Phones come from a
pool of three so that profiles share phones and replies hit several profiles. A small model keeps
what the platform was told (profiles, opt-out replies it received, explicit accepts) and each
invariant compares the platform's events and the fakes' messages with it. Each pytest case checks
one invariant, so that a failure names its requirement; the shrunk sequence of steps is printed
and saved in the Hypothesis database for replay.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule,
                                 run_state_machine_as_test)

from harness.properties import strategies as s
from harness.properties.sandbox import CATEGORY, Sandbox, Target, two_way_config
from harness.properties.settings import check_settings
from harness.rules import consent, duplicates, keywords, phones
from harness.scenario.matching import parse_time
from harness.scenario.runner import CheckFailed

PHONES = [s.mobile_number("DE", 21), s.mobile_number("FR", 22), s.mobile_number("ES", 23)]
KEYWORDS = ["stop", "arret"]
# Mostly opt-outs, written exactly as configured: keyword matching has its own checks (test_keywords).
REPLY_TEXTS = ["stop", "arret", "stop", "hello", "thanks"]
CLOCK_MOVES = st.sampled_from([1, 59, 600, 1799, 3599, 3600, 5400]) | st.integers(1, 7200)
PROMO = "Promo #"


@dataclass
class ModelProfile:
    id: str
    phone: str  # E.164
    created_at: datetime
    accepted_at: list[datetime] = field(default_factory=list)  # explicit accepts through the driver


@dataclass
class ModelOptOut:
    phone: str
    received_at: datetime  # platform clock when the platform received the reply
    processed_at: datetime | None = None  # when the platform's batch took it, as its events say


@dataclass
class ModelSend:
    allowed: Counter  # phone -> how many of the targeted profiles may receive the campaign
    pending_window: set  # phones whose opt-out batch had not run at the send


class OptOutMachine(RuleBasedStateMachine):
    """Sends, replies, profile creation, consent changes, clock moves and provider faults on one sandbox."""

    target_env: Target | None = None  # set by the test before the run
    check: str = ""

    profiles = Bundle("profiles")

    def __init__(self):
        super().__init__()
        self.sandbox = Sandbox(self.target_env).__enter__()
        self.sandbox.configure(two_way_config(KEYWORDS))
        self.model: list[ModelProfile] = []
        self.opt_outs: list[ModelOptOut] = []
        self.sends: dict[str, ModelSend] = {}
        self.fault_ids: list[str] = []
        self.counter = itertools.count(1)

    def teardown(self) -> None:
        for fault_id in self.fault_ids:
            self.sandbox.fakes.delete_fault(fault_id)
        self.sandbox.__exit__(None, None, None)

    # -- rules -------------------------------------------------------------------------------------
    def _create(self, phone: str, form: str) -> str:
        customer_id = self.sandbox.customer(s.written_as(phone, form))
        self.model.append(ModelProfile(customer_id, phone, self.sandbox.now))
        return customer_id

    @initialize(target=profiles, counts=st.lists(st.integers(1, 8), min_size=len(PHONES), max_size=len(PHONES)))
    def populate(self, counts):
        """Start with a few profiles on each phone of the pool."""
        return multiple(*[self._create(phone, "+") for phone, count in zip(PHONES, counts) for _ in range(count)])

    @rule(target=profiles, phone=st.sampled_from(PHONES), form=s.CUSTOMER_FORMS,
          count=st.sampled_from([1, 1, 2, 5, 8]))
    def create_profiles(self, phone, form, count):
        return multiple(*[self._create(phone, form) for _ in range(count)])

    @rule(chosen=st.lists(profiles, min_size=1, max_size=4, unique=True))
    def send_campaign(self, chosen):
        body = f"{PROMO}{next(self.counter)}"
        now = self.sandbox.now
        allowed, pending = Counter(), set()
        for customer_id in chosen:
            profile = self._profile(customer_id)
            window = self._protection(profile, now)
            if window == "pending":
                pending.add(profile.phone)
            elif window is None:
                allowed[profile.phone] += 1
        self.sends[body] = ModelSend(allowed, pending)
        self.sandbox.send(list(chosen), body)

    @rule(phone=st.sampled_from(PHONES), form=s.SENDER_FORMS, text=st.sampled_from(REPLY_TEXTS),
          delivered_twice=st.booleans())
    def reply(self, phone, form, text, delivered_twice):
        """A handset replies; with `delivered_twice` the provider's fake delivers the callback twice (a provider retry)."""
        if delivered_twice:
            self._fault({"endpoint": "callback", "kind": "duplicate_callback"})
        answer = self.sandbox.reply(s.written_as(phone, form), text)
        delivered = (answer.get("callback") or {}).get("state") == "delivered"
        if delivered and keywords.triggers_opt_out(text, KEYWORDS):
            self.opt_outs.append(ModelOptOut(phone, self.sandbox.now))
        self.sandbox.advance(1)  # one reply per phone and instant: (phone, received time) names a reply

    @rule(chosen=profiles, action=st.sampled_from(["accept", "reject"]))
    def change_consent(self, chosen, action):
        self.sandbox.ws.track_consent(chosen, CATEGORY, action)
        if action == "accept":
            self._profile(chosen).accepted_at.append(self.sandbox.now)

    @rule(seconds=CLOCK_MOVES | st.just("past the batch deadline"))
    def move_clocks(self, seconds):
        """Both clocks forward (platform first); "past the batch deadline" lets every waiting reply be processed."""
        if seconds == "past the batch deadline":
            self.sandbox.past_batch()
        else:
            self.sandbox.advance(seconds)

    @rule(fault=st.sampled_from([{"endpoint": "send", "kind": "status", "status": 503},
                                 {"endpoint": "send", "kind": "status", "status": 429, "retry_after": 0}]))
    def provider_fault(self, fault):
        """The next send to the provider is answered with an error (the platform retries or reports it failed).
        Retry-After 0: a platform honouring it waits in real time, which the fakes' virtual clock does not move."""
        self._fault(fault)

    def _fault(self, fault: dict) -> None:
        provider = self.sandbox.provider
        spec = {"provider": provider, "account": self.sandbox.accounts[provider], "times": 1, **fault}
        self.fault_ids.append(self.sandbox.fakes.add_fault(spec)["id"])

    # -- the model ---------------------------------------------------------------------------------
    def _profile(self, customer_id: str) -> ModelProfile:
        return next(p for p in self.model if p.id == customer_id)

    def _learn_processing(self) -> None:
        """When the platform processed each reply: any hourly schedule conforms (harness/rules/consent.py), so
        the model follows the platform's own batch, read from the imported_timestamp of its consent rejects;
        check_events_in_window holds it to the seed's window."""
        waiting = [o for o in self.opt_outs if o.processed_at is None]
        if not waiting:
            return
        for event in self.sandbox.events(type="consent"):
            if event.get("source") != "sms_reply" or not event.get("imported_timestamp"):
                continue
            phone = phones.identity(event.get("identification"), bare_ok=True)
            for opt_out in waiting:
                if opt_out.phone == phone and event.get("timestamp") and parse_time(event["timestamp"]) == self.sandbox.reported_time(opt_out.received_at):
                    opt_out.processed_at = parse_time(event["imported_timestamp"])

    def _protection(self, profile: ModelProfile, now: datetime) -> str | None:
        """'pending' (blacklisted, batch not run), 'rejected' (unsubscribed by the batch) or None (may receive)."""
        self._learn_processing()
        states = set()
        for opt_out in self.opt_outs:
            if opt_out.phone != profile.phone or opt_out.received_at > now:
                continue
            if opt_out.processed_at is None or now < opt_out.processed_at:
                states.add("pending")
                continue
            at_batch = [p for p in self.model if p.phone == profile.phone and p.created_at < opt_out.processed_at]
            accepted_since = any(t >= opt_out.received_at for t in profile.accepted_at)
            if profile in at_batch and len(at_batch) <= duplicates.MAX_UNSUBSCRIBED and not accepted_since:
                states.add("rejected")
        return "pending" if "pending" in states else "rejected" if states else None

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def holds(self):
        """The one invariant this run checks (`check`), after every step."""
        try:
            getattr(self, f"check_{self.check}")()
        except CheckFailed as failure:  # evidence for the report, before teardown deletes the sandbox
            failure.exchanges, failure.timeline = self.sandbox.exchanges(), self.sandbox.timeline()
            failure.steps = self.sandbox.steps
            raise

    def _promotions(self) -> dict[tuple[str, str], int]:
        """(campaign body, E.164 phone) -> campaign SMS at the fakes."""
        counts: Counter = Counter()
        for message in self.sandbox.messages(provider=self.sandbox.provider, direction="mt", body=PROMO):
            counts[(message["body"], phones.identity(message["to"], bare_ok=True))] += 1
        return counts

    def check_no_sms_before_batch(self):
        """OPT-BLACKLIST-IMMEDIATE: between an opt-out reply and its batch, no SMS reaches the phone."""
        for (body, phone), count in self._promotions().items():
            send = self.sends.get(body)
            if send and phone in send.pending_window:
                raise CheckFailed(f"{body!r} reached {phone} after its opt-out reply, before the batch", 0, count)

    def check_no_marketing_after_batch(self):
        """OPT-NO-SEND-AFTER: after the batch, no campaign reaches the unsubscribed profiles of the phone."""
        for (body, phone), count in self._promotions().items():
            send = self.sends.get(body)
            if send and phone not in send.pending_window and count > send.allowed[phone]:
                raise CheckFailed(f"{body!r} reached {phone} {count} times; only {send.allowed[phone]} of its "
                                  "targets were not unsubscribed by an opt-out reply", send.allowed[phone], count)

    def _reply_events(self) -> tuple[dict, dict]:
        """Consent rejects and incoming messages of SMS replies, grouped by reply: (phone, received time)."""
        rejects, incoming = defaultdict(list), defaultdict(list)
        for event in self.sandbox.events():
            if event.get("type") == "consent" and event.get("source") == "sms_reply":
                rejects[self._reply_of(event.get("identification"), event)].append(event)
            elif event.get("status") == "incoming_message":
                incoming[self._reply_of(event.get("sender"), event)].append(event)
        return rejects, incoming

    @staticmethod
    def _reply_of(phone, event) -> str:
        return f"{event.get('message')!r} from {phones.identity(phone, bare_ok=True) or phone} at {event.get('timestamp')}"

    def check_at_most_ten_profiles_per_reply(self):
        """DUP-CAP-10: a reply unsubscribes at most 10 profiles (consent events per reply and category)."""
        for body, events in self._reply_events()[0].items():
            for category in {e.get("category") for e in events}:
                profiles = {e["customer_id"] for e in events if e.get("category") == category}
                if len(profiles) > duplicates.MAX_UNSUBSCRIBED:
                    raise CheckFailed(f"reply {body}: consent rejects for {len(profiles)} profiles", "at most 10",
                                      len(profiles))

    def check_each_reply_processed_once(self):
        """IN-DUPLICATE: a reply delivered twice gives each profile one reject per category and one incoming message."""
        rejects, incoming = self._reply_events()
        for body, events in list(rejects.items()) + list(incoming.items()):
            keys = Counter((e["customer_id"], e.get("category"), e.get("type")) for e in events)
            repeated = [k for k, n in keys.items() if n > 1]
            if repeated:
                raise CheckFailed(f"reply {body} processed more than once", "one event per profile", repeated)

    def check_one_incoming_profile_per_reply(self):
        """DUP-INCOMING-ONE: the incoming message of a reply is tracked to one profile."""
        for body, events in self._reply_events()[1].items():
            profiles = {e["customer_id"] for e in events}
            if len(profiles) > 1:
                raise CheckFailed(f"reply {body}: incoming message tracked to {len(profiles)} profiles", 1, len(profiles))

    def check_events_in_window(self):
        """OPT-BATCH-HOURLY: a reply's consent rejects are imported after it and within the seed's two hours."""
        for event in self.sandbox.events(type="consent"):
            if event.get("source") != "sms_reply":
                continue
            imported = parse_time(event["imported_timestamp"])
            phone = phones.identity(event.get("identification"), bare_ok=True)
            replies = sorted({o.received_at for o in self.opt_outs if o.phone == phone})
            if imported > self.sandbox.now or not any(consent.processed_in_time(r, imported) for r in replies):
                raise CheckFailed(f"a consent reject of a reply from {phone} imported at {event['imported_timestamp']} "
                                  f"(platform clock {self.sandbox.now.isoformat()})",
                                  [f"after {r.isoformat()}, within {consent.BATCH_DEADLINE}" for r in replies],
                                  event["imported_timestamp"])


INVARIANTS = [
    pytest.param(name, marks=pytest.mark.requirement(requirement), id=requirement) for name, requirement in [
        ("no_sms_before_batch", "OPT-BLACKLIST-IMMEDIATE"),
        ("no_marketing_after_batch", "OPT-NO-SEND-AFTER"),
        ("at_most_ten_profiles_per_reply", "DUP-CAP-10"),
        ("each_reply_processed_once", "IN-DUPLICATE"),
        ("one_incoming_profile_per_reply", "DUP-INCOMING-ONE"),
        ("events_in_window", "OPT-BATCH-HOURLY"),
    ]
]
MACHINE_SETTINGS = check_settings(4, stateful_step_count=20)


def run_machine(target: Target, check: str, settings=MACHINE_SETTINGS) -> None:
    """Run OptOutMachine against `target`, checking the invariant `check` (a name of INVARIANTS)."""
    machine = type(f"OptOutMachine_{check}", (OptOutMachine,), {"target_env": target, "check": check})
    run_state_machine_as_test(machine, settings=settings)


@pytest.mark.parametrize("check", INVARIANTS)
def test_opt_out_machine(target, check):
    """Random sequences of sends, replies, profiles, consents, clock moves and faults keep one invariant."""
    run_machine(target, check)
