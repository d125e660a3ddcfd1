"""The send request of the Sinch fake (`POST /batches`, its dry run, update and replace) checked as
Sinch checks it, and the errors it answers: `{"code", "text"}` with Sinch's codes
(`syntax_invalid_parameter_format`, `syntax_constraint_violation`, ...)."""
from __future__ import annotations

import base64
import binascii
import re
import sys
from typing import TYPE_CHECKING, Any

from .accounts import Account
from .clock import parse_iso
from .phones import digits_of, same_number, to_e164

if TYPE_CHECKING:
    from .sinch_groups import Groups

DELIVERY_REPORTS = ("none", "summary", "full", "per_recipient", "per_recipient_final")
BATCH_TYPES = ("mt_text", "mt_binary")
SHORT_CODE_DIGITS = 6  # numeric senders of at most this many digits are short codes
PARAMETER_KEY = re.compile(r"^[A-Za-z0-9._-]{1,16}$")


class SinchError(Exception):
    def __init__(self, status: int, code: str, text: str, headers: dict | None = None) -> None:
        super().__init__(text)
        self.status, self.code, self.text, self.headers = status, code, text, headers


def invalid_format(name: str, value: Any, why: str = "") -> SinchError:
    text = f"The format of parameter '{name}' is invalid; value '{value}' {why}".rstrip()
    return SinchError(400, "syntax_invalid_parameter_format", text)


def constraint(text: str) -> SinchError:
    return SinchError(400, "syntax_constraint_violation", text)


def msisdn(number: str) -> str:
    """A phone number in E.164 (the API description's `msisdn` format); a short code or an
    alphanumeric sender as it is."""
    digits = digits_of(number)
    if digits.isdigit() and len(digits) <= SHORT_CODE_DIGITS:
        return digits
    return to_e164(number) or number



def validate(body: Any, account: Account, groups: Groups) -> dict:
    """The send request, checked as Sinch checks it (400 syntax_*, 403 missing_callback_url); group
    ids in `to` expanded to their members."""
    if not isinstance(body, dict):
        raise SinchError(400, "syntax_invalid_json", "The JSON input is invalid; expected an object")
    request = dict(zip(map(sys.intern, body), body.values()))  # one copy of each key, not one per batch
    kind = request.setdefault("type", "mt_text")
    if kind not in BATCH_TYPES:
        raise invalid_format("type", kind, f"must be one of {', '.join(BATCH_TYPES)}")
    to = request.get("to")
    if not isinstance(to, list) or not to:
        raise constraint("The value of parameter 'to' is invalid; it must hold 1 to 1000 recipients")
    if len(to) > 1000:
        raise constraint("The value of parameter 'to' is invalid; at most 1000 recipients")
    request["to"] = groups.expand(account, to)
    sender = request.get("from")
    if sender is None and isinstance(account.options.get("default_originator"), str):
        request.pop("from", None)
    elif not isinstance(sender, str) or not sender:
        raise constraint("The value of parameter 'from' is invalid; a sender is required "
                         "(the account has no default originator)")
    else:
        request["from"] = msisdn(sender)
    text = request.get("body")
    if not isinstance(text, str):
        raise constraint("The value of parameter 'body' is invalid; a string is required")
    if kind == "mt_text" and len(text) > 2000:
        raise constraint("The value of parameter 'body' is invalid; at most 2000 characters")
    if kind == "mt_binary":
        _validate_binary(request)
    report = request.setdefault("delivery_report", "none")
    if report not in DELIVERY_REPORTS:
        raise invalid_format("delivery_report", report, f"must be one of {', '.join(DELIVERY_REPORTS)}")
    callback_url = request.get("callback_url")
    if callback_url is not None and (not isinstance(callback_url, str) or len(callback_url) > 2048):
        raise constraint("The value of parameter 'callback_url' is invalid; at most 2048 characters")
    reference = request.get("client_reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 128):
        raise constraint("The value of parameter 'client_reference' is invalid; at most 128 characters")
    for flag in ("flash_message", "feedback_enabled", "truncate_concat"):
        if request.get(flag) is not None and not isinstance(request[flag], bool):
            raise invalid_format(flag, request[flag], "is not a boolean")
    parts = request.get("max_number_of_message_parts")
    if parts is not None and (isinstance(parts, bool) or not isinstance(parts, int) or parts < 1):
        raise constraint("The value of parameter 'max_number_of_message_parts' is invalid; it must be at least 1")
    _validate_parameters(request.get("parameters"))
    for name in ("send_at", "expire_at"):
        if request.get(name) is not None:
            try:
                request[name] = parse_iso(request[name])
            except (ValueError, AttributeError, TypeError):
                raise invalid_format(name, request[name], "is not an ISO-8601 timestamp") from None
    if report != "none" and not (callback_url or account.dlr_callback_url):
        raise SinchError(403, "missing_callback_url",
                         "Requesting delivery report without any callback URL.")
    return request

def _validate_binary(request: dict) -> None:
    udh = request.get("udh")
    try:
        payload = base64.b64decode(request["body"], validate=True)
    except (ValueError, binascii.Error):
        raise invalid_format("body", request["body"], "is not valid base64") from None
    try:
        udh_bytes = bytes.fromhex(udh) if isinstance(udh, str) else None
    except ValueError:
        raise invalid_format("udh", udh, "is not valid hex") from None
    if udh_bytes is None:
        raise constraint("The value of parameter 'udh' is invalid; a hex string is required")
    if len(udh_bytes) + len(payload) > 140:
        raise constraint("The value of parameter 'body' is invalid; at most 140 bytes with the udh")

def _validate_parameters(parameters: Any) -> None:
    if parameters is None:
        return
    if not isinstance(parameters, dict):
        raise invalid_format("parameters", parameters, "is not an object")
    for key, values in parameters.items():
        if not PARAMETER_KEY.match(key):
            raise constraint(f"The value of parameter 'parameters' is invalid; key '{key}' "
                             "must be 1 to 16 of A-Z a-z 0-9 . - _")
        if not isinstance(values, dict) or not all(
                isinstance(v, str) and len(v) <= 160 for v in values.values()):
            raise constraint(f"The value of parameter 'parameters.{key}' is invalid; values "
                             "are strings of at most 160 characters")

def personalise(request: dict, msisdn: str) -> str | None:
    """The body for one recipient with `${key}` filled in; None when a value is missing."""
    text = request["body"]
    for key, values in (request.get("parameters") or {}).items():
        placeholder = "${" + key + "}"
        if placeholder not in text:
            continue
        value = next((v for k, v in values.items() if k != "default" and same_number(k, msisdn)),
                     values.get("default"))
        if value is None:
            return None
        text = text.replace(placeholder, value)
    return text
