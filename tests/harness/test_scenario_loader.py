"""Scenario files: the shipped ones load; invalid ones give `file:line: field: message`."""

from pathlib import Path

import pytest

from harness import catalogue
from harness.scenario.loader import ScenarioError, load_file, load_paths

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
id: tiny
title: A tiny scenario
requirements: [KW-CASE]
given:
  numbers:
    - {number: "+4915112348765", type: long_code, provider: sinch}
  customers:
    - {id: anna, phone: "+4915123456789"}
when:
  - reply: {customer: anna, to: "+4915112348765", body: "STOP"}
  - advance: 1h
then:
  - events: {customer: anna, type: consent, count: 1}
"""


def _write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_shipped_scenario_loads_and_names_catalogue_requirements():
    scenarios = load_paths([ROOT / "scenarios"])
    assert len(scenarios) >= 15
    cat = catalogue.default()
    assert all(r in cat for s in scenarios for r in s.requirements)
    assert len({s.name for s in scenarios}) == len(scenarios)


def test_a_valid_scenario_loads(tmp_path):
    (scenario,) = load_file(_write(tmp_path, VALID))
    assert (scenario.id, scenario.requirements, scenario.line) == ("tiny", ["KW-CASE"], 1)
    assert scenario.when[0] == {"reply": {"customer": "anna", "to": "+4915112348765", "body": "STOP"}}
    assert scenario.line_of(("when", 1)) == 11


@pytest.mark.parametrize("old,new,where,fragment", [
    ('body: "STOP"}', "body: 42}", "10: when[0].reply.body", "42 is not of type 'string'"),
    ("  - advance: 1h", "  - advanse: 1h", "11: when[1]", "unknown step"),
    ("  - advance: 1h", "  - advance: soon", "11: when[1].advance", "'soon' must be a duration such as 90, 90s, 40m"),
    ("[KW-CASE]", "[KW-NOPE]", "3: requirements[0]", "unknown requirement id 'KW-NOPE'"),
    ("customer: anna, type", "customer: bob, type", "13: then[0].events.customer", "unknown customer 'bob'"),
    ("type: long_code", "type: longcode", "6: given.numbers[0].type", "'longcode' is not one of"),
    ("title: A tiny scenario\n", "", "1: (top level)", "'title' is a required property"),
])
def test_errors_name_file_line_and_field(tmp_path, old, new, where, fragment):
    assert old in VALID
    path = _write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{where}: "), message
    assert fragment in message and "\n" not in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, VALID.replace('body: "STOP"}', 'body: "STOP"'))
    with pytest.raises(ScenarioError, match=rf"^{path}:\d+: \(top level\): not valid YAML"):
        load_file(path)


def test_examples_expand_with_typed_placeholders_and_missing_ones_are_named(tmp_path):
    text = VALID.replace('body: "STOP"}', 'body: "${body}"}').replace("count: 1}", 'count: "${n}"}')
    text += "examples:\n  - {body: STOP, n: 1}\n  - {body: Please stop, n: 0}\n"
    first, second = load_file(_write(tmp_path, text))
    assert (first.name, second.name) == ("tiny[body=STOP,n=1]", "tiny[body=Please stop,n=0]")
    assert second.then[0]["events"]["count"] == 0 and second.when[0]["reply"]["body"] == "Please stop"
    broken = _write(tmp_path, text.replace("n: 0}", "m: 0}"), "broken.yaml")
    with pytest.raises(ScenarioError, match=r"broken.yaml:13: examples\[1\]: placeholder \$\{n\} has no value"):
        load_file(broken)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    _write(tmp_path, VALID, "a.yaml")
    _write(tmp_path, VALID, "b.yaml")
    with pytest.raises(ScenarioError, match=r"b.yaml:1: id: duplicate scenario id 'tiny'"):
        load_paths([tmp_path])


# -- what a scenario author is told ------------------------------------------------------------------
WITH_CONFIG = VALID.replace("given:\n", "given:\n  config:\n    two_way: {opt_out_enabled: true, keywords: [stop]}\n")


@pytest.mark.parametrize("old,new,where,fragment", [
    ("opt_out_enabled: true", "opt_out_enable: true", "6: given.config.two_way",
     "unknown key 'opt_out_enable' (did you mean 'opt_out_enabled'?)"),
    ("  config:\n", "  config:\n    frobnicate: 1\n", "6: given.config", "unknown key 'frobnicate'; valid: confirmation_policy,"),
    ("opt_out_enabled: true", "opt_out_enabled: sure", "6: given.config.two_way.opt_out_enabled", "'sure' is not of type 'boolean'"),
    ("  - advance: 1h", "  - configure: {sending: {max_part: 3}}", "13: when[1].configure.sending",
     "unknown key 'max_part' (did you mean 'max_parts'?)"),
    ("  - advance: 1h", "  - configure: {sending: {max_parts: 9}}", "13: when[1].configure.sending.max_parts",
     "9 is greater than the maximum of 8"),
])
def test_config_is_checked_against_the_driver_contract(tmp_path, old, new, where, fragment):
    """given.config and configure steps are PUT /config bodies: a typo would be silently ignored by a platform."""
    assert old in WITH_CONFIG
    path = _write(tmp_path, WITH_CONFIG.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{where}: ") and fragment in str(caught.value), str(caught.value)


def test_a_refused_configuration_may_break_the_contract(tmp_path):
    text = WITH_CONFIG.replace("  - advance: 1h", "  - refused: {configure: {sending: {max_parts: 9}}}")
    assert load_file(_write(tmp_path, text))


@pytest.mark.parametrize("old,new,where,fragment", [
    ("  - advance: 1h", "  - wait: 1h", "11: when[1]", "unknown step 'wait' (did you mean 'advance'?); valid: advance, advance_to,"),
    ("  - advance: 1h", "  - advanse: 1h", "11: when[1]", "unknown step 'advanse' (did you mean 'advance'?)"),
    ("  - events:", "  - evnts:", "13: then[0]", "unknown step 'evnts' (did you mean 'events'?); valid: customer, events,"),
    ("  - events:", "  - frobnicate:", "13: then[0]", "unknown step 'frobnicate'; valid: customer,"),
    ("requirements:", "requirement:", "3: (top level)", "unknown key 'requirement' (did you mean 'requirements'?)"),
    ("type: long_code", "typ: long_code", "6: given.numbers[0]", "unknown key 'typ' (did you mean 'type'?)"),
])
def test_unknown_steps_and_keys_name_the_nearest_valid_one(tmp_path, old, new, where, fragment):
    path = _write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{where}: ") and fragment in str(caught.value), str(caught.value)


@pytest.mark.parametrize("old,new,line,plain", [
    ("title: A tiny scenario", "title: Reply: STOP", 2, "a ':' where none can be"),
    ('body: "STOP"}', 'body: "STOP}', 10, "a quoted text that is never closed (it starts on this line)"),
    ("  - advance: 1h", "\t- advance: 1h", 11, "a tab character: YAML indents with spaces only"),
    ("requirements: [KW-CASE]", "requirements: [KW-CASE", 3, "a [list] opened on this line that is not closed with ']'"),
    ("  customers:", "   customers:", 7, "a line indented differently from the lines around it"),
    ("title: A tiny scenario\n", "title: A tiny scenario\nid: again\n", 3, "duplicate key 'id' (first at line 1)"),
])
def test_yaml_mistakes_are_told_in_plain_words_with_the_line(tmp_path, old, new, line, plain):
    assert old in VALID
    path = _write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and plain in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)
