"""Properties through the driver API, checked against independent implementations: the fakes'
segment count, and the seed's keyword traits on generated keywords and messages."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driven_platform import BASE_CONFIG, Driven, driven_platform
from fake_providers.encoding import segment as fakes_segment

GSM_BASIC = string.ascii_letters + string.digits + " .,!?@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ\"#%&'()*+-/:;<=>¡ÄÖÑÜ§¿äöñüà\n"
GSM_EXTENDED = "€[]{}~^|\\"
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bodies():
    gsm = st.text(alphabet=GSM_BASIC + GSM_EXTENDED, min_size=1, max_size=700)
    unicode = st.builds(lambda a, b: a + b, st.text(alphabet=GSM_BASIC, max_size=300),
                        st.text(alphabet="шЖ漢😀é€", min_size=1, max_size=200))
    return st.one_of(gsm, unicode)


def test_segment_count_agrees_with_the_fakes():
    with driven_platform() as p:
        customer = p.customer()
        @SETTINGS
        @given(bodies())
        def check(body):
            outcome = p.send_one(customer, body, kind="transactional", category=None)
            expected = fakes_segment(body)
            assert (outcome["encoding"], outcome["segment_count"]) == (expected.encoding, expected.segment_count)
            assert outcome["status"] == ("enqueued" if expected.segment_count <= 8 else "enqueue_failed")
        check()


FOLDS = {"a": "àÁâ", "e": "éÈê", "i": "íÎ", "o": "óÔö", "u": "úÜ", "s": "šŚ", "t": "ťŢ", "c": "çČ", "n": "ñŇ"}


@st.composite
def disguised(draw, keyword):
    """The keyword with random case, accents and whitespace (all ignored by 001)."""
    out = []
    for char in keyword:
        choice = draw(st.sampled_from(["same", "upper", "accent", "space"]))
        if choice == "upper":
            char = char.upper()
        elif choice == "accent" and char in FOLDS:
            char = draw(st.sampled_from(FOLDS[char]))
        elif choice == "space":
            char = " " + char
        out.append(char)
    return "".join(out)


def test_keyword_traits_hold_for_generated_keywords():
    with driven_platform() as p:
        @SETTINGS
        @given(st.data(), st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=20),
               st.text(alphabet=string.ascii_letters + " .!", max_size=20))
        def check(data, keyword, rest):
            ws = Driven(p.client, p.providers)  # a fresh workspace per example
            ws.configure({**BASE_CONFIG, "two_way": {**BASE_CONFIG["two_way"], "keywords": [keyword]}})
            phone, other = "+34612345678", "+34612345679"
            ws.mo(phone, data.draw(disguised(keyword)) + rest)
            lead = "x" if keyword[0] != "x" else "y"
            ws.mo(other, f"{lead}{keyword}{rest}")
            ws.mo(other, f"{lead.upper()} {keyword}")  # "Please stop": not at the start
            assert [entry["phone"] for entry in ws.opt_outs()["blacklist"]] == [phone]
        check()
