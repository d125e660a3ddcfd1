"""The send path's shortcuts answer exactly as the general code does: the shared JSON encoder,
UTC timestamps, and the remembered Host routing; and serve's collector policy."""
import gc
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from starlette import responses

from fake_providers.app import ProviderHosts
from fake_providers.clock import iso_millis
from fake_providers.provider import JSONResponse
from fake_providers.server import freeze_survivors

pytestmark = pytest.mark.anyio

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=100)
@given(JSON, st.sampled_from([200, 201, 400, 503]))
def test_json_response_is_starlettes_byte_for_byte(content, status):
    ours, theirs = JSONResponse(content, status), responses.JSONResponse(content, status)
    assert ours.body == theirs.body and ours.raw_headers == theirs.raw_headers


def test_json_response_refuses_nan_like_starlette():
    with pytest.raises(ValueError):
        JSONResponse({"x": float("nan")})


@settings(max_examples=100)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_utc_timestamps_format_as_any_other_offset(moment):
    utc = moment.replace(tzinfo=timezone.utc)
    same_instant = utc.astimezone(timezone(timedelta(hours=2)))
    assert iso_millis(utc) == iso_millis(same_instant) == iso_millis(moment)
    assert iso_millis(utc) == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def test_host_routing_is_remembered_per_host_and_survives_many_hosts(client):
    async def status(host: str) -> int:
        return (await client.get("/_smsproof/health", headers={"Host": host})).status_code

    for _ in range(2):  # cached answers stay per host
        assert await status("us.sms.api.sinch.com") == 404  # the provider's routes only
        assert await status("fakes.test") == 200
    for n in range(ProviderHosts.CACHE_SIZE + 10):  # the cache is bounded and refills
        assert await status(f"h{n}.test") == 200
    assert await status("US.SMS.API.SINCH.COM:443") == 404


def test_serve_freezes_what_survives_a_middle_generation_collection():
    frozen = gc.get_freeze_count()
    try:
        freeze_survivors("stop", {"generation": 0, "collected": 0, "uncollectable": 0})
        assert gc.get_freeze_count() == frozen  # young collections leave everything scannable
        freeze_survivors("stop", {"generation": 1, "collected": 0, "uncollectable": 0})
        assert gc.get_freeze_count() > frozen
    finally:
        if not frozen:
            gc.unfreeze()
