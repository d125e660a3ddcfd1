"""Conformance of a platform's driver-API answers to openapi.yaml, and of its answers to the
providers' callbacks.

Every answer the harness receives can be checked against the response schema of its operation;
problems are reported with the scenario (they do not change a verdict: the checks do that).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
PREFIX = "/driver/v1"
_URI = "urn:smsproof:driver-api"


@functools.cache
def _document() -> dict:
    return yaml.safe_load(OPENAPI_PATH.read_text())


@functools.cache
def _operations() -> list[tuple[re.Pattern, str, dict, str]]:
    """(path regex, METHOD, operation, path template) for every operation of the document."""
    out = []
    for template, item in _document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        out += [(pattern, method.upper(), operation, template) for method, operation in item.items()
                if method != "parameters"]
    return out


def _absolute(schema):
    """`schema` with its local refs ("#/components/...") made absolute to the OpenAPI document."""
    if isinstance(schema, dict):
        return {k: (_URI + v if k == "$ref" and v.startswith("#") else _absolute(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_absolute(v) for v in schema]
    return schema


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(_URI, Resource(contents=_document(), specification=DRAFT202012))


@functools.cache
def _validator(template_index: int, status: str) -> jsonschema.Draft202012Validator | None:
    """The validator of one documented answer (None: no JSON body documented)."""
    response = _operations()[template_index][2]["responses"][status]
    if "$ref" in response:
        response = _document()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
    return None if schema is None else jsonschema.Draft202012Validator(_absolute(schema), registry=_registry())


def problems(method: str, url: str, status: int | None, body) -> list[str]:
    """What is wrong with one driver-API answer (empty when it conforms or is not a driver call)."""
    path = urlsplit(url).path
    if PREFIX not in path or status is None:
        return []
    path = path[path.index(PREFIX) + len(PREFIX):]
    for index, (pattern, op_method, operation, template) in enumerate(_operations()):
        if op_method != method or not pattern.match(path):
            continue
        # named by the operation's template, so one kind of problem is listed once, not per workspace
        if str(status) not in operation.get("responses", {}):
            return [f"{method} {template}: status {status} is not documented"]
        validator = _validator(index, str(status))
        if validator is None:
            return []
        return [f"{method} {template} {status}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                for e in validator.iter_errors(body)]
    return [f"{method} {path}: not an operation of the driver API"]


def unacknowledged_callbacks(waiting: list[dict], accounts: dict[str, str]) -> list[str]:
    """The callbacks (of the fakes' listing, not delivered) to `accounts` ({provider: account}) that the
    platform answered 2xx and the provider still retries: it processed them, but the provider does
    not take that answer as the acknowledgement. Named by provider, kind and status: one kind once."""
    return sorted({f"{c['provider']} {c['kind']} callback answered {c['status']}, which {c['provider']} "
                   "does not take as the acknowledgement: it retries" for c in waiting
                   if accounts.get(c["provider"]) == c["account"] and isinstance(c.get("status"), int)
                   and 200 <= c["status"] < 300})
