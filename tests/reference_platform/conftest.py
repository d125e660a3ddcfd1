"""Fixtures of the reference platform's tests (helpers: driven_platform.py)."""

import pytest
from driven_platform import BASE_CONFIG, Driven, TestClient, provider_fakes, reference


@pytest.fixture
def provider_mocks():
    with provider_fakes() as providers:
        yield providers


@pytest.fixture
def make_platform(provider_mocks):
    """make_platform(mutant=None, config=BASE_CONFIG) -> a Driven workspace of a fresh platform."""
    clients = []

    def make(mutant=None, config=BASE_CONFIG):
        client = TestClient(reference.create_app(mutant=mutant), base_url="http://platform.test")
        clients.append(client)
        driven = Driven(client, provider_mocks)
        if config:
            driven.configure(config)
        return driven

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def p(make_platform):
    return make_platform()
