"""The control API (docs/architecture.md, "Fakes: control API")."""
import json
from datetime import timedelta

from pathlib import Path

import pytest
import yaml

from fake_providers import control

from fake_providers.clock import parse_iso
from fake_providers.journal import Message

pytestmark = pytest.mark.anyio


def add_message(network, **overrides):
    now = network.clock.now()
    data = dict(id=f"m{len(network.journal.messages)}", provider="sinch", account="SP1",
                direction="mt", sender="Shop", recipient="+34600000001", body="hello",
                encoding="GSM", segment_count=1, status="Queued", created_at=now, status_at=now)
    data.update(overrides)
    return network.journal.add_message(Message(**data))


async def test_health_lists_providers_and_clock(client):
    body = (await client.get("/_smsproof/health")).json()
    assert body["status"] == "ok" and "sinch" in body["providers"]
    assert body["clock"]["mode"] == "real"


async def test_account_put_get_list_delete(client):
    settings = {"api_token": "T", "mo_callback_url": "http://p/mo",
                "numbers": [{"number": "004915112348765", "type": "long_code"},
                            {"number": "11221", "type": "short_code"},
                            {"number": "11222", "type": "shared_short_code",
                             "keywords": ["baby", "kids"]}]}
    put = await client.put("/_smsproof/accounts/sinch/SP1", json=settings)
    assert put.status_code == 200
    assert put.json()["numbers"][0] == {"number": "+4915112348765", "type": "long_code"}
    assert (await client.get("/_smsproof/accounts/sinch/SP1")).json() == put.json()
    listed = (await client.get("/_smsproof/accounts")).json()["accounts"]
    assert [a["account"] for a in listed] == ["SP1"]
    assert (await client.delete("/_smsproof/accounts/sinch/SP1")).status_code == 204
    missing = await client.get("/_smsproof/accounts/sinch/SP1")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@pytest.mark.parametrize("settings", [
    {"numbers": [{"number": "12", "type": "long_code"}]},
    {"numbers": [{"number": "11222", "type": "shared_short_code"}]},
    {"numbers": [{"number": "+4915112348765", "type": "landline"}]},
    {"api_token": 5},
    {"numbers": [{"number": "11222", "type": "shared_short_code", "keywords": 5}]},
    {"numbers": [{"number": "11222", "type": "shared_short_code", "keywords": "baby"}]},
    {"numbers": [{"number": "11222", "type": "shared_short_code", "keywords": [5]}]},
    {"numbers": [{"number": "+4915112348765", "type": ["long_code"]}]},
    {"numbers": [{"number": 4915112348765}]},
    {"numbers": {"number": "+4915112348765"}},
    {"mo_callback_url": ["http://p/mo"]},
])
async def test_invalid_account_settings_are_422(client, settings):
    response = await client.put("/_smsproof/accounts/sinch/SP1", json=settings)
    assert response.status_code == 422 and response.json()["error"] == "invalid_account"


async def test_unknown_provider_and_bad_json(client):
    assert (await client.put("/_smsproof/accounts/nope/X", json={})).status_code == 404
    bad = await client.put("/_smsproof/accounts/sinch/X", content=b"{",
                           headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"


async def test_messages_filters_match_across_number_forms(client, network):
    add_message(network, recipient="+34600000001", body="first hello")
    add_message(network, recipient="34600000002", body="second", account="SP2")
    for form in ("+34600000001", "0034600000001", "34600000001"):
        found = (await client.get("/_smsproof/messages", params={"to": form})).json()["messages"]
        assert [m["body"] for m in found] == ["first hello"]
    found = (await client.get("/_smsproof/messages", params={"account": "SP2"})).json()
    assert [m["to"] for m in found["messages"]] == ["34600000002"]
    found = (await client.get("/_smsproof/messages", params={"body": "hell"})).json()
    assert len(found["messages"]) == 1


async def test_messages_since_filter(virtual, network):
    add_message(network, body="old")
    await virtual.post("/_smsproof/clock/advance", json={"seconds": 60})
    add_message(network, body="new")
    found = (await virtual.get("/_smsproof/messages",
                               params={"since": "2026-01-05T10:00:30Z"})).json()["messages"]
    assert [m["body"] for m in found] == ["new"]
    bad = await virtual.get("/_smsproof/messages", params={"since": "yesterday"})
    assert bad.status_code == 422


async def test_verify_counts_and_gives_nearest_on_mismatch(client, network):
    add_message(network, recipient="+34600000001", body="Your code is 1234")
    ok = (await client.post("/_smsproof/messages/verify",
                            json={"to": "0034600000001", "body": "code", "count": 1})).json()
    assert ok == {"ok": True, "count": 1, "nearest": []}
    miss = (await client.post("/_smsproof/messages/verify",
                              json={"to": "+34600000001", "body": "STOP", "count": 1})).json()
    assert miss["ok"] is False and miss["count"] == 0
    assert miss["nearest"][0]["body"] == "Your code is 1234"


async def test_clock_virtual_advance_and_back_to_real(client):
    set_ = await client.post("/_smsproof/clock",
                             json={"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"})
    assert set_.json() == {"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"}
    advanced = (await client.post("/_smsproof/clock/advance", json={"seconds": 90.5})).json()
    assert advanced == {"mode": "virtual", "now": "2026-01-05T10:01:30.500Z", "fired": 0}
    assert (await client.post("/_smsproof/clock/advance", json={"seconds": -1})).status_code == 422
    assert (await client.post("/_smsproof/clock", json={"mode": "x"})).status_code == 422
    real = (await client.post("/_smsproof/clock", json={"mode": "real"})).json()
    assert real["mode"] == "real" and parse_iso(real["now"]) > parse_iso("2026-01-05T10:01:30Z") - timedelta(days=9999)


def json_request(value) -> dict:
    """A body as Python's json writes it: NaN and Infinity as those bare words."""
    return {"content": json.dumps(value), "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), float("-inf"), 1e15, 1e400, -1, -0.5,
                                     10 * 366 * 86400 + 1, "60", None, True])
async def test_clock_advance_refuses_what_is_not_a_finite_bounded_number_of_seconds(client, seconds):
    await client.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"})
    refused = await client.post("/_smsproof/clock/advance", **json_request({"seconds": seconds}))
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_clock"
    assert (await client.get("/_smsproof/clock")).json()["now"] == "2026-01-05T10:00:00.000Z"
    ten_years = await client.post("/_smsproof/clock/advance", json={"seconds": 10 * 366 * 86400})
    assert ten_years.status_code == 200 and ten_years.json()["now"] == "2036-01-13T10:00:00.000Z"


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"])
async def test_clock_refuses_a_now_outside_its_range(client, now):
    refused = await client.post("/_smsproof/clock", json={"mode": "virtual", "now": now})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_clock"
    assert (await client.get("/_smsproof/clock")).json()["mode"] == "real"


async def test_clock_advance_refuses_to_move_past_its_range(client):
    await client.post("/_smsproof/clock", json={"mode": "virtual", "now": "8999-12-01T00:00:00.000Z"})
    refused = await client.post("/_smsproof/clock/advance", json={"seconds": 60 * 86400})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_clock"
    assert (await client.get("/_smsproof/clock")).json()["now"] == "8999-12-01T00:00:00.000Z"


@pytest.mark.parametrize("msisdn,body", [
    ("abc", {"outcome": "failed"}), ("+", {"outcome": "failed"}), ("12", {"outcome": "failed"}),
    ("+34600000009", {"outcome": "failed", "delay_seconds": float("nan")}),
    ("+34600000009", {"outcome": "failed", "delay_seconds": float("inf")}),
    ("+34600000009", {"outcome": "failed", "delay_seconds": -1}),
])
async def test_an_outcome_for_a_non_phone_or_with_a_bad_delay_is_422(client, msisdn, body):
    refused = await client.put(f"/_smsproof/outcomes/{msisdn}", **json_request(body))
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_outcome"
    assert (await client.get("/_smsproof/outcomes")).json()["outcomes"] == []


@pytest.mark.parametrize("fields", [{"times": -1}, {"times": 0}, {"times": float("inf")},
                                    {"latency_ms": -5}, {"retry_after": -2}, {"latency_ms": float("inf")}])
async def test_a_fault_with_a_negative_or_infinite_number_is_422(client, fields):
    spec = {"provider": "sinch", "endpoint": "send", "kind": "status", "status": 503, **fields}
    refused = await client.post("/_smsproof/faults", **json_request(spec))
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_fault"
    assert (await client.get("/_smsproof/faults")).json()["faults"] == []


async def test_outcomes_script_list_delete(client, network):
    put = await client.put("/_smsproof/outcomes/+34600000009",
                           json={"outcome": "failed", "delay_seconds": 2})
    assert put.json() == {"msisdn": "+34600000009", "outcome": "failed", "delay_seconds": 2.0}
    assert network.handsets.outcome_for("0034600000009").outcome == "failed"
    assert (await client.get("/_smsproof/outcomes")).json()["outcomes"] == [put.json()]
    assert (await client.put("/_smsproof/outcomes/1", json={"outcome": "lost"})).status_code == 422
    assert (await client.delete("/_smsproof/outcomes/+34600000009")).status_code == 204
    assert (await client.delete("/_smsproof/outcomes/+34600000009")).status_code == 404
    assert network.handsets.outcome_for("+34600000009").outcome == "delivered"


@pytest.mark.parametrize(("suffix", "outcome"), [("0001", "failed"), ("0002", "expired"),
                                                 ("0003", "rejected"), ("0004", "bounced"),
                                                 ("0005", "delivered")])
def test_magic_numbers(network, suffix, outcome):
    assert network.handsets.outcome_for("+4915112340" + suffix).outcome == outcome
    assert network.handsets.outcome_for("+4915112340" + suffix).delay_seconds == 5


async def test_faults_add_list_delete(client):
    added = await client.post("/_smsproof/faults", json={
        "provider": "sinch", "endpoint": "send", "kind": "status", "status": 503,
        "retry_after": 2, "times": 1, "seed": 42})
    assert added.status_code == 201 and added.json()["id"]
    assert len((await client.get("/_smsproof/faults")).json()["faults"]) == 1
    assert (await client.delete(f"/_smsproof/faults/{added.json()['id']}")).status_code == 204
    assert (await client.delete(f"/_smsproof/faults/{added.json()['id']}")).status_code == 404
    for bad in ({"provider": "sinch", "kind": "status"},
                {"provider": "sinch", "kind": "explode"},
                {"provider": "sinch", "kind": "latency", "probability": 2}):
        assert (await client.post("/_smsproof/faults", json=bad)).status_code == 422
    await client.post("/_smsproof/faults", json={"provider": "sinch", "kind": "latency"})
    assert (await client.delete("/_smsproof/faults")).status_code == 204
    assert (await client.get("/_smsproof/faults")).json()["faults"] == []


async def test_reset_scope_leaves_other_accounts(client, network):
    add_message(network, account="SP1")
    add_message(network, account="SP2")
    await client.put("/_smsproof/accounts/sinch/SP1", json={})
    assert (await client.post("/_smsproof/reset",
                              json={"provider": "sinch", "account": "SP1"})).status_code == 204
    assert [m.account for m in network.journal.messages] == ["SP2"]
    assert network.accounts.get("sinch", "SP1") is not None
    assert (await client.post("/_smsproof/reset", json={"account": "SP1"})).status_code == 422
    assert (await client.post("/_smsproof/reset")).status_code == 204
    assert network.journal.messages == []


async def test_inbound_to_unowned_number_is_404(client):
    response = await client.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000001", "to": "+4915100000000", "body": "STOP"})
    assert response.status_code == 404
    bad = await client.post("/_smsproof/inbound", json={"provider": "sinch"})
    assert bad.status_code == 422


async def test_journal_kind_filter_validated(client):
    assert (await client.get("/_smsproof/journal", params={"kind": "x"})).status_code == 422
    assert (await client.get("/_smsproof/journal")).json() == {"entries": [], "next_cursor": None}
    assert (await client.get("/_smsproof/callbacks", params={"state": "x"})).status_code == 422


async def pages(client, path: str, key: str, **params) -> tuple[list, int]:
    items, cursor, count = [], None, 0
    while True:
        page = (await client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        items, count = items + page[key], count + 1
        if page["next_cursor"] is None:
            return items, count
        cursor = page["next_cursor"]


async def test_listings_are_paged_with_a_default_limit_and_an_opaque_cursor(client, network):
    for n in range(control.PAGE_LIMIT + 5):
        add_message(network, id=f"m{n}", account="SP1" if n % 2 else "SP2")
        network.journal.record("sinch", "SP1", "mo", network.clock.now(), n=n)
    first = (await client.get("/_smsproof/messages")).json()
    assert len(first["messages"]) == control.PAGE_LIMIT and isinstance(first["next_cursor"], str)
    rest = (await client.get("/_smsproof/messages", params={"cursor": first["next_cursor"]})).json()
    assert [m["id"] for m in first["messages"] + rest["messages"]] == [
        f"m{n}" for n in range(control.PAGE_LIMIT + 5)] and rest["next_cursor"] is None
    mine, count = await pages(client, "/_smsproof/messages", "messages", account="SP2", limit=100)
    assert [m["id"] for m in mine] == [f"m{n}" for n in range(0, control.PAGE_LIMIT + 5, 2)]
    assert count == 6
    entries, count = await pages(client, "/_smsproof/journal", "entries", kind="mo", limit=400)
    assert [e["n"] for e in entries] == list(range(control.PAGE_LIMIT + 5)) and count == 3


async def test_callbacks_are_paged_and_filtered_by_state(client, network):
    outbox = network.outbox
    created = [outbox.create("sinch", "SP1", "mo", None, {"n": n}, network.providers["sinch"].retry_policy)
               for n in range(25)]
    for callback in created[::3]:
        callback.state = "failed"
    failed, count = await pages(client, "/_smsproof/callbacks", "callbacks", state="failed", limit=4)
    assert [c["payload"]["n"] for c in failed] == list(range(0, 25, 3)) and count == 3
    every, _ = await pages(client, "/_smsproof/callbacks", "callbacks", limit=7)
    assert [c["id"] for c in every] == [c.id for c in created]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": str(control.MAX_PAGE_LIMIT + 1)},
                                    {"limit": "ten"}, {"limit": "-1"}, {"limit": "9" * 40},
                                    {"cursor": "x"}, {"cursor": "-1"}, {"cursor": "1" * 40},
                                    {"cursor": "\u0661"}])
@pytest.mark.parametrize("path", ["/_smsproof/messages", "/_smsproof/journal", "/_smsproof/callbacks"])
async def test_a_bad_limit_or_cursor_is_422(client, path, params):
    response = await client.get(path, params=params)
    assert response.status_code == 422 and response.json()["error"] in ("invalid_limit", "invalid_cursor")


async def test_verify_counts_past_a_page_and_ranks_the_nearest_by_fewest_misses(client, network):
    for n in range(control.YIELD_EVERY + 10):
        add_message(network, id=f"m{n}", body="code" if n % 2 else "other")
    verdict = (await client.post("/_smsproof/messages/verify", json={"body": "code", "count": 1})).json()
    assert verdict["count"] == (control.YIELD_EVERY + 10) // 2 and not verdict["ok"]
    assert [m["id"] for m in verdict["nearest"]] == ["m1", "m3", "m5", "m7", "m9"]


def test_openapi_document_lists_every_control_route(app):
    document = yaml.safe_load((Path(control.__file__).parent / "openapi" / "control.yaml").read_text())
    documented = {p.replace("{id}", "{fault_id}").replace("{account}", "{account:path}")
                  for p in document["paths"]}
    served = {r.path for r in control.routes(app.state.network)}
    assert served == documented


async def test_verify_ranks_the_nearest_among_the_newest_messages_only(client, network, monkeypatch):
    monkeypatch.setattr(control, "NEAREST_AMONG", 3)
    for n in range(6):
        add_message(network, id=f"m{n}", body="Your code is 1234" if n == 0 else "unrelated")
    verdict = (await client.post("/_smsproof/messages/verify", json={"body": "code 1234", "count": 1})).json()
    assert [m["id"] for m in verdict["nearest"]] == ["m3", "m4", "m5"]
