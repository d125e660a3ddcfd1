"""Sinch's listings (`GET /batches`, `GET /delivery_reports`, `GET /inbounds`) and the
`client_reference` an MO picks up are answered from indexes (sinch_tables.py): the answers are
those of a walk over every batch and inbound (the code before the indexes, kept here as the
reference) through sends, updates, replaces, cancels, deliveries, MOs, retention, resets and a
clock set back; and a read among many batches touches only the records it answers with."""
import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fake_providers import listing
from fake_providers.app import create_app
from fake_providers.clock import iso_millis
from fake_providers.network import Network
from fake_providers.phones import same_number
from fake_providers.sinch_requests import SinchError
from fake_providers.sinch_tables import NO_BATCHES, NO_INBOUNDS
from fake_providers.table import ChunkedTable

T0 = datetime(2026, 1, 5, 10, tzinfo=timezone.utc)
PLANS = ("SP1", "SP2")
PHONES = ("+34600000001", "+34600000002", "+34600000003")
SENDERS = ("Shop", "shop", "+4915112348765", "4915112348765", "004915112348765", None)
REFERENCES = (None, "", "order-1", "order-2")
STATUSES = ("Queued", "dispatched", "DELIVERED", "Failed", "Aborted", "Expired", "nothing")
CODES = ("0", "400", "401", "402", "404", "407", "406")


# -- the reference: every batch walked, as sinch.py did before its listings had indexes --------
def walked_batches(sinch, account, query: dict) -> dict:
    page, page_size = sinch._paging(query)
    start, end = sinch._window(query)
    senders = [s for s in (query.get("from") or "").split(",") if s]
    reference = query.get("client_reference")
    found = [b for b in sinch._batches.get(account.id, NO_BATCHES).newest_first()
             if start <= b.created_at <= end
             and (not senders or any(same_number(b.sender or "", s) for s in senders))
             and (reference is None or b.fields.get("client_reference") == reference)]
    items = found[page * page_size:(page + 1) * page_size]
    return {"count": len(found), "page": page, "page_size": len(items),
            "batches": [b.to_dict() for b in items]}


def walked_reports(sinch, account, query: dict) -> dict:
    page, page_size = sinch._paging(query)
    start, end = sinch._window(query)
    statuses, codes = sinch._status_filter(query), sinch._code_filter(query)
    reference = query.get("client_reference")
    reports = [sinch.recipient_report(b, r)
               for b in sinch._batches.get(account.id, NO_BATCHES).newest_first()
               if start <= b.created_at <= end
               and (reference is None or b.fields.get("client_reference") == reference)
               for r in b.recipients
               if (statuses is None or r.report_status.lower() in statuses)
               and (codes is None or r.code in codes)]
    items = reports[page * page_size:(page + 1) * page_size]
    return {"count": len(reports), "page": page, "page_size": len(items), "delivery_reports": items}


def walked_inbounds(sinch, account, query: dict) -> dict:
    page, page_size = sinch._paging(query)
    start, end = sinch._window(query)
    numbers = [n for n in (query.get("to") or "").split(",") if n]
    reference = query.get("client_reference")
    found = [i.payload for i in reversed(list(sinch._inbounds.get(account.id, NO_INBOUNDS).values()))
             if start <= i.received_at <= end
             and (not numbers or any(same_number(i.payload["to"], n) for n in numbers))
             and (reference is None or i.payload.get("client_reference") == reference)]
    items = found[page * page_size:(page + 1) * page_size]
    return {"page": page, "page_size": len(items), "count": len(found), "inbounds": items}


def walked_last_reference(sinch, account, phone: str) -> str | None:
    for batch in sinch._batches.get(account.id, NO_BATCHES).newest_first():
        if batch.fields.get("client_reference") is not None and any(
                same_number(r.msisdn, phone) for r in batch.recipients):
            return batch.fields["client_reference"]
    return None


def fresh_sinch(bound: int | None = None):
    """The fakes on virtual time with plans SP1 and SP2, whose callbacks a stub answers 200."""
    stub = httpx.MockTransport(lambda request: httpx.Response(200))
    network = Network(client_factory=lambda: httpx.AsyncClient(transport=stub))
    network.journal.max_records = bound
    create_app(network)
    network.clock.set_mode("virtual", T0)
    for plan in PLANS:
        network.accounts.put("sinch", plan, {
            "api_token": plan, "dlr_callback_url": "http://platform/dlr",
            "mo_callback_url": "http://platform/mo",
            "numbers": [{"number": "+4915112348765"}, {"number": "+4915112348766"}]})
    return network, network.providers["sinch"]


listed = st.lists(st.sampled_from(PHONES + SENDERS[:-1] + ("", " ")), max_size=3).map(",".join)
queries = st.fixed_dictionaries({}, optional={
    "start_date": st.integers(-90, 30), "end_date": st.integers(-60, 60),
    "from": listed, "to": listed, "client_reference": st.sampled_from(REFERENCES[1:]),
    "status": st.lists(st.sampled_from(STATUSES), max_size=3).map(",".join),
    "code": st.lists(st.sampled_from(CODES), max_size=3).map(",".join),
    "page": st.integers(0, 4).map(str), "page_size": st.integers(1, 4).map(str)})

EACH_FILTER = [{"page_size": "2", "page": "1"}, *({"status": s} for s in STATUSES),
               *({"code": c} for c in CODES), *({"client_reference": r} for r in REFERENCES[1:]),
               *({"from": s, "to": s} for s in SENDERS[:-1] + PHONES)]


class SinchListings(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.batches: list[tuple[str, str]] = []

    def teardown(self) -> None:
        self.loop.close()

    @initialize(bound=st.none() | st.integers(4, 30))
    def start(self, bound):
        self.network, self.sinch = fresh_sinch(bound)

    def account(self, plan: str):
        return self.network.accounts.get("sinch", plan)

    def chosen(self, n: int) -> tuple:
        plan, batch_id = self.batches[n % len(self.batches)]
        return self.account(plan), batch_id

    @rule(sends=st.lists(st.tuples(
        st.sampled_from(PLANS), st.sampled_from(SENDERS),
        st.lists(st.sampled_from(PHONES), min_size=1, max_size=3), st.sampled_from(REFERENCES),
        st.sampled_from(["none", "per_recipient", "summary"]), st.sampled_from([None, 30, 600])),
        min_size=1, max_size=6))
    def send(self, sends):
        for plan, sender, to, reference, report, later in sends:
            body = {"to": to, "body": "hi", "delivery_report": report}
            if sender is not None:
                body["from"] = sender
            if reference is not None:
                body["client_reference"] = reference
            if later is not None:
                body["send_at"] = iso_millis(self.network.clock.now() + timedelta(seconds=later))
            try:
                self.batches.append((plan, self.sinch.send(self.account(plan), body).id))
            except SinchError:
                pass  # no `from` and no default originator

    @rule(n=st.integers(0, 100), sender=st.sampled_from(SENDERS[:-1]),
          reference=st.sampled_from(REFERENCES), to=st.lists(st.sampled_from(PHONES), max_size=2),
          replace=st.booleans())
    def change(self, n, sender, reference, to, replace):
        if not self.batches:
            return
        account, batch_id = self.chosen(n)
        try:
            if replace:
                body = {"from": sender, "to": to or [PHONES[0]], "body": "again"}
                if reference is not None:
                    body["client_reference"] = reference
                self.sinch.replace(account, batch_id, body)
            else:
                self.sinch.update(account, batch_id, {"from": sender, "client_reference": reference,
                                                      "to_add": to})
        except SinchError:
            pass  # dispatched, or gone

    @rule(n=st.integers(0, 100))
    def cancel(self, n):
        if self.batches:
            try:
                self.sinch.cancel(*self.chosen(n))
            except SinchError:
                pass

    @rule(seconds=st.sampled_from([0, 1, 5, 60, 700]))
    def advance(self, seconds):
        self.loop.run_until_complete(self.network.clock.advance(seconds))

    @rule(minutes=st.integers(1, 90))
    def set_clock_back(self, minutes):
        self.network.clock.set_mode("virtual", self.network.clock.now() - timedelta(minutes=minutes))

    @rule(plan=st.sampled_from(PLANS), phone=st.sampled_from(PHONES + ("0034600000002", "34600000003")),
          number=st.integers(0, 1))
    def mo(self, plan, phone, number):
        account = self.account(plan)
        expected = walked_last_reference(self.sinch, account, phone)
        self.loop.run_until_complete(self.sinch.receive(account, account.numbers[number], phone, "hi"))
        newest = next(iter(reversed(list(self.sinch._inbounds[plan].values()))))
        assert newest.payload.get("client_reference") == expected

    @rule(plan=st.sampled_from(PLANS))
    def reset(self, plan):
        self.network.reset("sinch", plan)

    @rule(plan=st.sampled_from(PLANS), query=queries)
    def listings_answer_as_a_walk_does(self, plan, query):
        now = self.network.clock.now()
        query = {k: iso_millis(now + timedelta(minutes=v)) if k.endswith("_date") else v
                 for k, v in query.items()}
        for asked in EACH_FILTER + [query]:
            self.check(self.account(plan), asked)

    def check(self, account, query: dict) -> None:
        assert self.sinch.list_batches(account, query) == walked_batches(self.sinch, account, query)
        try:
            expected = walked_reports(self.sinch, account, query)
        except SinchError:  # a code that is not a number
            with pytest.raises(SinchError):
                self.sinch.list_reports(account, query)
        else:
            assert self.sinch.list_reports(account, query) == expected
        assert self.sinch.list_inbounds(account, query) == walked_inbounds(self.sinch, account, query)

    @invariant()
    def every_batch_is_listed_once(self):
        for plan in PLANS:
            table = self.sinch._batches.get(plan)
            if table is not None:
                assert len(table.store) == len(table)


SinchListings.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestSinchListings = SinchListings.TestCase


def test_a_listing_among_many_batches_touches_only_what_it_answers(monkeypatch):
    """No listing walks the batches: a page deep into 5,000 batches (filtered by sender,
    reference, report status) reads about its own page of records."""
    network, sinch = fresh_sinch()
    account = network.accounts.get("sinch", "SP1")
    for n in range(5000):
        sinch.send(account, {"to": [PHONES[n % 3]], "from": "Shop" if n % 2 else "+4915112348765",
                             "body": "hi", "client_reference": f"order-{n % 2}"})
    asyncio.run(network.clock.advance(1))
    asyncio.run(sinch.receive(account, account.numbers[0], PHONES[0], "hi"))

    def no_walk(self):
        raise AssertionError("a listing walked every record")
    monkeypatch.setattr(ChunkedTable, "newest_first", no_walk)
    monkeypatch.setattr(ChunkedTable, "values", no_walk)
    touched = []
    get = listing.Store.get
    monkeypatch.setattr(listing.Store, "get", lambda self, n: touched.append(n) or get(self, n))
    window = {"start_date": iso_millis(T0 - timedelta(hours=1))}
    for query, answers in (({}, "batches"), ({"from": "shop"}, "batches"),
                           ({"client_reference": "order-1", "from": "+4915112348765,Shop"}, "batches"),
                           ({"status": "delivered,dispatched"}, "delivery_reports"),
                           ({"client_reference": "order-0", "code": "401"}, "delivery_reports")):
        touched.clear()
        listed = (sinch.list_reports if answers == "delivery_reports" else sinch.list_batches)(
            account, {**window, **query, "page": "40", "page_size": "30"})
        assert listed["page_size"] == 30 and listed["count"] >= 2500
        assert len(touched) <= 2 * 30  # the page's records (reports: batch and recipient)
    assert sinch.list_inbounds(account, {**window, "to": "+4915112348765"})["count"] == 1
    assert sinch._last_reference(account, PHONES[2]) == "order-1"  # 4999 % 3 == 1: the newest is 4997
