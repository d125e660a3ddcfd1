"""Sinch SMS groups (`/groups`): named lists of phone numbers that a batch can name in `to`.
Create, list, get, members and delete as the API description documents them (update and replace
are not simulated); a group id in `to` that names no group of the service plan is refused with
403 `unknown_group` (the description's example spells the message field `description`; the fake
uses the `text` of every other error body, which the SDKs read)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.routing import BaseRoute, Route

from .clock import Clock, iso_millis
from .ids import new_ulid
from .phones import to_e164

GROUP_ID = re.compile(r"^[0-9A-Za-z]{10,32}$")
MAX_MEMBERS = 10000
MAX_NAME = 20


@dataclass
class Group:
    id: str
    name: str | None
    members: list[str]  # E.164
    created_at: datetime  # groups are not updated here, so also their modified_at

    def to_dict(self) -> dict:
        data = {"id": self.id, "size": len(self.members),
                "created_at": iso_millis(self.created_at),
                "modified_at": iso_millis(self.created_at)}
        if self.name is not None:
            data["name"] = self.name
        return data


class Groups:
    """The groups of each service plan. (The error helpers come from sinch.py, which imports
    this module, hence the imports inside the methods.)"""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._groups: dict[str, dict[str, Group]] = {}

    def create(self, account, body: Any) -> Group:
        from .sinch import SinchError, constraint, invalid_format
        if not isinstance(body, dict):
            raise SinchError(400, "syntax_invalid_json", "The JSON input is invalid; expected an object")
        name, members = body.get("name"), body.get("members", [])
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise constraint(f"The value of parameter 'name' is invalid; at most {MAX_NAME} characters")
        if not isinstance(members, list) or len(members) > MAX_MEMBERS:
            raise constraint(f"The value of parameter 'members' is invalid; at most {MAX_MEMBERS} numbers")
        numbers = []
        for index, member in enumerate(members):
            e164 = to_e164(member) if isinstance(member, str) else None
            if e164 is None:
                raise invalid_format(f"members[{index}]", member, "is not a valid MSISDN or group ID.")
            numbers.append(e164)
        group = Group(new_ulid(), name, list(dict.fromkeys(numbers)), self.clock.now())
        self._groups.setdefault(account.id, {})[group.id] = group
        return group

    def find(self, account, group_id: str) -> Group:
        from .sinch import SinchError
        group = self._groups.get(account.id, {}).get(group_id)
        if group is None:
            raise SinchError(404, "not_found", f"Group '{group_id}' was not found")
        return group

    def delete(self, account, group_id: str) -> None:
        self.find(account, group_id)
        del self._groups[account.id][group_id]

    def listing(self, account, query: dict, paging) -> dict:
        page, page_size = paging(query)
        found = list(reversed(self._groups.get(account.id, {}).values()))
        items = found[page * page_size:(page + 1) * page_size]
        return {"count": len(found), "page": page, "page_size": len(items),
                "groups": [g.to_dict() for g in items]}

    def expand(self, account, to: list) -> list[str]:
        """`to` with every group id replaced by its members (403 unknown_group for an id that
        names no group, 400 for what is neither a phone number nor a group id)."""
        from .sinch import SinchError, invalid_format
        numbers = []
        for index, entry in enumerate(to):
            if isinstance(entry, str) and to_e164(entry) is not None:
                numbers.append(entry)
            elif isinstance(entry, str) and GROUP_ID.match(entry):
                group = self._groups.get(account.id, {}).get(entry)
                if group is None:
                    raise SinchError(403, "unknown_group", f"Group '{entry}' is unknown or deleted")
                numbers.extend(group.members)
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
        return 201, groups.create(account, body).to_dict()

    async def listing(request, account, body):
        return 200, groups.listing(account, dict(request.query_params), backend._paging)

    async def get(request, account, body):
        return 200, groups.find(account, request.path_params["group_id"]).to_dict()

    async def members(request, account, body):
        return 200, list(groups.find(account, request.path_params["group_id"]).members)

    async def delete(request, account, body):
        groups.delete(account, request.path_params["group_id"])
        return 204, None

    return [
        Route(f"{base}/groups", api("create_group", create, True), methods=["POST"]),
        Route(f"{base}/groups", api("list_groups", listing), methods=["GET"]),
        Route(f"{base}/groups/{{group_id}}", api("group", get), methods=["GET"]),
        Route(f"{base}/groups/{{group_id}}", api("delete_group", delete), methods=["DELETE"]),
        Route(f"{base}/groups/{{group_id}}/members", api("group_members", members), methods=["GET"]),
    ]
