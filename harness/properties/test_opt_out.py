"""Opt-out replies (001) against the oracle: phone forms, duplicate profiles, the hourly batch.

Every example is a fresh sandbox: customers, an opt-out reply through the Sinch fake, clock moves
on both sides, then the platform's events, blacklist and send outcomes and the fakes' messages are
compared with harness/rules/ (phones, duplicates, consent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.properties import strategies as s
from harness.properties.sandbox import CATEGORY, LONG_CODE, START, Sandbox, two_way_config
from harness.properties.settings import check_settings
from harness.rules import consent, duplicates, eligibility, phones
from harness.rules import keywords as kw_rules
from harness.scenario.matching import format_time, parse_time
from harness.scenario.runner import CheckFailed

# The configured keywords exactly: these checks are about what follows a match, not about matching.
OPT_OUT_REPLIES = st.sampled_from(["stop", "arret"])


def reply_rejects(sandbox: Sandbox) -> list[dict]:
    return [e for e in sandbox.events(type="consent") if e.get("source") == "sms_reply" and e.get("action") == "reject"]


def incoming(sandbox: Sandbox) -> list[dict]:
    return [e for e in sandbox.events(type="campaign") if e.get("status") == "incoming_message"]


# -- PH-FORMS -------------------------------------------------------------------------------------
@pytest.mark.requirement("PH-FORMS")
@check_settings(12)
@given(number=s.mobile_numbers(), stored=s.CUSTOMER_FORMS, sender=s.SENDER_FORMS)
@example(number="+4915123456789", stored="00", sender="+")
def test_phone_forms_are_one_identity(target, number, stored, sender):
    """A customer stored as "+..." or "00..." is reached by a send and opted out by a reply from any form; a
    customer of another country whose number ends in the same digits is not."""
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config())
        customer = sandbox.customer(s.written_as(number, stored))
        twin = s.same_digits_elsewhere(number)
        if twin is not None:
            sandbox.customer(twin)
        outcome, = sandbox.send([customer], "Hello")
        reached = sandbox.messages(direction="mt", to=number)
        if outcome["status"] != "enqueued" or len(reached) != 1 or not phones.same_phone(reached[0]["to"], number):
            raise CheckFailed(f"a send to a customer stored as {s.written_as(number, stored)!r} does not reach {number}",
                              {"status": "enqueued", "messages to": number}, {"outcome": outcome, "messages": reached})
        sandbox.reply(s.written_as(number, sender), "stop")
        sandbox.past_batch()
        rejected = [e["customer_id"] for e in reply_rejects(sandbox)]
        if rejected != [customer]:
            raise CheckFailed(f"a reply from {s.written_as(number, sender)!r} does not opt out the customer stored as "
                              f"{s.written_as(number, stored)!r}", [customer], rejected)


# -- DUP-* ----------------------------------------------------------------------------------------
# Replies of the DUP-INCOMING-ONE check: opt-outs and ordinary answers (NPS, feedback) alike.
DUPLICATE_REPLIES = st.sampled_from(["stop", "arret", "Thanks!", "9"])


@dataclass(frozen=True)
class DuplicateCase:
    """Profiles on one phone (their consent at creation), the sends to them in order, and the reply."""

    consents: tuple  # per profile: "accept" or None
    sends: tuple  # profile index of each send, one minute apart
    kinds: tuple  # "campaign" or "transactional", per send
    reply: str = "stop"


@st.composite
def duplicate_cases(draw) -> DuplicateCase:
    count, sends = draw(s.send_histories())
    return DuplicateCase(tuple(draw(s.profile_consents(count))), tuple(sends), tuple(draw(s.send_kinds(len(sends)))),
                         draw(DUPLICATE_REPLIES))


def case(consents, sends=(), kinds=None, reply="stop") -> DuplicateCase:
    return DuplicateCase(tuple(consents), tuple(sends), tuple(kinds or ["campaign"] * len(sends)), reply)


def reaches(consent: str | None, kind: str) -> bool:
    """Whether a send of `kind` reaches a subscribed profile with `consent` (the oracle's eligibility)."""
    recipient = eligibility.Recipient("+4915123456789", sms_subscription="subscribed",
                                      consents={CATEGORY: consent} if consent else {})
    return eligibility.decide(recipient, kind=kind, body="News", category=CATEGORY).status == "enqueued"


def check_duplicates(target, dup: DuplicateCase, form, aspect):
    """Profiles on one phone, one SMS per send a minute apart, then a reply and two hours for the batch."""
    count, sends = len(dup.consents), list(dup.sends)
    reply = dup.reply if aspect == "incoming" else "stop"  # the reject aspects need an opt-out
    number = s.mobile_number("DE", 7)
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config())
        ids = [sandbox.customer(s.written_as(number, form), consents={CATEGORY: c} if c else {})
               for c in dup.consents]
        first_send = sandbox.now
        for index, kind in zip(sends, dup.kinds):
            sandbox.send([ids[index]], "News", kind=kind)
            sandbox.advance(60)
        sandbox.reply(number, reply)
        sandbox.past_batch()
        received = [reaches(dup.consents[index], kind) for index, kind in zip(sends, dup.kinds)]
        profiles = s.profiles_after(count, sends, ids, first_send, received)
        rejected = sorted(e["customer_id"] for e in reply_rejects(sandbox))
        got_incoming = [e["customer_id"] for e in incoming(sandbox)]
        label = {p.id: f"profile{p.created_order}" for p in profiles}
        show = lambda cids: sorted(label.get(c, c) for c in cids)  # noqa: E731
        chosen = duplicates.unsubscribed(profiles)
        if aspect == "cap" and len(set(rejected)) > duplicates.MAX_UNSUBSCRIBED:
            raise CheckFailed(f"{count} profiles on one phone: {len(set(rejected))} unsubscribed", "at most 10",
                              show(rejected))
        if aspect == "selection" and not set(rejected) <= set(chosen):
            raise CheckFailed(f"{count} profiles: unsubscribed profiles outside the 10 that most recently received "
                              "an SMS, then the oldest", show(chosen), show(rejected))
        if aspect == "all" and len(set(rejected)) < min(count, duplicates.MAX_UNSUBSCRIBED):
            raise CheckFailed(f"{count} profiles on one phone: only {len(set(rejected))} unsubscribed",
                              show(chosen), show(rejected))
        if aspect == "all" and len(rejected) != len(set(rejected)):
            raise CheckFailed("a profile got more than one consent reject for one reply and category",
                              show(chosen), show(rejected))
        if aspect == "incoming":  # to the profile that got the last SMS; with none, any one (oldest: SHOULD)
            wanted = duplicates.incoming_profile(profiles)
            if len(got_incoming) != (1 if count else 0) or (any(received) and got_incoming != [wanted]):
                raise CheckFailed(f"{count} profiles, {sum(received)} SMS received, reply {reply!r}: the incoming "
                                  "message must go to one profile" + (", the one that received the last SMS"
                                                                      if any(received) else ""),
                                  show([wanted] if wanted else []), show(got_incoming))


DUPLICATE_ASPECTS = [
    pytest.param("cap", marks=pytest.mark.requirement("DUP-CAP-10"), id="DUP-CAP-10"),
    pytest.param("selection", marks=pytest.mark.requirement("DUP-CAP-10", level="SHOULD"),
                 id="DUP-CAP-10-selection"),
    pytest.param("all", marks=pytest.mark.requirement("DUP-ALL-UP-TO-10"), id="DUP-ALL-UP-TO-10"),
    pytest.param("incoming", marks=pytest.mark.requirement("DUP-INCOMING-ONE"), id="DUP-INCOMING-ONE"),
]


@pytest.mark.parametrize("aspect", DUPLICATE_ASPECTS)
@check_settings(4)  # and five explicit boundary cases
@given(dup=duplicate_cases(), form=s.CUSTOMER_FORMS)
@example(dup=case(["accept"] * 12, [10, 11]), form="+")
@example(dup=case(["accept"] * 2, [0, 1]), form="00")
@example(dup=case([None, "accept"] * 6), form="+")  # no consent or mixed consents: all up to 10, never more
@example(dup=case(["accept"] * 3, [1, 2, 1], reply="Thanks!"), form="+")  # A, B, A: the last SMS was A's
@example(dup=case(["accept"] * 3, [1, 2], ["campaign", "transactional"], reply="9"), form="00")
def test_duplicate_profiles(target, aspect, dup, form):
    """0 to 15 profiles on the replying phone, with or without consent: at most 10 unsubscribed, all up to 10,
    the incoming message (of an opt-out or any reply) to one, the one that received the last SMS of any kind."""
    check_duplicates(target, dup, form, aspect)


# -- OPT-*, CONS-FIELDS, IN-EVENT-FIELDS: instants around the hourly batch ---------------------------
def same_instant(observed, expected) -> bool:
    return isinstance(observed, str) and parse_time(observed) == expected


@dataclass
class Probe:
    """One customer's opt-out reply at `received_at`, observed at the sandbox's current time."""

    sandbox: Sandbox
    customer: str
    number: str
    body: str
    received_at: datetime
    categories: list[str]

    def processed_at(self) -> datetime | None:
        """When the platform processed the reply (GET /opt-outs), checked against the seed's window."""
        processed = self.sandbox.processed_at(self.number)
        if processed is not None and not consent.processed_in_time(self.received_at, processed):
            raise CheckFailed(f"reply at {format_time(self.received_at)} processed at {format_time(processed)}",
                              f"after the reply and within {consent.BATCH_DEADLINE} of it", format_time(processed))
        return processed

    def when(self) -> str:
        processed = self.sandbox.processed_at(self.number)
        return (f"at {format_time(self.sandbox.now)}, reply at {format_time(self.received_at)}, "
                f"processed at {format_time(processed) if processed else '(not yet)'}")

    def blacklist(self) -> None:
        """OPT-BLACKLIST-IMMEDIATE: listed at once, and no SMS of any kind reaches the phone (001: "will not
        accept any more SMS messages"), a transactional one no more than a campaign."""
        listed = self.sandbox.blacklisted()
        if self.number not in listed:
            raise CheckFailed("the phone is not on the blacklist right after its opt-out reply", self.number, sorted(listed))
        for kind in ("campaign", "transactional"):
            self.sandbox.send([self.customer], f"Your {kind} update", kind=kind)
        sent = self.sandbox.messages(direction="mt", to=self.number)
        if sent:
            raise CheckFailed(f"SMS reached the phone right after its opt-out reply ({self.when()})", [],
                              [m.get("body") for m in sent])

    def send(self) -> None:
        """OPT-ENQUEUE-FAILED before the batch, OPT-NO-SEND-AFTER after it: nothing reaches the phone."""
        verdict = consent.send_after_opt_out(self.received_at, self.sandbox.now, self.processed_at() is not None)
        outcome, = self.sandbox.send([self.customer], "Flash sale", campaign_id="flash")
        sent = self.sandbox.messages(direction="mt", to=self.number)
        observed = {"status": outcome["status"], "reason": outcome.get("reason"), "sent": len(sent)}
        expected = {"status": verdict.status, "reason": verdict.reason, "sent": 0}
        if verdict.status == "enqueue_failed":
            failed = [e for e in self.sandbox.events(self.customer, "campaign") if e.get("status") == "enqueue_failed"]
            observed |= {"message": outcome.get("message"), "event_message": failed[-1].get("message") if failed else None}
            expected |= {"message": verdict.message, "event_message": verdict.message}
        if observed != expected:
            raise CheckFailed(f"campaign {self.when()}", expected, observed)

    def batch_events(self) -> None:
        """OPT-BATCH-HOURLY: no events at the reply, both by the deadline, imported within the window."""
        allowed = consent.events_may_be_visible(self.received_at, self.sandbox.now)
        rejects = reply_rejects(self.sandbox)
        visible = bool(rejects)
        observed = {"consent_rejects": visible, "incoming_messages": len(incoming(self.sandbox)),
                    "imported": sorted({e.get("imported_timestamp") for e in rejects})}
        in_window = all(isinstance(t, str) and consent.processed_in_time(self.received_at, parse_time(t))
                        for t in observed["imported"])
        if visible not in allowed or observed["incoming_messages"] != int(visible) or not in_window:
            expected = {"consent_rejects": " or ".join(str(a) for a in sorted(allowed)), "incoming_messages": "1 with them",
                        "imported": f"after {format_time(self.received_at)}, within {consent.BATCH_DEADLINE}"}
            raise CheckFailed(f"events {self.when()}", expected, observed)

    def consent_fields(self) -> None:
        """CONS-FIELDS: each consent reject of the reply carries the seed's fields."""
        imported_at = self.processed_at()
        wanted = {e["category"]: e for e in consent.expected_consent_events(
            customer_ids=[self.customer], categories=self.categories, sender=self.number, body=self.body,
            received_at=self.sandbox.reported_time(self.received_at), imported_at=imported_at)}
        got = reply_rejects(self.sandbox)
        if not got or not all(_field_matches(key, event.get(key), value) for event in got
                              for key, value in wanted.get(event.get("category"), {"category": None}).items()):
            shown = [{k: format_time(v) if isinstance(v, datetime) else v for k, v in w.items()} for w in wanted.values()]
            raise CheckFailed("consent reject fields", shown, got)

    def all_categories(self) -> None:
        """CONS-ALL-CATEGORIES: one reject per configured opt-out category."""
        got = sorted(str(e.get("category")) for e in reply_rejects(self.sandbox))
        if got != sorted(self.categories):
            raise CheckFailed(f"consent rejects of a reply with {len(self.categories)} opt-out categories",
                              sorted(self.categories), got)

    def incoming_fields(self) -> None:
        events = incoming(self.sandbox)
        got = events[0] if len(events) == 1 else {"events": events}
        wanted = {"customer_id": self.customer, "action_type": "sms", "status": "incoming_message", "message": self.body,
                  "sender": self.number, "recipient": LONG_CODE, "timestamp": self.sandbox.reported_time(self.received_at)}
        if not all(_field_matches(key, got.get(key), value) for key, value in wanted.items()):
            shown = {**wanted, "timestamp": format_time(wanted["timestamp"])}
            raise CheckFailed("incoming_message event fields", shown, got)


def _field_matches(key: str, observed, expected) -> bool:
    """Instants compare as instants and phones as identities; the rest literally."""
    if isinstance(expected, datetime):
        return same_instant(observed, expected)
    if key in ("identification", "sender", "recipient"):
        return phones.same_phone(observed, expected)
    return observed == expected


# requirement: (when to look: at once, "before"/"after" the batch or "any" time in two hours; Probe method)
TIMELINE = {
    "OPT-BLACKLIST-IMMEDIATE": (None, "blacklist"), "OPT-ENQUEUE-FAILED": ("before", "send"),
    "OPT-BATCH-HOURLY": ("any", "batch_events"), "OPT-NO-SEND-AFTER": ("after", "send"),
    "CONS-FIELDS": ("after", "consent_fields"), "CONS-ALL-CATEGORIES": ("after", "all_categories"),
    "IN-EVENT-FIELDS": ("after", "incoming_fields"),
}


@pytest.mark.parametrize("aspect", [pytest.param(r, marks=pytest.mark.requirement(r), id=r) for r in TIMELINE])
@check_settings(10)
@given(offset_ms=s.offsets_in_hour().map(lambda seconds: round(seconds * 1000)), body=OPT_OUT_REPLIES,
       extra_categories=st.integers(0, 4), data=st.data())
def test_reply_relative_to_batch(target, aspect, offset_ms, body, extra_categories, data):
    """A reply at any instant of the hour: blacklisted at once, enqueue_failed until processed, events within two hours."""
    number = s.mobile_number("FR", 3)
    with Sandbox(target, start=START + timedelta(milliseconds=offset_ms)) as sandbox:
        categories = [CATEGORY] + [f"sms_category_{i}" for i in range(extra_categories)]  # up to 5 (KW-CATEGORIES)
        config = two_way_config(categories=categories)
        config["sending"]["sender"] = "Shop"  # campaigns under a name: the reply's recipient is still the long code
        sandbox.configure(config)
        # Stored with double zeroes (001's own form), replying as the provider reports it (bare digits): the
        # blacklist must hold the number, not one way of writing it.
        probe = Probe(sandbox, sandbox.customer(s.written_as(number, "00")), number, body, sandbox.now, categories)
        sandbox.reply(number, body)
        deadline_ms = round(consent.BATCH_DEADLINE.total_seconds() * 1000)
        # "before": at the reply or up to the deadline (the platform's own processing decides what is due);
        # "after": past the deadline, when every conforming platform has processed the reply.
        bounds = {"before": (0, deadline_ms - 1), "after": (deadline_ms, deadline_ms + 3_600_000), "any": (0, deadline_ms + 1)}
        moment, check = TIMELINE[aspect]
        if moment:
            sandbox.advance(data.draw(st.integers(*bounds[moment]), label="probe ms after the reply") / 1000)
        getattr(probe, check)()


# -- LI-NEW-PROFILE-BLOCK ---------------------------------------------------------------------------
@pytest.mark.requirement("LI-NEW-PROFILE-BLOCK")
@check_settings(8)
@given(number=s.mobile_numbers(), form=s.CUSTOMER_FORMS, hours_later=st.integers(1, 48), accept=st.booleans(),
       created_with=st.sampled_from([None, "accept"]))
@example(number="+4915123456789", form="00", hours_later=1, accept=False, created_with=None)
@example(number="+4915123456789", form="+", hours_later=1, accept=False, created_with="accept")
@example(number="+4915123456789", form="+", hours_later=3, accept=True, created_with=None)
def test_legitimate_interest_blocks_new_profiles(target, number, form, hours_later, accept, created_with):
    """Under legitimate interest a profile created after an opt-out, in any phone form, is blocked until an accept
    is tracked for it; a consent given when it is created is no such accept."""
    with Sandbox(target) as sandbox:
        config = two_way_config()
        config["consent_categories"] = [{"name": CATEGORY, "legal_basis": "legitimate_interest"}]
        sandbox.configure(config)
        sandbox.customer(number, consents={})
        sandbox.reply(number, "stop")
        sandbox.past_batch()
        sandbox.advance(3600 * (hours_later - 1))
        created = {CATEGORY: created_with} if created_with else {}
        newcomer = sandbox.customer(s.written_as(number, form), consents=created)
        if accept:
            sandbox.ws.track_consent(newcomer, CATEGORY, "accept")
        recipient = eligibility.Recipient(s.written_as(number, form),
                                          consents={CATEGORY: "accept"} if accept or created_with else {},
                                          sms_subscription="subscribed", legitimate_interest_blocked=not accept)
        expected = eligibility.decide(recipient, kind="campaign", body="Spring sale", category=CATEGORY,
                                      legal_basis="legitimate_interest")
        outcome, = sandbox.send([newcomer], "Spring sale")
        sent = len(sandbox.messages(direction="mt", to=number, body="Spring sale"))
        observed = {"status": outcome["status"], "reason": outcome.get("reason"), "sent": sent}
        wanted = {"status": expected.status, "reason": expected.reason, "sent": int(expected.status == "enqueued")}
        if observed != wanted:
            raise CheckFailed(f"a profile created {hours_later} h after {number} opted out"
                              + (f" with consent {created_with!r}" if created_with else "")
                              + (", then accepting explicitly" if accept else ""), wanted, observed)


# -- IN-DUPLICATE: a provider retries a callback -------------------------------------------------
@pytest.mark.requirement("IN-DUPLICATE")
@check_settings(4)
@given(body=DUPLICATE_REPLIES, profiles=st.integers(1, 3), sender=s.SENDER_FORMS)
@example(body="stop", profiles=2, sender="+")
@example(body="Thanks!", profiles=1, sender="bare")
def test_reply_delivered_twice(target, body, profiles, sender):
    """A reply the provider delivers twice (same message id) gives one reject per profile and category and one
    incoming message."""
    number = s.mobile_number("NL", 9)
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config())
        for _ in range(profiles):
            sandbox.customer(number)
        fault = sandbox.fakes.add_fault({"provider": sandbox.provider, "account": sandbox.accounts[sandbox.provider], "times": 1,
                                         "endpoint": "callback", "kind": "duplicate_callback"})
        try:
            sandbox.reply(s.written_as(number, sender), body)
        finally:
            sandbox.fakes.delete_fault(fault["id"])
        sandbox.past_batch()
        keys = [(e["customer_id"], e.get("category")) for e in reply_rejects(sandbox)]
        observed = {"repeated_rejects": sorted({k for k in keys if keys.count(k) > 1}),
                    "incoming_messages": len(incoming(sandbox))}
        if observed != {"repeated_rejects": [], "incoming_messages": 1}:
            raise CheckFailed(f"reply {body!r} delivered twice to {profiles} profile(s)",
                              {"repeated_rejects": [], "incoming_messages": 1}, observed)


# -- OPT-DISABLED, IN-TRACKED: the two switches of 001's configuration -------------------------------
SWITCH_ASPECTS = [pytest.param("opt_out", marks=pytest.mark.requirement("OPT-DISABLED"), id="OPT-DISABLED"),
                  pytest.param("tracked", marks=pytest.mark.requirement("IN-TRACKED"), id="IN-TRACKED")]
SWITCH_REPLIES = st.sampled_from(["stop", "STOP now", "arrêt", "Thanks!", "9", "Please stop"])


@pytest.mark.parametrize("aspect", SWITCH_ASPECTS)
@check_settings(4)
@given(opt_out_enabled=st.booleans(), track_incoming=st.booleans(), body=SWITCH_REPLIES)
@example(opt_out_enabled=False, track_incoming=True, body="stop")
@example(opt_out_enabled=True, track_incoming=True, body="Thanks!")
@example(opt_out_enabled=True, track_incoming=False, body="9")
def test_two_way_settings(target, aspect, opt_out_enabled, track_incoming, body):
    """With opt-out keywords disabled no reply opts out; with incoming tracking on, a reply without a keyword is
    tracked as an incoming_message event, and with it off it is not."""
    if aspect == "opt_out":
        opt_out_enabled = False  # OPT-DISABLED: what the switch turns off
    keywords = ["stop", "arret"]
    effect = kw_rules.reply_effect(body, keywords, opt_out_enabled=opt_out_enabled, track_incoming=track_incoming)
    number = s.mobile_number("IT", 5)
    with Sandbox(target) as sandbox:
        config = two_way_config(keywords)
        config["two_way"] |= {"opt_out_enabled": opt_out_enabled, "track_incoming": track_incoming}
        sandbox.configure(config)
        customer = sandbox.customer(number)
        sandbox.send([customer], "How did we do? Reply 0-10")
        sandbox.reply(number, body)
        sandbox.past_batch()  # an opt-out reply has been processed
        settings = f"opt_out_enabled={opt_out_enabled}, track_incoming={track_incoming}, reply {body!r}"
        if aspect == "opt_out":
            observed = {"blacklisted": number in sandbox.blacklisted(), "consent_rejects": len(reply_rejects(sandbox))}
            if observed != {"blacklisted": False, "consent_rejects": 0}:
                raise CheckFailed(settings, {"blacklisted": False, "consent_rejects": 0}, observed)
        elif effect != "opt_out":  # the seeds do not say whether an opt-out's incoming message needs tracking on
            got = [e for e in incoming(sandbox) if e.get("message") == body]
            if len(got) != int(effect == "tracked"):
                raise CheckFailed(settings, {"incoming_messages": int(effect == "tracked")},
                                  {"incoming_messages": len(got)})


# -- several replies in one hour, from phones with or without a profile ------------------------------
REPLIES_IN_HOUR = [pytest.param(r, marks=pytest.mark.requirement(r), id=r)
                   for r in ("OPT-BLACKLIST-IMMEDIATE", "OPT-BATCH-HOURLY")]


@pytest.mark.parametrize("aspect", REPLIES_IN_HOUR)
@check_settings(4)
@given(replies=st.lists(st.tuples(st.integers(0, 59), st.booleans()), min_size=1, max_size=4).map(sorted))
@example(replies=[(10, True), (20, True), (30, True)])  # three in one hour: all processed, not one per batch
@example(replies=[(5, False), (6, True)])  # a phone no profile has yet is blacklisted too
def test_replies_in_one_hour(target, aspect, replies):
    """Every opt-out reply of the hour is blacklisted at once, whether a profile has the phone yet or not, and
    every one of them is processed within the window, not one per batch. `replies`: (minute, has a profile)."""
    minutes, profiled = [m for m, _ in replies], [p for _, p in replies]
    numbers = [s.mobile_number("PL", 30 + i) for i in range(len(minutes))]
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config())
        customers = {n: sandbox.customer(n) for n, has in zip(numbers, profiled) if has}
        start = sandbox.now
        for number, minute in zip(numbers, minutes):
            sandbox.advance_to(start + timedelta(minutes=minute))
            sandbox.reply(number, "stop")
            if aspect == "OPT-BLACKLIST-IMMEDIATE" and number not in sandbox.blacklisted():
                raise CheckFailed(f"reply from {number} ({'with' if number in customers else 'without'} a profile) "
                                  f"not blacklisted at once", number, sorted(sandbox.blacklisted()))
        if aspect == "OPT-BATCH-HOURLY":
            sandbox.past_batch()  # past the window of the last reply, so past every reply's
            rejected = {e["customer_id"] for e in reply_rejects(sandbox)}
            missing = sorted(n for n, c in customers.items() if c not in rejected)
            if missing:
                raise CheckFailed(f"{len(minutes)} replies at minutes {minutes}: not processed within "
                                  f"{consent.BATCH_DEADLINE} of the reply", [], missing)
