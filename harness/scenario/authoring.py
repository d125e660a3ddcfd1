"""What the loader tells a scenario author, beyond the schema's own words.

YAML syntax errors in plain words, unknown keys and steps with the nearest valid name, and
`given.config` / `configure` checked against the driver contract's configuration schema (the
request body of PUT /config in harness/driver/openapi.yaml), closed so that a misspelt key is an
error instead of a setting the platform silently ignores.
"""

from __future__ import annotations

import copy
import difflib
import functools

import jsonschema
import yaml

from harness.driver.contract import OPENAPI_PATH

# Names scenario authors bring from other tools, for the step the suite calls otherwise.
_STEP_SYNONYMS = {"wait": "advance", "sleep": "advance", "delay": "advance", "tick": "advance",
                  "config": "configure", "set_config": "configure", "setup": "configure",
                  "sms": "send", "campaign": "send", "mo": "reply", "inbound": "reply", "dlr": "outcome",
                  "expect": "messages", "assert": "messages", "check": "messages", "sent": "messages",
                  "optout": "opt_outs", "opt_out": "opt_outs", "blacklist": "opt_outs", "click": "visit_link"}


# PyYAML's problems, as a scenario author would say them (the parser's words follow in brackets).
_YAML_PROBLEMS = {
    "mapping values are not allowed here":
        "a ':' where none can be: indent a nested mapping under its key, or quote a text that holds ': '",
    "could not find expected ':'": "a line that is not 'key: value' inside a mapping (a missing ':' or a wrong indentation)",
    "did not find expected key": "a line indented differently from the keys around it",
    "did not find expected '-' indicator": "a list item indented differently from the items around it",
    "expected ',' or ']'": "a [list] opened on this line that is not closed with ']' (or misses a ',')",
    "expected ',' or '}'": "a {mapping} opened on this line that is not closed with '}' (or misses a ',')",
    "found character '\\t' that cannot start any token": "a tab character: YAML indents with spaces only",
    "found unexpected end of stream": "a quoted text that is never closed (it starts on this line)",
    "found undefined alias": "a '*' that refers to no '&anchor' (quote a text that starts with '*')",
    "found character '%' that cannot start any token": "a text starting with '%': quote it",
    "found character '@' that cannot start any token": "a text starting with '@': quote it",
    "found character '`' that cannot start any token": "a text starting with '`': quote it",
}


def plain_yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or exc.context or "unreadable")
    if problem.startswith("expected <block end>"):
        return f"a line indented differently from the lines around it ({problem})"
    for words, plain in _YAML_PROBLEMS.items():
        if problem.startswith(words):
            return f"{plain} ({problem})"
    return problem



def nearest(name: str, valid, synonyms: dict | None = None) -> str | None:
    """The valid name an author most likely meant by `name` (a known synonym, else difflib's closest)."""
    valid = list(valid)
    if synonyms and synonyms.get(str(name).lower()) in valid:
        return synonyms[str(name).lower()]
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key(name: str, valid, what: str = "key", synonyms: dict | None = None) -> str:
    """"unknown step 'wait' (did you mean 'advance'?); valid: ..."."""
    valid = sorted(valid)
    guess = nearest(name, valid, synonyms)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return f"unknown {what} {name!r}{hint}; valid: {', '.join(valid)}"


def unknown_step(name: str, valid) -> str:
    return unknown_key(name, valid, "step", _STEP_SYNONYMS)


@functools.cache
def config_validator() -> jsonschema.Draft202012Validator:
    """The driver contract's Config schema, closed: objects that list their properties allow no others."""
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    components = _closed(copy.deepcopy(document["components"]))
    return jsonschema.Draft202012Validator({"$ref": "#/components/schemas/Config", "components": components})


def _closed(schema):
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema and "patternProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema
