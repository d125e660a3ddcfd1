"""In-process use: the real provider host names routed to the fakes through respx."""
import asyncio
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from fake_providers.testing import fake_providers_routed, running_server

pytest_plugins = ["fake_providers.testing"]
SEND = {"to": ["+34600000010"], "from": "Shop", "body": "hi"}


def platform_app(seen):
    async def hook(request):
        seen.append(json.loads(await request.body()))
        return JSONResponse({})

    async def page(request):
        return JSONResponse({"real": True})

    return Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/page", page)])


def test_fixture_routes_real_hosts_to_the_fakes(fake_providers):
    fake_providers.control.put("/_smsproof/accounts/sinch/SP1", json={"api_token": "T"})
    for host in ("us.sms.api.sinch.com", "eu.sms.api.sinch.com", "zt.au.sms.api.sinch.com"):
        response = httpx.post(f"https://{host}/xms/v1/SP1/batches", json=SEND,
                              headers={"Authorization": "Bearer T"})
        assert response.status_code == 201
    messages = fake_providers.control.get("/_smsproof/messages").json()["messages"]
    assert len(messages) == 3
    assert len(fake_providers.network.journal.messages) == 3  # the same journal


def test_async_clients_are_served_too(fake_providers):
    fake_providers.control.put("/_smsproof/accounts/sinch/SP1", json={"api_token": "T"})

    async def go():
        async with httpx.AsyncClient() as client:
            sent = await client.post("https://us.sms.api.sinch.com/xms/v1/SP1/batches",
                                     json=SEND, headers={"Authorization": "Bearer T"})
            listed = await client.get("https://us.sms.api.sinch.com/xms/v1/SP1/batches",
                                      headers={"Authorization": "Bearer T"})
            return sent.status_code, listed.json()["count"]

    assert asyncio.run(go()) == (201, 1)


def test_other_hosts_pass_through_and_callbacks_reach_a_real_platform():
    seen = []
    with running_server(platform_app(seen)) as platform, fake_providers_routed() as fakes:
        assert httpx.get(f"{platform}/page").json() == {"real": True}
        fakes.control.post("/_smsproof/clock", json={"mode": "virtual"})
        fakes.control.put("/_smsproof/accounts/sinch/SP1", json={
            "api_token": "T", "dlr_callback_url": f"{platform}/hook"})
        httpx.post("https://us.sms.api.sinch.com/xms/v1/SP1/batches", headers={"Authorization": "Bearer T"},
                   json={**SEND, "delivery_report": "per_recipient_final"})
        fakes.control.post("/_smsproof/clock/advance", json={"seconds": 5})
    assert [(r["type"], r["status"]) for r in seen] == [("recipient_delivery_report_sms", "Delivered")]


def test_drop_connection_fault_is_a_transport_error_in_process(fake_providers):
    fake_providers.control.put("/_smsproof/accounts/sinch/SP1", json={"api_token": "T"})
    fake_providers.control.post("/_smsproof/faults", json={
        "provider": "sinch", "endpoint": "send", "kind": "drop_connection", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post("https://us.sms.api.sinch.com/xms/v1/SP1/batches", json=SEND,
                   headers={"Authorization": "Bearer T"})
    assert httpx.post("https://us.sms.api.sinch.com/xms/v1/SP1/batches", json=SEND,
                      headers={"Authorization": "Bearer T"}).status_code == 201


def test_every_provider_host_is_routed_to_its_fake(fake_providers):
    for name, backend in fake_providers.network.providers.items():
        for pattern in backend.hosts:
            host = pattern.replace("*", "eu")
            response = httpx.get(f"https://{host}/no-such-path")  # unrouted: no network here
            assert response.status_code == 404, (name, host)
