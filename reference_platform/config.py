"""Workspace configuration: defaults, merging of partial updates, and validation listing every problem."""

import copy
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import phones
from .keywords import keyword_problems

PROVIDERS = ("sinch", "cm", "instasent")
PROCESS_DEFAULT_KEYWORDS = {
    "unsubscribe": ["stop", "unsubscribe", "cancel", "end"],
    "help": ["help", "info"],
}
CATEGORY_LIMIT = 5
SENDER_LIMIT = 11

DEFAULTS = {
    "providers": {},
    "default_provider": "sinch",
    "inbound_numbers": [],
    "two_way": {"track_incoming": True, "opt_out_enabled": True, "keywords": [], "categories": []},
    "consent_categories": [],
    "sms_processes": [],
    "confirmation_policy": {},
    "sending": {
        "sender": None,
        "max_parts": 8,
        "provider": None,
        "frequency_policy": None,
        "link_shortener": {"enabled": False, "domain": "exp.cx", "expiry_days": 90},
    },
    "contact_centre": {
        "enabled": False,
        "phone_number": None,
        "provider": None,
        "inbound_blacklist_enabled": False,
        "outbound_blacklist_enabled": False,
        "blacklist": [],
        "business_hours": None,
        "out_of_hours_message": None,
        "max_interactions": 0,
        "max_queue_seconds": 0,
        "timeout_message": None,
    },
}

_SHORT_CODE = re.compile(r"^\d{3,8}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_REGION = re.compile(r"^[A-Z]{2}$")


def merged(current: dict, update: dict) -> dict:
    """`update` over `current`: objects merge key by key, anything else replaces."""
    result = copy.deepcopy(current)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and key != "confirmation_policy":
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def sender_problem(sender, broken) -> str | None:
    """003/002: an alphanumeric sender has at most 11 characters; a numeric one is a phone or short code."""
    if not isinstance(sender, str) or not sender.strip():
        return "must be a non-empty string"
    digits = sender[1:] if sender.startswith("+") else sender
    if digits.isdigit():
        return None if len(digits) <= 16 else "a numeric sender has at most 16 digits"
    limit = SENDER_LIMIT + 1 if broken("sender_12_chars") else SENDER_LIMIT
    return None if len(sender) <= limit else f"at most {limit} characters, got {len(sender)}"


def is_number(value) -> bool:
    return isinstance(value, str) and (bool(_SHORT_CODE.match(value)) or phones.to_e164(value) is not None)


def number_key(value: str) -> str:
    """Inbound numbers compare in E.164 (phones) or as digits (short codes)."""
    return value if _SHORT_CODE.match(value) else (phones.to_e164(value) or value)


class _Problems(list):
    def add(self, path, message):
        self.append({"path": path, "message": message})

    def check(self, ok, path, message):
        if not ok:
            self.add(path, message)
        return ok


def validate(config: dict, broken) -> list[dict]:
    problems = _Problems()
    if not isinstance(config, dict):
        problems.add("", "must be an object")
        return problems
    unknown = set(config) - set(DEFAULTS)
    for key in sorted(unknown):
        problems.add(key, "unknown key")
    _providers(config, problems)
    numbers = _inbound_numbers(config, problems)
    _two_way(config, problems, broken)
    _consent_categories(config, problems)
    _processes(config, problems, numbers, broken)
    policy = config.get("confirmation_policy")
    if problems.check(isinstance(policy, dict), "confirmation_policy", "must be an object"):
        for region, value in policy.items():
            problems.check(bool(_REGION.match(str(region))), f"confirmation_policy.{region}", "must be an ISO 3166 alpha-2 code")
            problems.check(value in ("mandatory", "optional", "prohibited"), f"confirmation_policy.{region}",
                           "must be mandatory, optional or prohibited")
    _sending(config, problems, broken)
    _contact_centre(config, problems)
    return list(problems)


def _providers(config, problems):
    providers = config.get("providers")
    if not problems.check(isinstance(providers, dict), "providers", "must be an object"):
        return
    required = {"sinch": ("base_url", "service_plan_id", "api_token"), "cm": ("base_url", "product_token"),
                "instasent": ("base_url", "token")}
    for name, settings in providers.items():
        path = f"providers.{name}"
        if not problems.check(name in required, path, "unknown provider"):
            continue
        if not problems.check(isinstance(settings, dict), path, "must be an object"):
            continue
        for key in required[name]:
            problems.check(isinstance(settings.get(key), str) and settings.get(key), f"{path}.{key}", "required string")
        base = settings.get("base_url")
        if isinstance(base, str) and base:
            problems.check(base.startswith(("http://", "https://")), f"{path}.base_url", "must be an http(s) URL")
        secret = settings.get("webhook_secret")
        problems.check(secret is None or isinstance(secret, str), f"{path}.webhook_secret", "must be a string or null")
    problems.check(config.get("default_provider") in PROVIDERS, "default_provider", f"must be one of {PROVIDERS}")


def _inbound_numbers(config, problems) -> dict:
    numbers = {}
    entries = config.get("inbound_numbers")
    if not problems.check(isinstance(entries, list), "inbound_numbers", "must be a list"):
        return numbers
    for index, entry in enumerate(entries):
        path = f"inbound_numbers[{index}]"
        if not problems.check(isinstance(entry, dict), path, "must be an object"):
            continue
        number, kind = entry.get("number"), entry.get("type")
        problems.check(is_number(number), f"{path}.number", "must be a phone in international form or a short code")
        problems.check(kind in ("long_code", "short_code", "shared_short_code"), f"{path}.type",
                       "must be long_code, short_code or shared_short_code")
        problems.check(entry.get("provider") in PROVIDERS, f"{path}.provider", f"must be one of {PROVIDERS}")
        keywords = entry.get("provider_keywords") or []
        if kind == "shared_short_code":
            problems.check(isinstance(keywords, list) and keywords, f"{path}.provider_keywords",
                           "a shared short code needs its provider keywords")
        if isinstance(keywords, list):
            for k, word in enumerate(keywords):
                problems.check(isinstance(word, str) and word.isalpha(), f"{path}.provider_keywords[{k}]",
                               "must be a single word of letters")
        if is_number(number):
            key = number_key(number)
            problems.check(key not in numbers, f"{path}.number", "duplicate inbound number")
            numbers[key] = entry
    return numbers


def _two_way(config, problems, broken):
    two_way = config.get("two_way")
    if not problems.check(isinstance(two_way, dict), "two_way", "must be an object"):
        return
    for flag in ("track_incoming", "opt_out_enabled"):
        problems.check(isinstance(two_way.get(flag), bool), f"two_way.{flag}", "must be a boolean")
    for path, message in keyword_problems(two_way.get("keywords"), broken):
        problems.add(path, message)
    categories = two_way.get("categories")
    if problems.check(isinstance(categories, list), "two_way.categories", "must be a list"):
        limit = 10**6 if broken("kw_categories_unchecked") else CATEGORY_LIMIT
        problems.check(len(categories) <= limit, "two_way.categories", f"at most {limit} categories, got {len(categories)}")
        for index, name in enumerate(categories):
            problems.check(isinstance(name, str) and name, f"two_way.categories[{index}]", "must be a category name")


def _consent_categories(config, problems):
    entries = config.get("consent_categories")
    if not problems.check(isinstance(entries, list), "consent_categories", "must be a list"):
        return
    for index, entry in enumerate(entries):
        path = f"consent_categories[{index}]"
        if problems.check(isinstance(entry, dict), path, "must be an object"):
            problems.check(isinstance(entry.get("name"), str) and entry.get("name"), f"{path}.name", "required string")
            problems.check(entry.get("legal_basis") in ("consent", "legitimate_interest"), f"{path}.legal_basis",
                           "must be consent or legitimate_interest")


def _processes(config, problems, numbers, broken):
    entries = config.get("sms_processes")
    if not problems.check(isinstance(entries, list), "sms_processes", "must be a list"):
        return
    ids, slots = set(), set()
    for index, process in enumerate(entries):
        path = f"sms_processes[{index}]"
        if not problems.check(isinstance(process, dict), path, "must be an object"):
            continue
        pid, kind = process.get("id"), process.get("type")
        if problems.check(isinstance(pid, str) and pid, f"{path}.id", "required string"):
            problems.check(pid not in ids, f"{path}.id", "duplicate process id")
            ids.add(pid)
        problems.check(kind in ("unsubscribe", "help"), f"{path}.type", "must be unsubscribe or help")
        problems.check(process.get("state", "new") in ("new", "started", "paused"), f"{path}.state",
                       "must be new, started or paused")
        number = process.get("inbound_number")
        inbound = numbers.get(number_key(number)) if isinstance(number, str) else None
        problems.check(inbound is not None, f"{path}.inbound_number", "must be one of the configured inbound numbers")
        keyword = process.get("provider_keyword")
        if inbound is not None and inbound.get("type") == "shared_short_code":
            problems.check(keyword in (inbound.get("provider_keywords") or []), f"{path}.provider_keyword",
                           "must be one of the shared short code's provider keywords")
        elif keyword is not None:
            problems.add(f"{path}.provider_keyword", "only a shared short code has provider keywords")
        custom = process.get("custom_keywords", [])
        if problems.check(isinstance(custom, list), f"{path}.custom_keywords", "must be a list"):
            for k, word in enumerate(custom):
                letters_only = isinstance(word, str) and word.isalpha()
                if broken("custom_keyword_chars_unchecked"):
                    letters_only = isinstance(word, str) and bool(word)
                problems.check(letters_only, f"{path}.custom_keywords[{k}]",
                               "must not contain numbers, special characters or spaces")
        message = process.get("message")
        problems.check(message is None or isinstance(message, str), f"{path}.message", "must be a string or null")
        if kind == "help":
            problems.check(isinstance(message, str) and message, f"{path}.message", "a Help process needs its message")
        problems.check(isinstance(process.get("send_confirmation", False), bool), f"{path}.send_confirmation",
                       "must be a boolean")
        if inbound is not None and kind in ("unsubscribe", "help"):
            slot = (kind, number_key(number), keyword)
            if not broken("processes_not_unique"):
                problems.check(slot not in slots, path,
                               f"only one {kind} process per inbound number / provider keyword")
            slots.add(slot)


def _sending(config, problems, broken):
    sending = config.get("sending")
    if not problems.check(isinstance(sending, dict), "sending", "must be an object"):
        return
    if sending.get("sender") is not None:
        problem = sender_problem(sending["sender"], broken)
        problems.check(problem is None, "sending.sender", problem or "")
    max_parts = sending.get("max_parts")
    problems.check(isinstance(max_parts, int) and not isinstance(max_parts, bool) and 1 <= max_parts <= 8,
                   "sending.max_parts", "must be an integer from 1 to 8")
    provider = sending.get("provider")
    problems.check(provider is None or provider in PROVIDERS, "sending.provider", f"must be one of {PROVIDERS}")
    policy = sending.get("frequency_policy")
    if policy is not None and problems.check(isinstance(policy, dict), "sending.frequency_policy", "must be an object or null"):
        count, hours = policy.get("max_campaigns"), policy.get("period_hours")
        problems.check(isinstance(count, int) and not isinstance(count, bool) and count >= 0,
                       "sending.frequency_policy.max_campaigns", "must be an integer >= 0")
        problems.check(isinstance(hours, (int, float)) and not isinstance(hours, bool) and hours > 0,
                       "sending.frequency_policy.period_hours", "must be a number > 0")
    shortener = sending.get("link_shortener")
    if problems.check(isinstance(shortener, dict), "sending.link_shortener", "must be an object"):
        problems.check(isinstance(shortener.get("enabled"), bool), "sending.link_shortener.enabled", "must be a boolean")
        domain = shortener.get("domain")
        problems.check(isinstance(domain, str) and "." in domain and "/" not in domain, "sending.link_shortener.domain",
                       "must be a domain name")
        days = shortener.get("expiry_days")
        problems.check(isinstance(days, int) and not isinstance(days, bool) and days >= 1,
                       "sending.link_shortener.expiry_days", "must be an integer >= 1")


def _contact_centre(config, problems):
    centre = config.get("contact_centre")
    if not problems.check(isinstance(centre, dict), "contact_centre", "must be an object"):
        return
    for flag in ("enabled", "inbound_blacklist_enabled", "outbound_blacklist_enabled"):
        problems.check(isinstance(centre.get(flag), bool), f"contact_centre.{flag}", "must be a boolean")
    phone = centre.get("phone_number")
    problems.check(phone is None or is_number(phone), "contact_centre.phone_number", "must be a phone number or short code")
    if centre.get("enabled"):
        problems.check(phone is not None, "contact_centre.phone_number", "an enabled channel needs its phone number")
    provider = centre.get("provider")
    problems.check(provider is None or provider in PROVIDERS, "contact_centre.provider", f"must be one of {PROVIDERS}")
    blacklist = centre.get("blacklist")
    if problems.check(isinstance(blacklist, list), "contact_centre.blacklist", "must be a list"):
        for index, number in enumerate(blacklist):
            problems.check(phones.to_e164(number, bare_ok=True) is not None, f"contact_centre.blacklist[{index}]",
                           "must be a phone number in international form")
    for key in ("max_interactions", "max_queue_seconds"):
        value = centre.get(key)
        problems.check(isinstance(value, int) and not isinstance(value, bool) and value >= 0,
                       f"contact_centre.{key}", "must be an integer >= 0")
    for key in ("out_of_hours_message", "timeout_message"):
        problems.check(centre.get(key) is None or isinstance(centre.get(key), str), f"contact_centre.{key}",
                       "must be a string or null")
    hours = centre.get("business_hours")
    if hours is None or not problems.check(isinstance(hours, dict), "contact_centre.business_hours", "must be an object or null"):
        return
    try:
        ZoneInfo(str(hours.get("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("contact_centre.business_hours.timezone", "unknown time zone")
    days = hours.get("days")
    problems.check(isinstance(days, list) and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days),
                   "contact_centre.business_hours.days", "must be a list of weekdays 0 (Monday) to 6")
    for key in ("start", "end"):
        problems.check(isinstance(hours.get(key), str) and bool(_HHMM.match(hours.get(key))),
                       f"contact_centre.business_hours.{key}", "must be HH:MM")
