"""Every mutant breaks its rule: one cheap scenario per mutant, run on the correct platform and on
the mutant, must observe a different result through the driver API."""

import re
from pathlib import Path

import httpx
import pytest

from driven_platform import LONG_CODE, driven_platform
from reference_platform.adapter import platform as reference
from reference_platform.mutants import MUTANTS

PHONE = "+34600000001"
SHORT = "11221"
ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {}


def scenario(name):
    def register(function):
        SCENARIOS[name] = function
        return function
    return register


def run(name, mutant):
    with driven_platform(mutant) as p:
        return SCENARIOS[name](p)


def blacklisted_after(body):
    def check(p):
        p.customer(PHONE)
        p.mo(PHONE, body)
        return len(p.opt_outs()["blacklist"])
    return check


def processes(p, *items, policy=None):
    p.configure(inbound_numbers=[{"number": SHORT, "type": "short_code", "provider": "sinch"},
                                 {"number": "11222", "type": "shared_short_code", "provider": "sinch",
                                  "provider_keywords": ["baby"]}],
                sms_processes=[{"id": f"p{i}", "inbound_number": SHORT, "state": "started", **item}
                               for i, item in enumerate(items)],
                confirmation_policy=policy or {}, two_way={"keywords": []})


def unsubscribed_after(p, body, to=SHORT, sender=PHONE):
    p.mo(sender, body, to=to)
    return len(p.opt_outs()["unsubscribe_list"])


def contact_centre(p, **settings):
    p.configure(contact_centre={"enabled": True, "phone_number": "+34910000000", "provider": "sinch",
                                "inbound_blacklist_enabled": True, "outbound_blacklist_enabled": True,
                                "blacklist": ["+34600000009"], "out_of_hours_message": "Closed",
                                "timeout_message": "Timeout", **settings})


def cc_states(p):
    return [i["state"] for i in p.queue()]


SCENARIOS.update({
    "kw_case_sensitive": blacklisted_after("STOP"),
    "kw_accent_sensitive": blacklisted_after("arrêt"),
    "kw_whitespace_significant": blacklisted_after(" stop"),
    "kw_match_anywhere": blacklisted_after("Please stop"),
    "kw_whole_message": blacklisted_after("stopwatches"),
})


@scenario("kw_limits_unchecked")
def _(p):
    return p.put_config({"two_way": {"keywords": [f"kw{i:03d}" for i in range(101)]}}).status_code


@scenario("kw_categories_unchecked")
def _(p):
    return p.put_config({"two_way": {"categories": list("abcdef")}}).status_code


@scenario("blacklist_at_batch")
def _(p):
    p.mo(PHONE, "STOP")
    return p.opt_outs()["blacklist"]


@scenario("blacklist_ignored_on_send")
def _(p):
    customer = p.customer(PHONE)
    p.mo(PHONE, "STOP")
    return p.send_one(customer)["status"]


@scenario("consent_events_at_once")
def _(p):
    p.customer(PHONE)
    p.set_clock("2026-01-05T10:20:00.000Z")
    p.mo(PHONE, "STOP")
    return [e["imported_timestamp"] for e in p.events(type="consent") if e["source"] == "sms_reply"]


@scenario("batch_rejects_not_applied")
def _(p):
    customer = p.customer(PHONE)
    p.mo(PHONE, "STOP")
    p.advance(3600)
    return p.send_one(customer)["status"]


@scenario("consent_timestamp_is_import")
def _(p):
    p.customer(PHONE)
    p.set_clock("2026-01-05T10:20:00.000Z")
    p.mo(PHONE, "STOP")
    p.advance(3600)
    return [e["timestamp"] for e in p.events(type="consent") if e["source"] == "sms_reply"]


@scenario("consent_first_category_only")
def _(p):
    p.configure(two_way={"categories": ["sms_marketing", "sms_news"]})
    p.customer(PHONE)
    p.mo(PHONE, "STOP")
    p.advance(3600)
    return sorted(e["category"] for e in p.events(type="consent") if e["source"] == "sms_reply")


def rejected_profiles(count):
    def check(p):
        for i in range(count):
            p.customer(PHONE, id=f"c{i}")
        p.mo(PHONE, "STOP")
        p.advance(3600)
        return sorted({e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"})
    return check


SCENARIOS["dup_no_cap"] = rejected_profiles(11)
SCENARIOS["dup_only_one"] = rejected_profiles(2)


def incoming(p):
    p.customer(PHONE, id="old")
    p.send_one(p.customer(PHONE, id="new"))
    p.mo(PHONE, "hello")
    return [(e["customer_id"], e["sender"], e["recipient"]) for e in p.campaign_events(status="incoming_message")]


SCENARIOS["incoming_to_every_profile"] = incoming
SCENARIOS["incoming_to_oldest_profile"] = incoming
SCENARIOS["incoming_sender_recipient_swapped"] = incoming


@scenario("phone_forms_strict")
def _(p):
    p.customer("0034600000001")
    p.mo("34600000001", "hello")
    return len(p.campaign_events(status="incoming_message"))


@scenario("li_no_new_profile_block")
def _(p):
    p.configure(consent_categories=[{"name": "sms_marketing", "legal_basis": "legitimate_interest"}])
    p.customer(PHONE, consents={})
    p.mo(PHONE, "STOP")
    p.advance(3600)
    return p.send_one(p.customer(PHONE, consents={}))["status"]


@scenario("duplicate_callbacks_processed")
def _(p):
    p.customer(PHONE)
    p.mo(PHONE, "hello", message_id="same")
    p.mo(PHONE, "hello", message_id="same")
    return len(p.campaign_events(status="incoming_message"))


@scenario("signature_not_checked")
def _(p):
    p.configure(providers={"sinch": {"webhook_secret": "s3cret"}})
    payload = {"type": "mo_text", "id": "m", "from": "34600000001", "to": "4915112348765", "body": "STOP"}
    return p.post_webhook("sinch", "mo", payload, headers={"X-Sinch-Webhook-Signature": "forged",
                                                           "X-Sinch-Webhook-Signature-Nonce": "n",
                                                           "X-Sinch-Webhook-Signature-Timestamp": "1"}).status_code


@scenario("malformed_callbacks_accepted")
def _(p):
    return p.post_webhook("sinch", "mo", content="{not json").status_code


@scenario("paused_process_acts")
def _(p):
    processes(p, {"type": "unsubscribe", "state": "paused"})
    return unsubscribed_after(p, "stop")


@scenario("process_edits_need_restart")
def _(p):
    processes(p, {"type": "help", "message": "old"})
    processes(p, {"type": "help", "message": "new"})
    p.mo(PHONE, "help", to=SHORT)
    return [m["body"] for m in p.providers.sent]


@scenario("processes_not_unique")
def _(p):
    processes(p)
    return p.put_config({"sms_processes": [{"id": "a", "type": "unsubscribe", "inbound_number": SHORT},
                                           {"id": "b", "type": "unsubscribe", "inbound_number": SHORT}]}).status_code


@scenario("custom_keywords_ignored")
def _(p):
    processes(p, {"type": "unsubscribe", "custom_keywords": ["basta"]})
    return unsubscribed_after(p, "basta")


@scenario("custom_keyword_chars_unchecked")
def _(p):
    processes(p)
    return p.put_config({"sms_processes": [{"id": "a", "type": "unsubscribe", "inbound_number": SHORT,
                                            "custom_keywords": ["stop2"]}]}).status_code


@scenario("shared_code_keyword_first")
def _(p):
    processes(p, {"type": "unsubscribe", "inbound_number": "11222", "provider_keyword": "baby"})
    return unsubscribed_after(p, "baby stop", to="11222")


@scenario("help_no_reply")
def _(p):
    processes(p, {"type": "help", "message": "Help text"})
    p.mo(PHONE, "HELP", to=SHORT)
    return len(p.providers.sent)


@scenario("unsubscribe_not_listed")
def _(p):
    processes(p, {"type": "unsubscribe"})
    return unsubscribed_after(p, "stop")


@scenario("reply_from_sender_name")
def _(p):
    processes(p, {"type": "help", "message": "Help text"})
    p.mo(PHONE, "HELP", to=SHORT)
    return [m["from"] for m in p.providers.sent]


def confirmations(phone, setting):
    def check(p):
        processes(p, {"type": "unsubscribe", "message": "Bye", "send_confirmation": setting},
                  policy={"FR": "mandatory", "US": "prohibited"})
        p.mo(phone, "STOP", to=SHORT)
        return len(p.providers.sent)
    return check


SCENARIOS["confirmation_mandatory_ignored"] = confirmations("+33612345678", False)
SCENARIOS["confirmation_optional_always"] = confirmations("+4915112340000", False)
SCENARIOS["confirmation_prohibited_sent"] = confirmations("+12025550143", True)


@scenario("national_phone_sent")
def _(p):
    return p.send_one(p.customer("015112345678"))["status"]


@scenario("sender_12_chars")
def _(p):
    return p.send_raw(customer_ids=[p.customer()["id"]], body="Hi", sender="ShopShopShop").status_code


@scenario("consent_not_checked")
def _(p):
    return p.send_one(p.customer(consents={}))["status"]


@scenario("frequency_off_by_one")
def _(p):
    p.configure(sending={"frequency_policy": {"max_campaigns": 1, "period_hours": 24}})
    customer = p.customer()
    return [p.send_one(customer)["status"] for _ in range(2)]


@scenario("delivery_reports_ignored")
def _(p):
    customer = p.customer()
    p.send_one(customer)
    p.dlr(p.providers.sent[0])
    return [e["status"] for e in p.campaign_events(customer["id"])]


@scenario("language_versions_ignored")
def _(p):
    return p.send_one(p.customer(language="fr"), "Hello", language_versions={"fr": "Bonjour"})["body"]


def segments(body):
    def check(p):
        outcome = p.send_one(p.customer(), body)
        return outcome["encoding"], outcome["segment_count"]
    return check


SCENARIOS["seg_parts_of_160"] = segments("a" * 307)
SCENARIOS["seg_extended_counted_once"] = segments("€" * 81)
SCENARIOS["seg_unicode_as_gsm"] = segments("ш" * 71)
SCENARIOS["max_parts_9"] = lambda p: p.send_one(p.customer(), "a" * (153 * 8 + 1))["status"]


@scenario("seg_counted_before_render")
def _(p):
    return p.send_one(p.customer(attributes={"first_name": "Tim"}), "{{ first_name }}" + "a" * 155,
                      max_parts=1)["status"]


def shortened(body, **request):
    def check(p):
        p.configure(sending={"link_shortener": {"enabled": True, "domain": "exp.cx", "expiry_days": 90}})
        outcome = p.send_one(p.customer(), body, **request)
        return outcome["status"], outcome["body"].startswith("https://exp.cx/")
    return check


SCENARIOS["length_before_shortening"] = shortened("https://example.com/" + "x" * 200, max_parts=1)
SCENARIOS["links_without_protocol_shortened"] = shortened("www.example.com/page")


@scenario("short_links_never_expire")
def _(p):
    p.configure(sending={"link_shortener": {"enabled": True, "domain": "exp.cx", "expiry_days": 1}})
    code = p.send_one(p.customer(), "https://example.com/a")["body"].rsplit("/", 1)[1]
    p.advance(86400)
    return p.client.get(f"/r/{code}", follow_redirects=False).status_code


@scenario("sinch_basic_auth")
def _(p):
    return p.send_one(p.customer())["status"]


@scenario("provider_5xx_not_retried")
def _(p):
    p.providers.fail_next("sinch", httpx.Response(503))
    return p.send_one(p.customer())["status"]


@scenario("phone_status_ignored")
def _(p):
    return p.send_one(p.customer(mobile_phone_status="paused"))["status"]


@scenario("newsletter_to_unsubscribed")
def _(p):
    return p.send_one(p.customer(sms_subscription="none"))["status"]


@scenario("bounce_not_recorded")
def _(p):
    customer = p.customer()
    p.send_one(customer, provider="instasent")
    p.dlr(p.providers.sent[0], "Failed", code=4)
    return p.get_customer(customer["id"])["mobile_phone_status"]


@scenario("alert_to_customer_phone")
def _(p):
    return p.send_one(p.customer(), kind="alert", alert_phone="+34699999999")["phone"]


@scenario("phone_stored_raw")
def _(p):
    return p.customer("0034600000001")["phone"]


@scenario("received_counts_sends")
def _(p):
    customer = p.customer()
    p.send_one(customer)
    return p.received(customer["id"])


@scenario("cc_disabled_queues")
def _(p):
    contact_centre(p, enabled=False)
    p.mo(PHONE, "hi", to="+34910000000")
    return cc_states(p)


@scenario("cc_inbound_blacklist_queued")
def _(p):
    contact_centre(p)
    p.mo("+34600000009", "hi", to="+34910000000")
    return cc_states(p)


@scenario("cc_outbound_blacklist_ignored")
def _(p):
    contact_centre(p)
    return p.agent_message("+34600000009")["status"]


@scenario("cc_no_out_of_hours_message")
def _(p):
    contact_centre(p, business_hours={"timezone": "UTC", "days": [0], "start": "09:00", "end": "10:00"})
    p.mo(PHONE, "hi", to="+34910000000")
    return len(p.providers.sent)


@scenario("cc_max_interactions_ignored")
def _(p):
    contact_centre(p, max_interactions=1)
    p.mo(PHONE, "hi", to="+34910000000")
    p.mo("+34600000002", "hi", to="+34910000000")
    return cc_states(p)


@scenario("cc_no_queue_timeout")
def _(p):
    contact_centre(p, max_queue_seconds=60)
    p.mo(PHONE, "hi", to="+34910000000")
    p.advance(60)
    return cc_states(p), len(p.providers.sent)


# -- issue 7, section 4: wrong behaviours that certified before ----------------------------------
@scenario("transactional_ignores_blacklist")
def _(p):
    customer = p.customer(PHONE)
    p.mo(PHONE, "STOP")
    return p.send_one(customer, kind="transactional")["status"]


@scenario("opt_out_reply_from_unknown_phone_ignored")
def _(p):
    p.mo(PHONE, "STOP")
    return len(p.opt_outs()["blacklist"])


@scenario("blacklist_lookup_raw_phone")
def _(p):
    customer = p.customer("0034600000001")
    p.mo(PHONE, "STOP")
    return p.send_one(customer)["status"]


@scenario("batch_first_reply_only")
def _(p):
    for i in range(3):
        p.customer(f"+3460000001{i}")
        p.mo(f"+3460000001{i}", "STOP")
    p.advance(3600)
    return len({e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"})


def rejected_with_consents(*consents):
    def check(p):
        for i, consent in enumerate(consents):
            p.customer(PHONE, id=f"c{i}", consents=consent)
        p.mo(PHONE, "STOP")
        p.advance(3600)
        return len({e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"})
    return check


SCENARIOS["rejects_only_to_consenting"] = rejected_with_consents({}, {"sms_marketing": "accept"})
SCENARIOS["cap_counts_consenting_only"] = rejected_with_consents(*[{}, {"sms_marketing": "accept"}] * 6)


def incoming_after(*sends, body="hello"):
    """Profiles oldest, a, b on one phone; sends as (profile, kind); then a reply: who gets the incoming message."""
    def check(p):
        for name in ("oldest", "a", "b"):
            p.customer(PHONE, id=name)
        for name, kind in sends:
            p.send_one(name, kind=kind)
        p.mo(PHONE, body)
        p.advance(3600)
        return [e["customer_id"] for e in p.campaign_events(status="incoming_message")]
    return check


SCENARIOS["ordinary_reply_to_oldest"] = incoming_after(("a", "campaign"))
SCENARIOS["last_sms_is_first_sms"] = incoming_after(("a", "campaign"), ("b", "campaign"), ("a", "campaign"))
SCENARIOS["last_sms_campaigns_only"] = incoming_after(("a", "campaign"), ("b", "transactional"))


@scenario("opt_out_while_disabled")
def _(p):
    p.configure(two_way={"opt_out_enabled": False})
    return blacklisted_after("STOP")(p)


@scenario("ordinary_replies_not_tracked")
def _(p):
    p.customer(PHONE)
    p.mo(PHONE, "Thanks")
    return len(p.campaign_events(status="incoming_message"))


@scenario("incoming_tracked_when_disabled")
def _(p):
    p.configure(two_way={"track_incoming": False})
    p.customer(PHONE)
    p.mo(PHONE, "Thanks")
    return len(p.campaign_events(status="incoming_message"))


@scenario("li_creation_consent_is_explicit")
def _(p):
    p.configure(consent_categories=[{"name": "sms_marketing", "legal_basis": "legitimate_interest"}])
    p.customer(PHONE, consents={})
    p.mo(PHONE, "STOP")
    p.advance(3600)
    return p.send_one(p.customer(PHONE, consents={"sms_marketing": "accept"}))["status"]


@scenario("kw_pattern_match")
def _(p):
    p.configure(two_way={"keywords": ["s.op"]})
    return blacklisted_after("stop")(p)


def confirmation_on(number, phone, policy, setting):
    def check(p):
        p.configure(inbound_numbers=[{"number": number, "type": "long_code", "provider": "sinch"}],
                    sms_processes=[{"id": "u", "type": "unsubscribe", "inbound_number": number, "state": "started",
                                    "message": "Bye", "send_confirmation": setting}],
                    confirmation_policy=policy, two_way={"keywords": []})
        p.mo(phone, "STOP", to=number)
        return len(p.providers.sent)
    return check


SCENARIOS["confirmation_region_by_calling_code"] = confirmation_on(LONG_CODE, "+447797712345", {"JE": "prohibited"}, True)
SCENARIOS["confirmation_country_of_inbound_number"] = confirmation_on(LONG_CODE, "+33612345678", {"FR": "mandatory"},
                                                                      False)


@scenario("unsubscribe_list_raw_phone")
def _(p):
    processes(p, {"type": "unsubscribe"})
    customer = p.customer("0034600000001")
    p.mo(PHONE, "stop", to=SHORT)
    return p.send_one(customer)["status"]


@scenario("cc_blacklist_as_written")
def _(p):
    contact_centre(p, blacklist=["0034600000009"])
    p.mo("+34600000009", "hi", to="+34910000000")
    return cc_states(p)


SCENARIOS["seg_escape_pair_split"] = segments("a" * 152 + "€" + "a" * 152)


@scenario("kw_keyword_case_kept")
def _(p):
    p.configure(two_way={"keywords": ["STOP"]})
    return blacklisted_after("stop")(p)


SCENARIOS["kw_whitespace_spaces_only"] = blacklisted_after("\tstop")


@scenario("kw_length_in_bytes")
def _(p):
    return p.put_config({"two_way": {"keywords": ["arrêtdésinscriptions"]}}).status_code


SCENARIOS["incoming_to_newest_profile"] = incoming_after(("a", "campaign"))


@scenario("incoming_recipient_is_sender")
def _(p):
    p.customer(PHONE)
    p.mo(PHONE, "hello")
    return [e["recipient"] for e in p.campaign_events(status="incoming_message")]


@scenario("phone_match_by_national_number")
def _(p):
    p.customer("+4315123456789")
    p.mo("+4915123456789", "hello")
    return len(p.campaign_events(status="incoming_message"))


SCENARIOS["seg_surrogates_count_one"] = segments("😀" * 36)


@scenario("cc_hours_in_utc")
def _(p):
    contact_centre(p, business_hours={"timezone": "Europe/Madrid", "days": [0, 1, 2, 3, 4], "start": "09:00",
                                      "end": "18:00"})
    p.set_clock("2026-01-05T17:30:00.000Z")
    p.mo(PHONE, "hi", to="+34910000000")
    return cc_states(p), len(p.providers.sent)


@pytest.mark.parametrize("mutant", [m.name for m in MUTANTS])
def test_mutant_breaks_its_rule(mutant):
    assert mutant in SCENARIOS, f"no scenario shows what {mutant} breaks"
    correct, broken = run(mutant, None), run(mutant, mutant)
    assert correct != broken, f"{mutant} behaves like the correct platform: {correct!r}"


def test_every_mutant_names_a_requirement_of_the_architecture():
    table = (ROOT / "docs" / "architecture.md").read_text()
    ids = set(re.findall(r"`([A-Z]+(?:-[A-Z0-9]+)+)`", table))
    assert len(MUTANTS) >= 30
    for mutant in MUTANTS:
        assert mutant.requirement in ids, mutant


def test_each_mutant_is_consulted_in_the_platform_code():
    sources = "".join(path.read_text() for path in (ROOT / "reference_platform").rglob("*.py")
                      if path.name != "mutants.py")
    for mutant in MUTANTS:
        assert f'broken("{mutant.name}")' in sources, mutant.name


def test_unknown_mutant_is_refused():
    with pytest.raises(ValueError, match="unknown mutant"):
        reference.create_app(mutant="no_such_mutant")


def test_mutants_listed_in_the_documentation():
    doc = (ROOT / "docs" / "reference-platform.md").read_text()
    for mutant in MUTANTS:
        assert f"`{mutant.name}`" in doc and mutant.requirement in doc
