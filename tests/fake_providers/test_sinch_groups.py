"""Sinch groups: update (adds before removes, name kept, erased by null), replace, delete and
members, as the API description documents them, and their errors."""
import pytest

from tests.fake_providers.test_fakes_sinch import AUTH, BASE, advance, send, sinch  # noqa: F401

pytestmark = pytest.mark.anyio
A, B, C, D = "+34600000010", "+34600000011", "+34600000012", "+34600000013"


async def create(client, **body):
    response = await client.post(f"{BASE}/groups", headers=AUTH, json=body)
    assert response.status_code == 201
    return response.json()


async def members(client, group_id):
    return (await client.get(f"{BASE}/groups/{group_id}/members", headers=AUTH)).json()


async def test_update_adds_before_removes_and_keeps_an_absent_name(sinch):
    group = await create(sinch, name="vip", members=[A, B])
    await advance(sinch, 60)
    response = await sinch.post(f"{BASE}/groups/{group['id']}", headers=AUTH,
                                json={"add": [C, "0034600000013", A], "remove": [B, D, "+34600000099"]})
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "vip" and updated["size"] == 2
    assert updated["created_at"] == group["created_at"]
    assert updated["modified_at"] == "2026-01-05T10:01:00.000Z" != group["modified_at"]
    assert await members(sinch, group["id"]) == [A, C]  # D added, then removed: not a member
    assert (await sinch.get(f"{BASE}/groups/{group['id']}", headers=AUTH)).json() == updated


async def test_update_null_name_erases_it_and_copies_or_subtracts_other_groups(sinch):
    group = await create(sinch, name="vip", members=[A])
    other = await create(sinch, members=[B, C])
    updated = (await sinch.post(f"{BASE}/groups/{group['id']}", headers=AUTH, json={
        "name": None, "add": None, "remove": None, "add_from_group": other["id"],
        "remove_from_group": None})).json()
    assert "name" not in updated and updated["size"] == 3
    assert await members(sinch, group["id"]) == [A, B, C]
    await sinch.post(f"{BASE}/groups/{group['id']}", headers=AUTH,
                     json={"name": "renamed", "remove_from_group": other["id"]})
    assert await members(sinch, group["id"]) == [A]
    batch = (await send(sinch, to=[group["id"]])).json()
    assert batch["to"] == [A]


async def test_replace_erases_what_it_leaves_out(sinch):
    group = await create(sinch, name="vip", members=[A, B])
    replaced = await sinch.put(f"{BASE}/groups/{group['id']}", headers=AUTH, json={"members": [C]})
    assert replaced.status_code == 200
    assert "name" not in replaced.json() and replaced.json()["size"] == 1
    assert await members(sinch, group["id"]) == [C]
    renamed = (await sinch.put(f"{BASE}/groups/{group['id']}", headers=AUTH, json={"name": "n"})).json()
    assert renamed["name"] == "n" and renamed["size"] == 0


@pytest.mark.parametrize("method,body,status,code,text", [
    ("post", {"add": ["+1"]}, 400, "syntax_invalid_parameter_format",
     "The format of parameter 'add[0]' is invalid; value '+1' is not a valid MSISDN or group ID."),
    ("post", {"remove": [A, 7]}, 400, "syntax_invalid_parameter_format",
     "The format of parameter 'remove[1]' is invalid; value '7' is not a valid MSISDN or group ID."),
    ("post", {"name": "x" * 21}, 400, "syntax_constraint_violation",
     "The value of parameter 'name' is invalid; at most 20 characters"),
    ("post", {"add_from_group": "01FC66621VHDBN119Z8PMV1QPU"}, 403, "unknown_group",
     "Group '01FC66621VHDBN119Z8PMV1QPU' is unknown or deleted"),
    ("post", {"remove_from_group": "01FC66621VHDBN119Z8PMV1QPU"}, 403, "unknown_group",
     "Group '01FC66621VHDBN119Z8PMV1QPU' is unknown or deleted"),
    ("post", [], 400, "syntax_invalid_json", "The JSON input is invalid; expected an object"),
    ("put", {"members": ["+1"]}, 400, "syntax_invalid_parameter_format",
     "The format of parameter 'members[0]' is invalid; value '+1' is not a valid MSISDN or group ID."),
    ("put", {"members": [A] * 10001}, 400, "syntax_constraint_violation",
     "The value of parameter 'members' is invalid; at most 10000 numbers"),
])
async def test_update_and_replace_errors_leave_the_group_unchanged(sinch, method, body, status, code, text):
    group = await create(sinch, name="vip", members=[A, B])
    response = await getattr(sinch, method)(f"{BASE}/groups/{group['id']}", headers=AUTH, json=body)
    assert (response.status_code, response.json()) == (status, {"code": code, "text": text})
    assert await members(sinch, group["id"]) == [A, B]
    assert (await sinch.get(f"{BASE}/groups/{group['id']}", headers=AUTH)).json() == group


@pytest.mark.parametrize("method,suffix", [("post", ""), ("put", ""), ("delete", ""), ("get", ""),
                                           ("get", "/members")])
async def test_unknown_group_id_is_404_and_another_plans_group_too(sinch, method, suffix):
    group = await create(sinch, members=[A])
    for plan, token, group_id in (("SP1", "T1", "01FC66621VHDBN119Z8PMV1QPU"), ("SP2", "T2", group["id"])):
        kwargs = {"json": {}} if method in ("post", "put") else {}
        response = await getattr(sinch, method)(f"/xms/v1/{plan}/groups/{group_id}{suffix}",
                                                headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert await members(sinch, group["id"]) == [A]


async def test_delete_forgets_the_group_for_later_batches(sinch):
    group = await create(sinch, members=[A])
    assert (await sinch.delete(f"{BASE}/groups/{group['id']}", headers=AUTH)).status_code == 204
    assert (await sinch.get(f"{BASE}/groups", headers=AUTH)).json()["groups"] == []
    refused = await send(sinch, to=[group["id"]])
    assert refused.status_code == 403 and refused.json()["code"] == "unknown_group"


async def test_child_groups_members_count_as_they_are_at_each_read(sinch):
    child = await create(sinch, members=[B, C])
    parent = await create(sinch, name="all", members=[A, B], child_groups=[child["id"]])
    assert parent["child_groups"] == [child["id"]] and parent["size"] == 3
    assert await members(sinch, parent["id"]) == [A, B, C]
    await sinch.post(f"{BASE}/groups/{child['id']}", headers=AUTH, json={"add": [D]})
    assert await members(sinch, parent["id"]) == [A, B, C, D]
    assert (await send(sinch, to=[parent["id"]])).json()["to"] == [A, B, C, D]
    await sinch.delete(f"{BASE}/groups/{child['id']}", headers=AUTH)
    assert (await sinch.get(f"{BASE}/groups/{parent['id']}", headers=AUTH)).json()["size"] == 2
    replaced = (await sinch.put(f"{BASE}/groups/{parent['id']}", headers=AUTH, json={"members": [A]})).json()
    assert "child_groups" not in replaced and replaced["size"] == 1


async def test_child_groups_that_form_a_cycle_count_each_member_once(sinch):
    first = await create(sinch, members=[A])
    second = await create(sinch, members=[B], child_groups=[first["id"]])
    await sinch.put(f"{BASE}/groups/{first['id']}", headers=AUTH,
                    json={"members": [A], "child_groups": [second["id"]]})
    assert await members(sinch, first["id"]) == [A, B]
    assert await members(sinch, second["id"]) == [B, A]


@pytest.mark.parametrize("children,status,code", [
    (["01FC66621VHDBN119Z8PMV1QPU"], 403, "unknown_group"),
    (["+34600000010"], 400, "syntax_invalid_parameter_format"),
    ("01FC66621VHDBN119Z8PMV1QPU", 400, "syntax_constraint_violation")])
async def test_a_child_group_must_be_a_group_of_the_plan(sinch, children, status, code):
    response = await sinch.post(f"{BASE}/groups", headers=AUTH,
                                json={"members": [A], "child_groups": children})
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert (await sinch.get(f"{BASE}/groups", headers=AUTH)).json()["count"] == 0


async def test_the_listing_is_newest_first_paged_and_counts_every_group(sinch):
    made = [(await create(sinch, name=f"g{n}", members=[A]))["id"] for n in range(5)]
    await sinch.delete(f"{BASE}/groups/{made[1]}", headers=AUTH)
    kept = made[::-1]
    kept.remove(made[1])

    async def page(query):
        listed = (await sinch.get(f"{BASE}/groups?{query}", headers=AUTH)).json()
        return listed["count"], listed["page_size"], [g["id"] for g in listed["groups"]]

    assert await page("") == (4, 4, kept)
    assert await page("page=1&page_size=3") == (4, 1, kept[3:])
    assert await page("page=2&page_size=3") == (4, 0, [])
