"""The control API's OpenAPI document as a readable page: each operation with its parameters,
body and responses; schemas by name, linked where they are referenced."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from markupsafe import Markup, escape

METHODS = ("get", "put", "patch", "post", "delete")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def schema_text(schema: Any) -> Markup:
    """A schema in one line: `Name` links for references, `type[]` for arrays, `{a, b}` for
    objects, `a | b` for alternatives, enums and constants as literals."""
    if not isinstance(schema, dict):
        return Markup("any")
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return Markup(" | ").join(schema_text(s) for s in schema[key])
    if "const" in schema:
        return Markup("<code>{}</code>").format(json.dumps(schema["const"]))
    if "enum" in schema:
        return Markup(" | ").join(Markup("<code>{}</code>").format(json.dumps(v))
                                  for v in schema["enum"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return Markup("{}[]").format(schema_text(schema.get("items")))
    if kind == "object" and schema.get("properties"):
        required = set(schema.get("required", []))
        fields = [Markup("{}{}: {}").format(name, "" if name in required else "?",
                                           schema_text(sub))
                  for name, sub in schema["properties"].items()]
        return Markup("{") + Markup(", ").join(fields) + Markup("}")
    return escape(kind)


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict]
    body: Markup | None
    responses: list[tuple[str, str, Markup | None]]

    @property
    def anchor(self) -> str:
        return f"{self.method}-{self.path}".replace("/", "-").replace("{", "").replace("}", "")


def _resolve(item: dict, document: dict) -> dict:
    if isinstance(item, dict) and "$ref" in item:
        node: Any = document
        for part in item["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {})
        return node
    return item


def _content_schema(node: dict | None) -> Markup | None:
    content = (node or {}).get("content") or {}
    media = next(iter(content.values()), None)
    return schema_text(media.get("schema")) if media else None


@lru_cache(maxsize=4)
def _load(text: str) -> dict:
    document = yaml.safe_load(text)
    operations = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = [_resolve(p, document) for p in shared + op.get("parameters", [])]
            responses = []
            for code, response in op.get("responses", {}).items():
                response = _resolve(response, document)
                responses.append((str(code), response.get("description", ""),
                                  _content_schema(response)))
            operations.append(Operation(
                method.upper(), path, op.get("summary", ""), op.get("description", ""),
                [{"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                  "description": p.get("description", ""), "schema": schema_text(p.get("schema"))}
                 for p in parameters],
                _content_schema(op.get("requestBody")), responses))
    schemas = {name: (schema.get("description", ""), schema_text(schema))
               for name, schema in document.get("components", {}).get("schemas", {}).items()}
    return {"info": document.get("info", {}), "servers": document.get("servers", []),
            "operations": operations, "schemas": schemas}


def load(openapi: Traversable) -> dict:
    return _load(openapi.read_text(encoding="utf-8"))
