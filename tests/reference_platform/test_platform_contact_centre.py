"""The contact-centre channel (004_9b12d79c64c7b0c5.txt)."""

import pytest

CC = "+34910000000"
CUSTOMER = "+34600000001"
BLOCKED = "+34600000009"


@pytest.fixture
def cc(p):
    def configure(**settings):
        p.configure(contact_centre={"enabled": True, "phone_number": CC, "provider": "instasent",
                                    "inbound_blacklist_enabled": True, "outbound_blacklist_enabled": True,
                                    "blacklist": [BLOCKED], "out_of_hours_message": "We are closed",
                                    "timeout_message": "Sorry, try later", **settings})
        return p
    return configure


def states(p):
    return [(i["phone"], i["state"]) for i in p.queue()]


def test_inbound_enters_the_queue(cc):
    p = cc()
    p.mo(CUSTOMER, "I need help", to=CC, provider="instasent")
    [interaction] = p.queue()
    assert interaction["phone"] == CUSTOMER and interaction["message"] == "I need help"
    assert interaction["state"] == "queued" and interaction["entered_at"] == "2026-01-05T10:00:00.000Z"


def test_disabled_channel_takes_no_interactions(cc):
    p = cc(enabled=False)
    p.mo(CUSTOMER, "hello", to=CC, provider="instasent")
    assert p.queue() == []
    assert p.agent_message(CUSTOMER) == {"status": "refused", "reason": "channel_disabled"}


def test_inbound_blacklist_rejected_never_queued(cc):
    p = cc()
    p.mo(BLOCKED, "spam", to=CC, provider="instasent")
    assert states(p) == [(BLOCKED, "rejected")]
    p.configure(contact_centre={"inbound_blacklist_enabled": False})
    p.mo(BLOCKED, "again", to=CC, provider="instasent")
    assert states(p) == [(BLOCKED, "rejected"), (BLOCKED, "queued")]


def test_outbound_blacklist_refused(cc):
    p = cc()
    assert p.agent_message("0034600000009") == {"status": "refused", "reason": "outbound_blacklist"}
    assert p.agent_message(CUSTOMER) == {"status": "sent", "reason": None}
    assert [(m["from"], m["to"]) for m in p.providers.sent] == [(CC, CUSTOMER)]
    p.configure(contact_centre={"outbound_blacklist_enabled": False})
    assert p.agent_message(BLOCKED)["status"] == "sent"


def test_out_of_hours_message(cc):
    p = cc(business_hours={"timezone": "Europe/Madrid", "days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"})
    p.set_clock("2026-01-05T17:30:00.000Z")  # 18:30 in Madrid
    p.mo(CUSTOMER, "anyone?", to=CC, provider="instasent")
    assert p.queue() == []
    assert [(m["from"], m["body"]) for m in p.providers.to(CUSTOMER)] == [(CC, "We are closed")]
    p.set_clock("2026-01-06T08:30:00.000Z")  # Tuesday 09:30 in Madrid
    p.mo(CUSTOMER, "now?", to=CC, provider="instasent")
    assert states(p) == [(CUSTOMER, "queued")]
    p.set_clock("2026-01-10T10:00:00.000Z")  # Saturday
    p.mo(CUSTOMER, "weekend?", to=CC, provider="instasent")
    assert len(p.providers.to(CUSTOMER)) == 2


def test_max_interactions_in_queue(cc):
    p = cc(max_interactions=2)
    for n in range(3):
        p.mo(f"+3460000010{n}", "hi", to=CC, provider="instasent")
    assert [i["state"] for i in p.queue()] == ["queued", "queued", "rejected"]


def test_zero_max_interactions_is_unlimited(cc):
    p = cc(max_interactions=0)
    for n in range(5):
        p.mo(f"+3460000010{n}", "hi", to=CC, provider="instasent")
    assert [i["state"] for i in p.queue()] == ["queued"] * 5


def test_queue_timeout_with_reply(cc):
    p = cc(max_queue_seconds=300)
    p.mo(CUSTOMER, "first", to=CC, provider="instasent")
    p.advance(100)
    p.mo("+34600000002", "second", to=CC, provider="instasent")
    moved = p.advance(200)
    assert moved["ran"] == ["queue_timeout@2026-01-05T10:05:00.000Z"]
    assert [i["state"] for i in p.queue()] == ["timed_out", "queued"]
    assert [(m["from"], m["body"]) for m in p.providers.to(CUSTOMER)] == [(CC, "Sorry, try later")]
    p.advance(100)
    assert [i["state"] for i in p.queue()] == ["timed_out", "timed_out"]


def test_invalid_contact_centre_configuration(p):
    response = p.put_config({"contact_centre": {"enabled": True, "max_interactions": -1, "blacklist": ["abc"],
                                                "business_hours": {"timezone": "Mars/Base", "days": [7],
                                                                   "start": "9", "end": "18:00"}}})
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"contact_centre.phone_number", "contact_centre.max_interactions", "contact_centre.blacklist[0]",
                     "contact_centre.business_hours.timezone", "contact_centre.business_hours.days",
                     "contact_centre.business_hours.start"}
