"""Bad input to the driver API is a documented 422 (`{"errors": [{"path", "message"}]}`), never a 500,
and leaves the workspace as it was."""

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from driven_platform import T0

TEN_YEARS = 10 * 366 * 86400


def post_json(p, path, value):
    """A body as Python's json writes it: NaN and Infinity as those bare words (which JSON parsers accept)."""
    return p.client.post(p.url(path), content=json.dumps(value), headers={"content-type": "application/json"})


def assert_422(response, path):
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["path"] for e in errors] == [path] and all(e["message"] for e in errors)


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), float("-inf"), 1e13, 1e400, -1,
                                     TEN_YEARS + 1, "60", None, True])
def test_clock_advance_refuses_what_is_not_a_finite_bounded_number_of_seconds(p, seconds):
    assert_422(post_json(p, "/clock/advance", {"seconds": seconds}), "seconds")
    assert p.now() == T0


def test_clock_advance_up_to_ten_years_moves_the_clock(p):
    assert p.advance(TEN_YEARS)["now"] == "2036-01-13T10:00:00.000Z"


@pytest.mark.parametrize("now", ["yesterday", "", 5, None, "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
                                 "9999-12-31T23:59:59Z", "2026-01-05T10:00:00+25:00"])
def test_put_clock_refuses_a_malformed_or_out_of_range_now(p, now):
    assert_422(p.client.put(p.url("/clock"), json={"now": now}), "now")
    assert p.now() == T0


@pytest.mark.parametrize("body", [b"{", b"[]", b'"now"', b"{}"])
def test_put_clock_refuses_a_body_without_now(p, body):
    response = p.client.put(p.url("/clock"), content=body, headers={"content-type": "application/json"})
    assert_422(response, "now")


@pytest.mark.parametrize("params,path", [({"kind": "zz"}, "kind"), ({"kind": "alert"}, "kind"),
                                         ({"since": "0001-01-01T00:00:00+01:00"}, "since/until"),
                                         ({"until": "soon"}, "since/until")])
def test_received_refuses_an_unknown_kind_or_a_bad_timestamp(p, params, path):
    customer = p.customer()
    assert_422(p.client.get(p.url(f"/customers/{customer['id']}/received"), params=params), path)


def test_received_accepts_the_documented_kinds(p):
    customer = p.customer()
    assert [p.received(customer["id"], kind=kind) for kind in ("campaign", "transactional", "")] == [0, 0, 0]


def test_a_field_with_two_problems_is_listed_once(p):
    response = p.send_raw(kind="alert", alert_phone=5, body="Alert", sender="Shop")
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths.count("alert_phone") == 1 and len(paths) == len(set(paths))
    [alert_phone] = [e for e in response.json()["errors"] if e["path"] == "alert_phone"]
    assert "must be a string" in alert_phone["message"] and "international form" in alert_phone["message"]


# Any code point, lone UTF-16 surrogates too (json.dumps writes them as \\udxxx escapes).
TEXT = st.characters(categories=["Cs"]) | st.characters()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(TEXT, max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_values, st.fixed_dictionaries({"seconds": json_values}), st.fixed_dictionaries({"now": json_values})))
def test_clock_bodies_answer_the_clock_or_a_422(p, body):
    for method, path in (("POST", "/clock/advance"), ("PUT", "/clock")):
        response = p.client.request(method, p.url(path), content=json.dumps(body),
                                    headers={"content-type": "application/json"})
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            assert response.json()["errors"]
        p.set_clock(T0)
