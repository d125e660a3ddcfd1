"""The reference platform does what `harness/driver/openapi.yaml` says: Schemathesis generates
requests valid and invalid by the document and checks every answer against it (no 500, only
documented statuses and bodies, valid requests accepted, invalid ones refused, complete `Allow`
headers). Bounded, in-process, against one workspace and customer made first (the operations
on a workspace or customer would otherwise only ever meet a 404).

A lazy schema (loaded by a fixture, every operation a subtest of one test), so that Schemathesis
generates its coverage examples only in the pytest-xdist worker that runs it."""
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

import harness.driver
from reference_platform import app as reference

T0 = "2026-01-05T10:00:00.000Z"
# Valid by the document, refused for a reason it cannot state: a send or an agent message needs
# a configured provider and sender, a callback body follows its provider's own format, and JSON
# Schema cannot say which digit strings a country numbers.
STATE_DEPENDENT = ("POST /workspaces/{ws}/sends", "POST /webhooks/{ws}/{provider}/{kind}")
UNSAYABLE = ("international form", "not configured", "needs a provider", "duplicate", "configured inbound numbers",
             "unknown time zone", "provider keyword", "only one", "needs its phone number", "phone number or short code",
             # an object merged into the stored one must make it complete
             "required string", "must be HH:MM", "list of weekdays", "must be an integer", "must be a number")


@pytest.fixture
def platform():
    """The reference app, a client of it, and one workspace and customer made first."""
    app = reference.create_app()
    client = TestClient(app, base_url="http://platform.test")
    ws = client.post("/driver/v1/workspaces").json()["workspace"]
    customer = client.post(f"/driver/v1/workspaces/{ws}/customers", json={"phone": "+34600000001"}).json()["id"]
    return app, client, ws, customer


@pytest.fixture
def driver_schema(platform):
    loaded = schemathesis.openapi.from_path(Path(harness.driver.__file__).with_name("openapi.yaml"))
    loaded.app = platform[0]
    return loaded


schema = schemathesis.pytest.from_fixture("driver_schema")


@pytest.mark.slow(4)
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_driver_api_conforms_to_its_openapi_document(case, platform):
    _, client, ws, customer = platform
    params = case.path_parameters or {}
    if "ws" in params:  # a workspace of its own for the one operation that deletes it
        params["ws"] = client.post("/driver/v1/workspaces").json()["workspace"] if case.method == "DELETE" else ws
    if "id" in params:
        params["id"] = customer
    if case.path.startswith("/workspaces/{ws}/clock"):
        client.put(f"/driver/v1/workspaces/{ws}/clock", json={"now": T0})  # ten years to go each time
    # /r/ and /webhooks/ are served at the platform's root (path-level `servers` in the document,
    # which Schemathesis does not apply)
    root = case.path.startswith(("/r/", "/webhooks/"))
    response = case.call(base_url="http://platform.test" + ("" if root else "/driver/v1"))
    excluded = []
    if response.status_code in (400, 422) and (case.operation.label in STATE_DEPENDENT or all(
            any(reason in error["message"] for reason in UNSAYABLE) for error in response.json().get("errors", [{}]))):
        excluded = [positive_data_acceptance]
    case.validate_response(response, excluded_checks=excluded)
