"""Hostile bodies on the driver API and the provider webhooks get a documented answer (422 on the
driver API, 400 on a webhook), never a 500; and a 500, should a defect cause one, tells nothing of
the exception."""

import json

from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.testclient import TestClient

from reference_platform import app as reference

DEEP = "[" * 3000 + "]" * 3000
hostile = st.sampled_from(['"\\ud800"', '"x\\udc00y"', "1e400", "-1e999", "NaN", "Infinity", DEEP,
                           "[" * 40 + "]" * 40, '{"a": ' * 600 + "1" + "}" * 600, "[{}]", "{}", "[[]]"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6)
DRIVER_BODIES = {  # path -> (method, a valid body with a hole for one field)
    "/config": ("PUT", '{"sending": {"sender": %s}}'),
    "/customers": ("POST", '{"phone": "+34600000002", "attributes": {"first_name": %s}}'),
    "/sends": ("POST", '{"kind": "campaign", "category": "sms_marketing", "body": "Hi", "customer_ids": %s}'),
    "/clock": ("PUT", '{"now": %s}'),
    "/clock/advance": ("POST", '{"seconds": %s}'),
    "/contact-centre/messages": ("POST", '{"to": "+34600000001", "body": %s}'),
}


def _post(p, method, path, content):
    return p.client.request(method, path, content=content, headers={"content-type": "application/json"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(DRIVER_BODIES)), hostile)
def test_hostile_driver_bodies_are_a_422_never_a_500(p, path, value):
    method, template = DRIVER_BODIES[path]
    response = _post(p, method, p.url(path), (template % value).encode())
    assert response.status_code in (200, 201, 422), response.text
    if response.status_code == 422:
        assert all(e["message"] for e in response.json()["errors"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_values, st.lists(json_values, max_size=3)))
def test_any_customer_ids_is_sent_or_a_422(p, ids):
    response = p.send_raw(customer_ids=ids, body="Hi", sender="Shop")
    assert response.status_code in (200, 422), response.text


def test_a_customer_ids_list_of_objects_is_a_422_at_its_index(p):
    response = p.send_raw(customer_ids=[{}], body="Hi", sender="Shop")
    assert response.status_code == 422, response.text
    assert "customer_ids[0]" in [e["path"] for e in response.json()["errors"]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["sinch", "cm", "instasent"]), st.sampled_from(["mo", "dlr"]), hostile)
def test_hostile_webhook_bodies_are_a_400_never_a_500(p, provider, kind, value):
    body = '{"type": "mo_text", "from": "34600000001", "to": "4915112348765", "body": %s, ' \
           '"message": %s, "id": "x"}' % (value, value)
    response = p.post_webhook(provider, kind, content=body.encode())
    assert response.status_code in (200, 400, 401), response.text
    if response.status_code == 400:
        assert response.json()["error"] == "malformed"


def test_a_500_does_not_echo_the_exception(monkeypatch):
    from reference_platform import contact_centre

    def broken(ws):
        raise RuntimeError("secret internals at /srv/app")

    monkeypatch.setattr(contact_centre, "queue_state", broken)
    with TestClient(reference.create_app(), raise_server_exceptions=False) as client:
        ws = client.post("/driver/v1/workspaces").json()["workspace"]
        response = client.get(f"/driver/v1/workspaces/{ws}/contact-centre/queue")
    assert response.status_code == 500
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert json.loads(response.text)["error"] == "internal"
