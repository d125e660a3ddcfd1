"""SMS processes and per-country confirmation (000_4e58f52947aa8edb.txt)."""

import pytest

SHORT = "11221"
SHARED = "11222"
FR, US, DE = "+33612345678", "+12025550143", "+4915112340000"


def numbers():
    return [{"number": "+4915112348765", "type": "long_code", "provider": "sinch"},
            {"number": SHORT, "type": "short_code", "provider": "sinch"},
            {"number": SHARED, "type": "shared_short_code", "provider": "sinch", "provider_keywords": ["baby", "kids"]}]


def process(pid="p1", type="unsubscribe", number=SHORT, state="started", **extra):
    return {"id": pid, "type": type, "name": pid, "inbound_number": number, "state": state, **extra}


@pytest.fixture
def proc(p):
    def configure(*processes, policy=None):
        p.configure(inbound_numbers=numbers(), sms_processes=list(processes), confirmation_policy=policy or {},
                    two_way={"keywords": []})
        return p
    return configure


def unsubscribed(p):
    return [u["phone"] for u in p.opt_outs()["unsubscribe_list"]]


def test_started_unsubscribe_adds_sender_to_unsubscribe_list(proc):
    p = proc(process())
    customer = p.customer(DE)
    p.mo(DE, "STOP", to=SHORT)
    [entry] = p.opt_outs()["unsubscribe_list"]
    assert entry["phone"] == DE and entry["process_id"] == "p1"
    outcome = p.send_one(customer)
    assert (outcome["status"], outcome["reason"]) == ("skipped", "unsubscribe_list")
    assert p.send_one(customer, kind="transactional")["status"] == "enqueued"


@pytest.mark.parametrize("state", ["new", "paused"])
def test_only_started_processes_act(proc, state):
    p = proc(process(state=state))
    p.mo(DE, "stop", to=SHORT)
    assert unsubscribed(p) == []


def test_edits_to_a_started_process_apply_at_once(proc):
    p = proc(process(type="help", message="Old help"))
    p.configure(sms_processes=[process(type="help", message="New help")])
    p.mo(DE, "HELP", to=SHORT)
    assert [m["body"] for m in p.providers.to(DE)] == ["New help"]


def test_one_process_of_each_type_per_number_and_provider_keyword(proc):
    p = proc()
    response = p.put_config({"sms_processes": [process("a"), process("b", state="new")]})
    assert response.status_code == 422
    ok = p.put_config({"sms_processes": [process("a"), process("b", type="help", message="Hi"),
                                         process("c", number=SHARED, provider_keyword="baby"),
                                         process("d", number=SHARED, provider_keyword="kids")]})
    assert ok.status_code == 200


def test_custom_keywords_are_added_to_the_defaults(proc):
    p = proc(process(custom_keywords=["basta"]))
    p.mo(DE, "Basta", to=SHORT)
    p.mo(FR, "stop", to=SHORT)
    assert unsubscribed(p) == [DE, FR]


@pytest.mark.parametrize("word", ["stop2", "st-op", "no more", "stop!", ""])
def test_custom_keywords_refused_with_digits_special_characters_or_spaces(proc, word):
    p = proc()
    response = p.put_config({"sms_processes": [process(custom_keywords=["fine", word])]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "sms_processes[0].custom_keywords[1]"


def test_shared_short_code_needs_provider_and_service_keyword(proc):
    p = proc(process(number=SHARED, provider_keyword="baby"), process("p2", number=SHARED, provider_keyword="kids",
                                                                         type="help", message="Kids help"))
    p.mo(DE, "stop", to=SHARED)
    assert unsubscribed(p) == []
    p.mo(DE, "kids stop", to=SHARED)
    assert unsubscribed(p) == []
    p.mo(DE, "baby stop", to=SHARED)
    assert unsubscribed(p) == [DE]
    p.mo(FR, "KIDS help", to=SHARED)
    assert [m["body"] for m in p.providers.to(FR)] == ["Kids help"]


def test_help_always_replies_from_the_number_that_received_it(proc):
    p = proc(process(type="help", message="Call 0800 123"), process("p2", type="help", number="+4915112348765",
                                                                      message="Long code help"))
    p.mo(US, "help", to=SHORT)
    p.mo(US, "info", to="+4915112348765")
    sent = p.providers.to(US)
    assert [(m["from"], m["body"]) for m in sent] == [(SHORT, "Call 0800 123"), ("+4915112348765", "Long code help")]


def test_help_requires_a_message(proc):
    p = proc()
    response = p.put_config({"sms_processes": [process(type="help")]})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "sms_processes[0].message"


@pytest.mark.parametrize("phone,setting,sent", [
    (FR, False, True),   # mandatory in FR
    (US, True, False),   # prohibited in US
    (DE, True, True),    # optional: the process decides
    (DE, False, False),
])
def test_confirmation_by_country_policy(proc, phone, setting, sent):
    p = proc(process(message="You are unsubscribed", send_confirmation=setting),
             policy={"FR": "mandatory", "US": "prohibited"})
    p.mo(phone, "STOP", to=SHORT)
    assert unsubscribed(p) == [phone]
    replies = p.providers.to(phone)
    assert [(m["from"], m["body"]) for m in replies] == ([(SHORT, "You are unsubscribed")] if sent else [])


def test_process_must_use_a_configured_inbound_number(proc):
    p = proc()
    response = p.put_config({"sms_processes": [process(number="99999")]})
    assert response.status_code == 422
