"""Load and validate scenario files; every error names the file, the line and the field.

A file holds one scenario; `examples` expands it into one scenario per example, with `${name}`
in strings replaced by the example's values (a string that is exactly `${name}` takes the value's
type). `${provider}` that no example binds is the platform's provider: the scenario is loaded bound
to Sinch (`PLATFORM_PROVIDER_DEFAULT`) and the runner binds it again, through `Scenario.through`, to
the provider the platform under test declares. Validation is the JSON Schema
(harness/scenario.schema.yaml) then the references the schema cannot see: requirement ids in the
catalogue, customers named by steps, placeholders, unique ids.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from harness import catalogue
from harness.scenario import authoring

_HARNESS = Path(__file__).resolve().parent.parent
SCHEMA_PATH = _HARNESS / "scenario.schema.yaml"
# The suite's scenarios: shipped in the wheel as harness/scenarios/ (setup.py), at the top of a checkout.
DEFAULT_SCENARIOS = next((p for p in (_HARNESS / "scenarios", _HARNESS.parent / "scenarios") if p.is_dir()),
                         _HARNESS.parent / "scenarios")
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
PLATFORM_PROVIDER = "provider"  # the placeholder bound to the platform's provider unless an example binds it
PLATFORM_PROVIDER_DEFAULT = "sinch"  # how such a scenario is loaded, listed and validated


class ScenarioError(ValueError):
    """An invalid scenario file: `str()` is `file:line: field: message`."""

    def __init__(self, path: Path | str, line: int | None, field_path: str, message: str):
        self.path, self.line, self.field, self.message = str(path), line, field_path, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field_path or '(top level)'}: {message}")


@dataclass
class Scenario:
    id: str
    title: str
    requirements: list[str]
    level: str | None
    given: dict
    when: list[dict]
    then: list[dict]
    path: Path
    line: int
    example: dict | None = None
    lines: dict = field(default_factory=dict, repr=False)  # field path -> line, for runtime errors
    # given/when/then before `${provider}` was bound: set when the scenario runs through the platform's provider
    template: dict | None = field(default=None, repr=False)
    provider: str | None = None  # the provider `${provider}` is bound to (None: the file names its providers)

    @property
    def name(self) -> str:
        return self.id if self.example is None else f"{self.id}[{_example_label(self.example)}]"

    @property
    def follows_platform(self) -> bool:
        """Whether the scenario runs through whichever provider the platform declares (`${provider}`)."""
        return self.template is not None

    def through(self, provider: str) -> "Scenario":
        """This scenario with `${provider}` bound to `provider` (itself when it names its providers)."""
        if self.template is None or provider == self.provider:
            return self
        body = _substitute(self.template, {PLATFORM_PROVIDER: provider}, set())
        return dataclasses.replace(self, given=body.get("given") or {}, when=body["when"],
                                   then=body.get("then") or [], provider=provider)

    def line_of(self, path: tuple) -> int:
        return _nearest_line(self.lines, path) or self.line


@functools.cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _validator():
    return jsonschema.Draft202012Validator(schema())


def field_name(path) -> str:
    """('when', 2, 'reply', 'body') -> 'when[2].reply.body'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(node, path=(), lines=None, file=None) -> dict:
    """Field path -> line; a key given twice in one mapping is an error (YAML would keep the last)."""
    lines = {} if lines is None else lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key, value in node.value:
            child = path + (key.value,)
            if key.value in seen:
                raise ScenarioError(file, key.start_mark.line + 1, field_name(child),
                                    f"duplicate key {key.value!r} (first at line {seen[key.value]}): YAML would keep only the last")
            seen[key.value] = key.start_mark.line + 1
            _line_map(value, child, lines, file)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), lines, file)
    return lines


def _nearest_line(lines: dict, path: tuple) -> int | None:
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _example_label(example: dict) -> str:
    """`name` if given, the value of a one-key example, else `key=value,...` (control characters escaped)."""
    if "name" in example:
        label = str(example["name"])
    elif len(example) == 1:
        label = str(next(iter(example.values())))
    else:
        label = ",".join(f"{k}={v}" for k, v in example.items())
    return json.dumps(label, ensure_ascii=False)[1:-1]


def _substitute(value: Any, example: dict, missing: set) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            if whole.group(1) not in example:
                missing.add(whole.group(1))
                return value
            return copy.deepcopy(example[whole.group(1)])

        def replace(match):
            if match.group(1) not in example:
                missing.add(match.group(1))
                return match.group(0)
            return str(example[match.group(1)])

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, list):
        return [_substitute(v, example, missing) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, example, missing) for k, v in value.items()}
    return value


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the data. libyaml's parser where PyYAML has it (a run
    loads every scenario file in every worker); a file it refuses is parsed again in Python, whose
    error messages `authoring.plain_yaml_problem` words for authors."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast), yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text), yaml.safe_load(text)


def load_file(path: Path | str, cat: catalogue.Catalogue | None = None) -> list[Scenario]:
    """The scenarios of one file (one per example), or ScenarioError."""
    path = Path(path)
    cat = cat or catalogue.default()
    try:
        text = path.read_text(encoding="utf-8")
        node, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and ("quoted scalar" in str(exc.context) or "flow" in str(exc.context)):
            mark = exc.context_mark  # where the unclosed quote, [list] or {mapping} opens
        raise ScenarioError(path, mark.line + 1 if mark else None, "", f"not valid YAML: {authoring.plain_yaml_problem(exc)}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, None, "", f"cannot be read: {exc}") from None
    if node is None or not isinstance(data, dict):
        raise ScenarioError(path, 1, "", "a scenario file is a mapping with id, title, requirements and when")
    lines = _line_map(node, file=path)

    examples = data.get("examples")
    if examples is not None and not (isinstance(examples, list) and examples
                                     and all(isinstance(e, dict) and e for e in examples)):
        raise ScenarioError(path, _nearest_line(lines, ("examples",)), "examples",
                            "must be a non-empty list of mappings (name: value)")
    scenarios = []
    for example_index, example in enumerate(examples or [None]):
        missing: set = set()
        template = _substitute({k: v for k, v in data.items() if k != "examples"}, example or {}, missing)
        follows_platform = PLATFORM_PROVIDER in missing
        missing.discard(PLATFORM_PROVIDER)
        body = _substitute(template, {PLATFORM_PROVIDER: PLATFORM_PROVIDER_DEFAULT}, set()) if follows_platform else template
        suffix = f" (in example {example_index})" if example else ""
        if missing:
            name = sorted(missing)[0]
            raise ScenarioError(path, _find_placeholder_line(text, name), f"examples[{example_index}]" if example else "examples",
                                f"placeholder ${{{name}}} has no value")
        _raise_first(path, lines, _validator().iter_errors(body), (), suffix)
        for where, config in _configs(body):
            _raise_first(path, lines, authoring.config_validator().iter_errors(config), where, suffix)
        for index, requirement in enumerate(body["requirements"]):
            if requirement not in cat:
                raise ScenarioError(path, _nearest_line(lines, ("requirements", index)), f"requirements[{index}]",
                                    f"unknown requirement id {requirement!r} (smsproof list requirements){suffix}")
        scenario = Scenario(
            id=body["id"], title=body["title"], requirements=body["requirements"], level=body.get("level"),
            given=body.get("given") or {}, when=body["when"], then=body.get("then") or [], path=path,
            line=lines.get(("id",), 1), example=example, lines=lines,
            template={k: template.get(k) for k in ("given", "when", "then")} if follows_platform else None,
            provider=PLATFORM_PROVIDER_DEFAULT if follows_platform else None,
        )
        _check_references(scenario)
        scenarios.append(scenario)
    return scenarios


def _find_placeholder_line(text: str, name: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if "${" + name + "}" in line:
            return number
    return None


def _raise_first(path: Path, lines: dict, errors, prefix: tuple, suffix: str) -> None:
    """The most telling of the schema errors as a ScenarioError (none: return)."""
    errors = sorted(errors, key=_rank)
    if not errors:
        return
    error = _most_specific(errors)
    where = prefix + tuple(error.absolute_path)
    line = _nearest_line(lines, where + tuple(_extra_keys(error)[:1]))  # an unknown key: its own line
    raise ScenarioError(path, line, field_name(where), _message(error) + suffix)


def _rank(error: jsonschema.ValidationError):
    """Deepest first; at one depth an unknown key before the rest (it explains a missing required key)."""
    return -len(error.absolute_path), error.validator != "additionalProperties", error.message


def _configs(body: dict):
    """(field path, configuration) of given.config and each configure step, checked against the contract.
    `refused: {configure: }` is left out: it is meant to be a configuration the platform refuses."""
    if isinstance((body.get("given") or {}).get("config"), dict):
        yield ("given", "config"), body["given"]["config"]
    for index, step in enumerate(body["when"]):
        if "configure" in step:
            yield ("when", index, "configure"), step["configure"]


def _extra_keys(error: jsonschema.ValidationError) -> list:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    known = error.schema.get("properties", {})
    return [key for key in error.instance if key not in known]


def _most_specific(errors):
    """The deepest error; for a oneOf/anyOf, the deepest of its sub-errors, unless the schema explains itself."""
    error = errors[0]
    while error.context and not _explains(error.schema):
        error = sorted(error.context, key=_rank)[0]
    return error


def _explains(schema) -> bool:
    """Schemas whose description is an error message ("must be ...")."""
    return isinstance(schema, dict) and str(schema.get("description", "")).startswith("must ")


def _message(error: jsonschema.ValidationError) -> str:
    extra = _extra_keys(error)
    if extra:
        valid = error.schema.get("properties", {})
        is_step = bool(error.absolute_path) and isinstance(error.absolute_path[-1], int) and error.schema.get("maxProperties") == 1
        return authoring.unknown_step(extra[0], valid) if is_step else authoring.unknown_key(extra[0], valid)
    if _explains(error.schema) and error.validator in ("pattern", "oneOf", "type"):
        return f"{error.instance!r} {error.schema['description']}"
    return error.message


def _check_references(scenario: Scenario) -> None:
    """Customer ids used by steps must be created before use (in given.customers or create_customer)."""
    known = {c["id"] for c in scenario.given.get("customers", [])}
    for section in ("when", "then"):
        for index, step in enumerate(getattr(scenario, section)):
            (kind, spec), = step.items()
            if kind == "create_customer":
                known.add(spec["id"])
                continue
            for key, value in _customer_refs(kind, spec):
                if value not in known:
                    where = (section, index, kind) + key
                    raise ScenarioError(scenario.path, scenario.line_of(where), field_name(where),
                                        f"unknown customer {value!r} (declare it in given.customers or a create_customer step)")


def _customer_refs(kind: str, spec: Any):
    if not isinstance(spec, dict):
        return
    if kind == "send" or (kind == "refused" and "send" in spec):
        send = spec if kind == "send" else spec["send"]
        prefix = () if kind == "send" else ("send",)
        for i, cid in enumerate(send.get("customers", [])):
            yield prefix + ("customers", i), cid
        for cid in send.get("expect", {}):
            if cid != "*":
                yield prefix + ("expect", cid), cid
    elif kind in ("update_customer", "customer"):
        yield ("id",), spec["id"]
    elif "customer" in spec and kind in ("consent", "reply", "messages", "events", "received", "visit_link"):
        yield ("customer",), spec["customer"]


def load_paths(paths: list[Path | str]) -> list[Scenario]:
    """Every scenario under the given files/directories, ids unique across them."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.rglob("*.yaml")) if p.is_dir() else [p]
    cat = catalogue.default()
    scenarios, seen = [], {}
    for file in files:
        for scenario in load_file(file, cat):
            if scenario.name in seen and seen[scenario.name] != file:
                raise ScenarioError(file, scenario.line, "id", f"duplicate scenario id {scenario.id!r} (also in {seen[scenario.name]})")
            seen[scenario.name] = file
            scenarios.append(scenario)
    return scenarios


def shipped_copy(path: Path | str) -> Path | None:
    """A relative path that does not exist here but does under the shipped scenarios (a command from the
    docs, `--scenarios scenarios/keywords/keyword-limits.yaml`, run outside a checkout), else None."""
    path = Path(path)
    if path.is_absolute() or path.exists():
        return None
    parts = path.parts[1:] if path.parts[:1] == ("scenarios",) else path.parts
    candidate = DEFAULT_SCENARIOS.joinpath(*parts)
    return candidate if parts and candidate.exists() else None


def files_sha256(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
