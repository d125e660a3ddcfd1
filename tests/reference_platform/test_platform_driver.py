"""The driver API itself: capabilities, workspaces, configuration, clock, errors."""

from driven_platform import BASE_CONFIG


def test_capabilities(p):
    caps = p.client.get("/driver/v1/capabilities").json()
    assert caps["name"] == "reference" and caps["clock"] == "drivable" and caps["workspaces"] is True
    assert caps["providers"] == ["sinch", "cm", "instasent"] and len(caps["profiles"]) == 5
    assert caps["webhooks"]["sinch"]["mo"] == "{base}/webhooks/{workspace}/sinch/mo"
    assert "stop" in caps["process_default_keywords"]["unsubscribe"]
    assert caps["short_link_resolver"] == "{base}/r/{code}"


def test_workspace_webhooks_are_absolute(p):
    assert p.webhooks["sinch"] == {"mo": f"http://platform.test/webhooks/{p.ws}/sinch/mo",
                                   "dlr": f"http://platform.test/webhooks/{p.ws}/sinch/dlr"}
    assert set(p.webhooks) == {"sinch", "cm", "instasent"}


def test_workspaces_are_isolated_and_deletable(p):
    other = type(p)(p.client, p.providers)
    other.configure(BASE_CONFIG)
    p.customer()
    assert other.events() == [] and p.events() != []
    other.set_clock("2030-01-01T00:00:00.000Z")
    assert p.now() == "2026-01-05T10:00:00.000Z"
    assert p.client.delete(f"/driver/v1/workspaces/{other.ws}").status_code == 204
    assert p.client.get(f"/driver/v1/workspaces/{other.ws}/events").status_code == 404
    assert p.client.delete(f"/driver/v1/workspaces/{other.ws}").json()["error"] == "not_found"


def test_config_keys_not_given_keep_their_value(p):
    stored = p.configure(sending={"max_parts": 3})
    assert stored["sending"]["sender"] == "Shop" and stored["sending"]["max_parts"] == 3
    assert stored["two_way"]["keywords"] == ["stop", "arret"]


def test_invalid_config_changes_nothing_and_lists_every_problem(p):
    response = p.put_config({"default_provider": "twilio", "inbound_numbers": [{"number": "12", "type": "x"}],
                             "consent_categories": [{"name": "a", "legal_basis": "maybe"}],
                             "sending": {"max_parts": 0, "frequency_policy": {"max_campaigns": -1}},
                             "confirmation_policy": {"france": "sometimes"}, "bogus": 1})
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"default_provider", "inbound_numbers[0].number", "inbound_numbers[0].type", "inbound_numbers[0].provider",
            "consent_categories[0].legal_basis", "sending.max_parts", "sending.frequency_policy.max_campaigns",
            "sending.frequency_policy.period_hours", "confirmation_policy.france", "bogus"} <= paths
    assert p.ok(p.client.get(p.url("/config")))["default_provider"] == "sinch"
    assert p.put_config([1]).status_code == 422


def test_clock(p):
    assert p.ok(p.client.get(p.url("/clock"))) == {"now": "2026-01-05T10:00:00.000Z", "drivable": True}
    assert p.advance(90.5)["now"] == "2026-01-05T10:01:30.500Z"
    assert p.set_clock("2026-01-05T12:00:00+02:00")["now"] == "2026-01-05T10:00:00.000Z"
    assert p.client.put(p.url("/clock"), json={"now": "soon"}).status_code == 422
    assert p.client.post(p.url("/clock/advance"), json={"seconds": -1}).status_code == 422


def test_events_filter_and_order(p):
    customer = p.customer()
    p.send_one(customer)
    assert [e["type"] for e in p.events(customer["id"])] == ["consent", "campaign"]
    assert [e["type"] for e in p.events(type="consent")] == ["consent"]
    assert p.client.get(p.url("/events"), params={"type": "x"}).status_code == 422


def test_unknown_routes_answer_json_404(p):
    response = p.client.get("/driver/v1/nothing")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
