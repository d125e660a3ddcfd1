"""The project's schemas of each provider's response and callback bodies, written from the
providers' published specs (source and date in each file's `$comment`). `check_response` and
`check_callback` give the schema errors of one body: tests run them over everything the fakes
answered and sent, so a drift from the published shape fails the suite."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any
from xml.etree import ElementTree

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource


@lru_cache(maxsize=None)
def schema(provider: str) -> dict:
    return json.loads(files(__name__).joinpath(f"{provider}.json").read_text("utf-8"))


def _validator(provider: str, target: Any) -> Draft202012Validator:
    root = schema(provider)
    registry = Registry().with_resource(root["$id"], Resource.from_contents(root))
    if isinstance(target, str):
        target = {"$ref": root["$id"] + target}
    else:  # an inline schema: its `#/$defs/...` references resolve against the file's $defs
        target = {"$defs": root["$defs"], **target}
    return Draft202012Validator(target, registry=registry, format_checker=FormatChecker())


def _errors(provider: str, target: Any, body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in _validator(provider, target).iter_errors(body)]


def response_schema(provider: str, endpoint: str, status: int) -> Any:
    """The schema of the body answered by `endpoint` with `status`, None when none is written."""
    responses = schema(provider)["x-responses"]
    for table in (responses.get(endpoint, {}), responses.get("*", {})):
        for key in (str(status), f"{status // 100}xx"):
            if key in table:
                return table[key]
    return None


def check_response(provider: str, endpoint: str, status: int, body: Any) -> list[str]:
    target = response_schema(provider, endpoint, status)
    if target is None:
        return [f"no schema for {provider} {endpoint} {status}"]
    return _errors(provider, target, body)


def status_report_from_xml(raw: bytes | str) -> dict:
    """A CM XML status report read into the JSON template's shape."""
    record = ElementTree.fromstring(raw).find("MSG")
    if record is None:
        return {}
    return {"messages": {"msg": {
        "received": record.get("RECEIVED"), "to": record.findtext("TO"),
        "reference": record.findtext("REFERENCE"),
        "status": {"code": record.findtext("STATUS/CODE"),
                   "errorCode": record.findtext("STATUS/ERRORCODE"),
                   "errorDescription": record.findtext("STATUS/ERRORDESCRIPTION")}}}}


def check_callback(provider: str, kind: str, body: bytes, content_type: str) -> list[str]:
    """The schema errors of one callback as posted (XML status reports read first)."""
    target = schema(provider)["x-callbacks"].get(kind)
    if target is None:
        return [f"no schema for {provider} {kind} callbacks"]
    if "xml" in content_type:
        try:
            payload = status_report_from_xml(body)
        except ElementTree.ParseError as exc:
            return [f"(body): not XML: {exc}"]
    else:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            return [f"(body): not JSON: {exc}"]
    return _errors(provider, target, payload)
