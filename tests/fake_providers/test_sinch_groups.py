"""Sinch groups: update (adds before removes, name kept, erased by null), replace, delete and
members, as the API description documents them, and their errors."""
import json

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


# -- auto_update: handsets join and leave by MO ---------------------------------------------------
JOIN_LEAVE = {"to": "+4915112348765", "add": {"first_word": "JOIN"}, "remove": {"first_word": "leave"}}


async def mo(client, sender, body, to="+4915112348765"):
    response = await client.post("/_smsproof/inbound", json={"provider": "sinch", "from": sender,
                                                             "to": to, "body": body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_auto_update_mo_keywords_add_and_remove_the_sender(sinch, receiver):
    group = await create(sinch, name="news", members=[A], auto_update={**JOIN_LEAVE, "note": "x"})
    assert group["auto_update"] == JOIN_LEAVE  # what the description does not name is not kept
    await advance(sinch, 60)
    await mo(sinch, "0034600000011", "join please")  # any form of the number; case ignored
    await mo(sinch, C, "Leave")  # not a member: nothing to remove
    assert await members(sinch, group["id"]) == [A, B]
    await mo(sinch, A, "LEAVE now")
    await mo(sinch, D, "rejoin")  # the first word must be the keyword
    await mo(sinch, D, "JOIN", to="+4915112348766")  # another number: SP2's
    assert await members(sinch, group["id"]) == [B]
    read = (await sinch.get(f"{BASE}/groups/{group['id']}", headers=AUTH)).json()
    assert read["size"] == 1 and read["modified_at"] == "2026-01-05T10:01:00.000Z"
    bodies = [json.loads(b)["body"] for b in receiver.bodies("/SP1/mo")]
    assert bodies == ["join please", "Leave", "LEAVE now", "rejoin"]  # every MO is still delivered


async def test_auto_update_on_a_shared_short_code_needs_both_words(sinch):
    rule = {"to": "11222", "add": {"first_word": "baby", "second_word": "join"},
            "remove": {"first_word": "baby", "second_word": "stop"}}
    group = await create(sinch, auto_update=rule)
    await mo(sinch, A, "BABY JOIN", to="11222")
    await mo(sinch, B, "baby", to="11222")
    await mo(sinch, C, "baby join", to="11222")
    await mo(sinch, C, "baby stop", to="11222")
    assert await members(sinch, group["id"]) == [A]


async def test_auto_update_in_update_merges_and_null_erases_and_replace_drops_it(sinch):
    group = await create(sinch, auto_update=JOIN_LEAVE)
    path = f"{BASE}/groups/{group['id']}"
    updated = (await sinch.post(path, headers=AUTH, json={
        "auto_update": {"add": {"first_word": "START"}, "remove": None}})).json()
    assert updated["auto_update"] == {"to": "+4915112348765", "add": {"first_word": "START"}}
    await mo(sinch, A, "start")
    await mo(sinch, A, "leave")
    assert await members(sinch, group["id"]) == [A]
    kept = (await sinch.post(path, headers=AUTH, json={"name": "n"})).json()
    assert kept["auto_update"] == updated["auto_update"]
    erased = (await sinch.post(path, headers=AUTH, json={"auto_update": None})).json()
    assert "auto_update" not in erased
    await sinch.post(path, headers=AUTH, json={"auto_update": JOIN_LEAVE})
    replaced = (await sinch.put(path, headers=AUTH, json={"members": [B]})).json()
    assert "auto_update" not in replaced
    await mo(sinch, C, "join")
    assert await members(sinch, group["id"]) == [B]


@pytest.mark.parametrize("auto_update,status,code,text", [
    ("JOIN", 400, "syntax_constraint_violation",
     "The value of parameter 'auto_update' is invalid; an object is required"),
    ({"add": {"first_word": "JOIN"}}, 400, "syntax_invalid_parameter_format",
     "The format of parameter 'auto_update.to' is invalid; value 'None' is not a valid MSISDN or short code."),
    ({"to": "shop", "add": {"first_word": "JOIN"}}, 400, "syntax_invalid_parameter_format",
     "The format of parameter 'auto_update.to' is invalid; value 'shop' is not a valid MSISDN or short code."),
    ({"to": "11222", "add": {"first_word": "two words"}}, 400, "syntax_constraint_violation",
     "The value of parameter 'auto_update.add.first_word' is invalid; it must be one word"),
    ({"to": "11222", "remove": {"second_word": "stop"}}, 400, "syntax_constraint_violation",
     "The value of parameter 'auto_update.remove.first_word' is invalid; it must be one word"),
    ({"to": "11222", "add": {"first_word": "baby", "second_word": 7}}, 400, "syntax_constraint_violation",
     "The value of parameter 'auto_update.add.second_word' is invalid; it must be one word"),
    ({"to": "11222", "add": ["JOIN"]}, 400, "syntax_constraint_violation",
     "The value of parameter 'auto_update.add' is invalid; an object is required"),
])
async def test_auto_update_errors(sinch, auto_update, status, code, text):
    response = await sinch.post(f"{BASE}/groups", headers=AUTH, json={"auto_update": auto_update})
    assert (response.status_code, response.json()) == (status, {"code": code, "text": text})
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
