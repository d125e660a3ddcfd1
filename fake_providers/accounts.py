"""Provider accounts as their dashboards configure them: credentials, MO and delivery-report
callback URLs, and the numbers the account owns (long codes, short codes, shared short codes
whose provider keyword, the first word of an inbound message, picks the account)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .phones import digits_of, number_key, to_e164

NUMBER_TYPES = ("long_code", "short_code", "shared_short_code")


class AccountError(ValueError):
    """Invalid account settings (answered as 422)."""


@dataclass
class OwnedNumber:
    number: str
    type: str
    keywords: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {"number": self.number, "type": self.type}
        if self.type == "shared_short_code":
            data["keywords"] = list(self.keywords)
        return data


@dataclass
class Account:
    provider: str
    id: str
    api_token: str | None = None
    key_id: str | None = None
    key_secret: str | None = None
    mo_callback_url: str | None = None
    dlr_callback_url: str | None = None
    webhook_secret: str | None = None
    numbers: list[OwnedNumber] = field(default_factory=list)
    # provider-specific dashboard settings (each provider module documents and checks its own)
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"provider": self.provider, "account": self.id, "api_token": self.api_token,
                "key_id": self.key_id, "key_secret": self.key_secret,
                "mo_callback_url": self.mo_callback_url,
                "dlr_callback_url": self.dlr_callback_url,
                "webhook_secret": self.webhook_secret,
                "numbers": [n.to_dict() for n in self.numbers], "options": dict(self.options)}


SETTINGS = ("api_token", "key_id", "key_secret", "mo_callback_url", "dlr_callback_url",
            "webhook_secret")


def parse_numbers(raw: object) -> list[OwnedNumber]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise AccountError("numbers must be a list")
    numbers = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("number"), str):
            raise AccountError(f"numbers[{index}] needs a string 'number'")
        kind = item.get("type", "long_code")
        if kind not in NUMBER_TYPES:
            raise AccountError(f"numbers[{index}].type must be one of {list(NUMBER_TYPES)}")
        number = item["number"]
        if kind == "long_code":
            number = to_e164(number)
            if number is None:
                raise AccountError(f"numbers[{index}]: {item['number']!r} is not a phone number")
        elif not digits_of(number).isdigit():
            raise AccountError(f"numbers[{index}]: a short code is digits only")
        keywords = item.get("keywords") or []
        if kind == "shared_short_code" and not keywords:
            raise AccountError(f"numbers[{index}]: a shared short code needs provider keywords")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise AccountError(f"numbers[{index}].keywords must be non-empty strings")
        numbers.append(OwnedNumber(number, kind, [k.strip() for k in keywords]))
    return numbers


class Accounts:
    def __init__(self) -> None:
        self._accounts: dict[tuple[str, str], Account] = {}

    def put(self, provider: str, account_id: str, settings: dict) -> Account:
        if not isinstance(settings, dict):
            raise AccountError("the account settings must be a JSON object")
        for name in SETTINGS:
            value = settings.get(name)
            if value is not None and not isinstance(value, str):
                raise AccountError(f"{name} must be a string")
        options = settings.get("options") or {}
        if not isinstance(options, dict):
            raise AccountError("options must be a JSON object")
        account = Account(provider, account_id, numbers=parse_numbers(settings.get("numbers")),
                          options=dict(options), **{name: settings.get(name) for name in SETTINGS})
        self._accounts[(provider, account_id)] = account
        return account

    def get(self, provider: str, account_id: str) -> Account | None:
        return self._accounts.get((provider, account_id))

    def delete(self, provider: str, account_id: str) -> bool:
        return self._accounts.pop((provider, account_id), None) is not None

    def all(self, provider: str | None = None) -> list[Account]:
        return [a for a in self._accounts.values() if provider in (None, a.provider)]

    def owner_of(self, provider: str, to: str, body: str) -> tuple[Account, OwnedNumber] | None:
        """The account that receives an inbound message to `to` (keyword decides on a shared
        short code: the first word of the body, case-insensitively)."""
        first_word = (body.split() or [""])[0].casefold()
        key = number_key(to)
        for account in self.all(provider):
            for owned in account.numbers:
                if number_key(owned.number) != key:
                    continue
                if owned.type != "shared_short_code":
                    return account, owned
                if first_word in (k.casefold() for k in owned.keywords):
                    return account, owned
        return None
