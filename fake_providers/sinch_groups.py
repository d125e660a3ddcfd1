"""Sinch SMS groups (`/groups`): named lists of phone numbers that a batch can name in `to`.
Create, list, get, update (`POST`: `add`, `remove`, `add_from_group`, `remove_from_group`,
`name`), replace (`PUT`), delete and members, as the API description documents them (the 3.0
copy in ballerina-platform/openapi-connectors, openapi/sinch.sms/openapi.yaml, and the current
description as generated into sinch-sdk-java and the sinch Python SDK, read 2026-11-29):

- update: adds are applied before removes, so a number in both is not in the result; duplicate
  adds and unknown removes are not refused (a remove takes out the group's own members, not
  those it has through `child_groups`); `name` absent leaves the name, `null` removes it
  (the Python SDK sends every unset field as `null`); `add_from_group` / `remove_from_group`
  copy / subtract another group's members, 403 `unknown_group` when it names no group.
- replace: the body of create (`name`, `members`, `child_groups`); what is left out is erased.
  The 3.0 copy marks `members` required, the current description (GroupRequest, every field
  optional) does not: the fake follows the current one.
- a group id in `to` that names no group of the service plan is refused with 403
  `unknown_group` (the description's example spells the message field `description`; the fake
  uses the `text` of every other error body, which the SDKs read).

- `child_groups` (create, replace; the current description and the GroupDto fixture): ids of the
  plan's groups whose members are members of this group as they are at each read (a deleted
  child adds none); `size`, the members list and a batch to the group count them; a child that
  names no group is 403 `unknown_group` (the 3.0 copy lists that answer for create).

- `auto_update` (create, update, replace; echoed in the group): a handset joins or leaves the
  group by MO. `to` is the number the MO is addressed to (a phone number or a short code), `add`
  and `remove` each a `first_word` and an optional `second_word`, one word each (on a shared
  short code the first is the brand keyword, the second the opt-in or opt-out word, as the API
  description's field notes say). The description says no more; the fake's reading, documented
  in docs/fake-providers.md: an MO to `to` whose first word (and second, when given) equals the
  keyword, ignoring case as the shared-short-code routing does, adds or removes its sender
  (adds before removes, as in an update); the MO is delivered to the callback as any other; an
  update merges `auto_update` field by field (absent keeps, `null` erases), a replace erases it
  when left out.

Not simulated: the description's "a group is evaluated when the batch is sent": the fake expands
a group in `to` when the batch is created, so a later change to the group does not change a
scheduled batch."""
from __future__ import annotations

import re
from collections import deque
from itertools import islice
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute, Route

from .clock import Clock, iso_millis
from .ids import new_ulid
from .phones import digits_of, same_number, to_e164
from .sinch_requests import SinchError, constraint, invalid_format

GROUP_ID = re.compile(r"^[0-9A-Za-z]{10,32}$")
MAX_MEMBERS = 10000  # per list in a request (members, add, remove)
MAX_NAME = 20


@dataclass
class Group:
    id: str
    name: str | None
    members: list[str]  # its own, E.164, each once, in the order added
    child_groups: list[str]  # ids of groups whose members are members of this one
    created_at: datetime
    modified_at: datetime
    auto_update: dict | None = None  # as validated: to, add / remove {first_word, second_word}

    def to_dict(self, size: int) -> dict:
        data = {"id": self.id, "size": size, "created_at": iso_millis(self.created_at),
                "modified_at": iso_millis(self.modified_at)}
        if self.name is not None:
            data["name"] = self.name
        if self.child_groups:
            data["child_groups"] = list(self.child_groups)
        if self.auto_update is not None:
            data["auto_update"] = {k: dict(v) if isinstance(v, dict) else v
                                   for k, v in self.auto_update.items()}
        return data

    def keyword_change(self, to: str, words: list[str]) -> tuple[bool, bool]:
        """(join, leave): whether an MO to `to` whose first words are `words` (casefolded)
        matches the `auto_update` add and remove keywords."""
        rule = self.auto_update
        if rule is None or not same_number(rule["to"], to):
            return False, False
        return _says(rule.get("add"), words), _says(rule.get("remove"), words)


def _says(keywords: dict | None, words: list[str]) -> bool:
    if keywords is None or not words or words[0] != keywords["first_word"].casefold():
        return False
    second = keywords.get("second_word")
    return second is None or (len(words) > 1 and words[1] == second.casefold())


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise SinchError(400, "syntax_invalid_json", "The JSON input is invalid; expected an object")
    return body


def _name(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_NAME):
        raise constraint(f"The value of parameter 'name' is invalid; at most {MAX_NAME} characters")
    return value


def _numbers(field: str, value: Any) -> list[str]:
    """The E.164 form of each phone number of a `members`, `add` or `remove` list (null: none)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        raise constraint(f"The value of parameter '{field}' is invalid; at most {MAX_MEMBERS} numbers")
    numbers = []
    for index, member in enumerate(value):
        e164 = to_e164(member) if isinstance(member, str) else None
        if e164 is None:
            raise invalid_format(f"{field}[{index}]", member, "is not a valid MSISDN or group ID.")
        numbers.append(e164)
    return numbers


def _auto_update(value: Any, current: dict | None = None) -> dict | None:
    """A validated `auto_update`; with `current` (an update) merged onto it field by field:
    absent keeps, null erases."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise constraint("The value of parameter 'auto_update' is invalid; an object is required")
    merged = {k: v for k, v in {**(current or {}), **value}.items()
              if v is not None and k in ("to", "add", "remove")}  # other fields: not kept
    to = merged.get("to")
    digits = digits_of(to) if isinstance(to, str) else ""
    if not (isinstance(to, str) and (to_e164(to) or (digits.isdigit() and len(digits) <= 6))):
        raise invalid_format("auto_update.to", to, "is not a valid MSISDN or short code.")
    for field in ("add", "remove"):
        keywords = merged.get(field)
        if keywords is None:
            continue
        if not isinstance(keywords, dict):
            raise constraint(f"The value of parameter 'auto_update.{field}' is invalid; "
                             "an object is required")
        kept = {}
        for word in ("first_word", "second_word"):
            text = keywords.get(word)
            if text is None and word == "second_word":
                continue
            if not isinstance(text, str) or text.split() != [text]:
                raise constraint(f"The value of parameter 'auto_update.{field}.{word}' is "
                                 "invalid; it must be one word")
            kept[word] = text
        merged[field] = kept
    return merged


class Groups:
    """The groups of each service plan."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._groups: dict[str, dict[str, Group]] = {}

    def create(self, account, body: Any) -> Group:
        body = _object(body)
        name, members = _name(body.get("name")), _numbers("members", body.get("members"))
        children = self._children(account, body.get("child_groups"))
        auto_update = _auto_update(body.get("auto_update"))
        now = self.clock.now()
        group = Group(new_ulid(), name, list(dict.fromkeys(members)), children, now, now, auto_update)
        self._groups.setdefault(account.id, {})[group.id] = group
        return group

    def replace(self, account, group_id: str, body: Any) -> Group:
        group = self.find(account, group_id)
        body = _object(body)
        name, members = _name(body.get("name")), _numbers("members", body.get("members"))
        children = self._children(account, body.get("child_groups"), group_id)
        auto_update = _auto_update(body.get("auto_update"))
        group.name, group.members, group.child_groups = name, list(dict.fromkeys(members)), children
        group.auto_update = auto_update
        group.modified_at = self.clock.now()
        return group

    def _children(self, account, value: Any, parent: str | None = None) -> list[str]:
        """`child_groups`: ids of the plan's groups (403 unknown_group otherwise), not the group
        itself."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise constraint("The value of parameter 'child_groups' is invalid; "
                             "a list of group IDs is required")
        for index, child in enumerate(value):
            if not isinstance(child, str) or not GROUP_ID.match(child) or child == parent:
                raise invalid_format(f"child_groups[{index}]", child, "is not a valid group ID.")
            self.named(account, child)
        return list(dict.fromkeys(value))

    def members(self, account, group: Group) -> list[str]:
        """Its own members, then those of its child groups as they are now (a deleted child
        adds none), each once."""
        found, seen, pending = dict.fromkeys(group.members), {group.id}, deque(group.child_groups)
        groups = self._groups.get(account.id, {})
        while pending:
            child = groups.get(pending.popleft())
            if child is not None and child.id not in seen:
                seen.add(child.id)
                found.update(dict.fromkeys(child.members))
                pending.extend(child.child_groups)
        return list(found)

    def view(self, account, group: Group) -> dict:
        return group.to_dict(len(self.members(account, group)))

    def update(self, account, group_id: str, body: Any) -> Group:
        """Adds (`add`, `add_from_group`) before removes (`remove`, `remove_from_group`)."""
        group = self.find(account, group_id)
        body = _object(body)
        name = _name(body.get("name")) if "name" in body else group.name
        auto_update = (_auto_update(body["auto_update"], group.auto_update) if "auto_update" in body
                       else group.auto_update)
        add, remove = _numbers("add", body.get("add")), _numbers("remove", body.get("remove"))
        for field, numbers in (("add_from_group", add), ("remove_from_group", remove)):
            other = body.get(field)
            if other is None:
                continue
            if not isinstance(other, str):
                raise invalid_format(field, other, "is not a valid group ID.")
            numbers.extend(self.members(account, self.named(account, other)))
        removed = set(remove)
        members = [m for m in dict.fromkeys(group.members + add) if m not in removed]
        group.name, group.members, group.modified_at = name, members, self.clock.now()
        group.auto_update = auto_update
        return group

    def keyword_mo(self, account, to: str, sender: str, body: str) -> None:
        """An MO to `to`: its sender joins or leaves every group whose `auto_update` keywords
        it says (adds before removes)."""
        member = to_e164(sender)
        words = [word.casefold() for word in body.split()[:2]]
        if member is None or not words:
            return
        for group in self._groups.get(account.id, {}).values():
            join, leave = group.keyword_change(to, words)
            members = group.members + [member] if join and member not in group.members else group.members
            if leave:
                members = [m for m in members if m != member]
            if members != group.members:
                group.members, group.modified_at = members, self.clock.now()

    def named(self, account, group_id: str) -> Group:
        """The group a request names in its body: 403 unknown_group when there is none."""
        group = self._groups.get(account.id, {}).get(group_id)
        if group is None:
            raise SinchError(403, "unknown_group", f"Group '{group_id}' is unknown or deleted")
        return group

    def find(self, account, group_id: str) -> Group:
        group = self._groups.get(account.id, {}).get(group_id)
        if group is None:
            raise SinchError(404, "not_found", f"Group '{group_id}' was not found")
        return group

    def delete(self, account, group_id: str) -> None:
        self.find(account, group_id)
        del self._groups[account.id][group_id]

    def listing(self, account, query: dict, paging) -> dict:
        page, page_size = paging(query)
        groups = self._groups.get(account.id, {})
        items = list(islice(reversed(groups.values()), page * page_size, (page + 1) * page_size))
        return {"count": len(groups), "page": page, "page_size": len(items),
                "groups": [self.view(account, g) for g in items]}

    def expand(self, account, to: list) -> list[str]:
        """`to` with every group id replaced by its members (403 unknown_group for an id that
        names no group, 400 for what is neither a phone number nor a group id)."""
        numbers = []
        for index, entry in enumerate(to):
            if isinstance(entry, str) and to_e164(entry) is not None:
                numbers.append(entry)
            elif isinstance(entry, str) and GROUP_ID.match(entry):
                numbers.extend(self.members(account, self.named(account, entry)))
            else:
                raise invalid_format(f"to[{index}]", entry, "is not a valid MSISDN or group ID.")
        return numbers

    def reset(self, account: str | None) -> None:
        if account is None:
            self._groups.clear()
        else:
            self._groups.pop(account, None)


def group_routes(backend, api, base: str) -> list[BaseRoute]:
    groups = backend.groups

    async def create(request, account, body):
        return 201, groups.view(account, groups.create(account, body))

    async def listing(request, account, body):
        return 200, groups.listing(account, dict(request.query_params), backend._paging)

    async def get(request, account, body):
        return 200, groups.view(account, groups.find(account, request.path_params["group_id"]))

    async def update(request, account, body):
        return 200, groups.view(account, groups.update(account, request.path_params["group_id"], body))

    async def replace(request, account, body):
        return 200, groups.view(account, groups.replace(account, request.path_params["group_id"], body))

    async def members(request, account, body):
        return 200, groups.members(account, groups.find(account, request.path_params["group_id"]))

    async def delete(request, account, body):
        groups.delete(account, request.path_params["group_id"])
        return 204, None

    return [
        Route(f"{base}/groups", api("create_group", create, True), methods=["POST"]),
        Route(f"{base}/groups", api("list_groups", listing), methods=["GET"]),
        Route(f"{base}/groups/{{group_id}}", api("group", get), methods=["GET"]),
        Route(f"{base}/groups/{{group_id}}", api("update_group", update, True), methods=["POST"]),
        Route(f"{base}/groups/{{group_id}}", api("replace_group", replace, True), methods=["PUT"]),
        Route(f"{base}/groups/{{group_id}}", api("delete_group", delete), methods=["DELETE"]),
        Route(f"{base}/groups/{{group_id}}/members", api("group_members", members), methods=["GET"]),
    ]
