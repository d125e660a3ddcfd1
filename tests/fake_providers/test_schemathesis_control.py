"""The control API does what `fake_providers/openapi/control.yaml` says: Schemathesis generates
requests valid and invalid by the document and checks every answer against it (no 500, only
documented statuses and bodies, valid requests accepted, invalid ones refused). Bounded, in-process.

The schema is loaded by a fixture (a lazy schema, every operation a subtest of one test): built at
collection, Schemathesis would generate its coverage examples in every pytest-xdist worker (about
3 s of CPU each), not only in the one that runs the test."""
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

import fake_providers
from fake_providers.app import create_app
from fake_providers.network import Network
from fake_providers.phones import to_e164
from fake_providers.server import add_demo_accounts



@pytest.fixture
def control_schema():
    network = Network()
    app = create_app(network)
    add_demo_accounts(network)
    loaded = schemathesis.openapi.from_path(Path(fake_providers.__file__).parent / "openapi" / "control.yaml")
    loaded.app = app
    return loaded


schema = schemathesis.pytest.from_fixture("control_schema")


@pytest.mark.slow(7)
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_control_api_conforms_to_its_openapi_document(case):
    response = case.call(base_url="http://fakes.test/_smsproof")
    # JSON Schema cannot say which digit strings a country numbers: the pattern is checked, and
    # a number of the right shape that no country allows is a documented 422.
    impossible = response.status_code == 422 and "not a phone number" in response.text
    impossible |= "msisdn" in (case.path_parameters or {}) and to_e164(case.path_parameters["msisdn"]) is None
    case.validate_response(response, excluded_checks=[positive_data_acceptance] if impossible else [])
