"""Campaign, transactional and alert sends (002, 003): who may be sent to, what is sent, how long it is."""

from datetime import timedelta

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from . import config as config_module
from . import phones
from .links import shorten
from .outbox import provider_for, send_sms
from .providers import ProviderError
from .segments import segment
from .workspace import Customer, Workspace

BLACKLISTED = "Phone number is blacklisted by an opt-out keyword."
KINDS = ("campaign", "transactional", "alert")
_JINJA = SandboxedEnvironment(autoescape=False)


def validate(ws: Workspace, request) -> list[dict]:
    """Every problem of a send request, as (path, message) objects."""
    if not isinstance(request, dict):
        return [{"path": "", "message": "must be an object"}]
    problems = []

    def add(path, message):
        problems.append({"path": path, "message": message})

    kind = request.get("kind")
    if kind not in KINDS:
        add("kind", f"must be one of {KINDS}")
    if not isinstance(request.get("body"), str):
        add("body", "required string")
    versions = request.get("language_versions") or {}
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        add("language_versions", "must map languages to template strings")
        versions = {}
    for path, template in [("body", request.get("body"))] + [(f"language_versions.{k}", v) for k, v in versions.items()]:
        if isinstance(template, str):
            try:
                _JINJA.from_string(template)
            except TemplateSyntaxError as error:
                add(path, f"invalid template: {error.message}")
    ids = request.get("customer_ids", [])
    if not isinstance(ids, list):
        add("customer_ids", "must be a list")
    else:
        for index, cid in enumerate(ids):
            if not isinstance(cid, str) or cid not in ws.customers:
                add(f"customer_ids[{index}]", f"unknown customer {cid!r}")
    if kind == "alert" and phones.to_e164(request.get("alert_phone")) is None:
        add("alert_phone", "an alert needs a fixed phone number in international form")
    sender = request.get("sender") or ws.config["sending"].get("sender")
    problem = config_module.sender_problem(sender, ws.broken) if sender is not None else "required (or sending.sender)"
    if problem:
        add("sender", problem)
    provider = provider_for(ws, request.get("provider"))
    if provider not in config_module.PROVIDERS:
        add("provider", f"must be one of {config_module.PROVIDERS}")
    elif provider not in ws.config["providers"]:
        add("provider", f"provider {provider} is not configured")
    max_parts = request.get("max_parts")
    if max_parts is not None and not (isinstance(max_parts, int) and not isinstance(max_parts, bool) and 1 <= max_parts <= 8):
        add("max_parts", "must be an integer from 1 to 8")
    category = request.get("category")
    if category is not None and not isinstance(category, str):
        add("category", "must be a consent category name")
    for key in ("campaign_id", "alert_phone"):
        if request.get(key) is not None and not isinstance(request[key], str):
            add(key, "must be a string")
    return problems


def _outcome(customer_id, phone, status, reason=None, message=None, **extra):
    outcome = {"customer_id": customer_id, "phone": phone, "status": status, "reason": reason, "message": message,
               "provider": None, "provider_message_id": None, "encoding": None, "segment_count": None, "body": None}
    outcome.update(extra)
    return outcome


def _render(template: str, customer: Customer | None) -> str:
    context = {}
    if customer is not None:
        context = {**customer.attributes, "customer": customer.attributes, "id": customer.id,
                   "phone": customer.phone, "language": customer.language}
    return _JINJA.from_string(template).render(context)


def consent_block(ws: Workspace, customer: Customer, category: str | None) -> str | None:
    """Why the customer's consents stop a send in `category` (003, 001 legitimate interest), or None."""
    if category is None:
        return None
    state = customer.consents.get(category)
    if state and state["action"] == "reject":
        return "consent_rejected"
    basis = ws.consent_category(category)["legal_basis"]
    if basis == "consent":
        if (not state or state["action"] != "accept") and not ws.broken("consent_not_checked"):
            return "no_consent"
        return None
    entry = ws.blacklist.get(customer.phone)
    if entry is not None and entry.processed_at is not None and not ws.broken("li_no_new_profile_block"):
        explicit = state is not None and (state["explicit"] or ws.broken("li_creation_consent_is_explicit"))
        accepted_since = (explicit and state["action"] == "accept"
                          and state["at"] >= entry.blacklisted_at)
        if not accepted_since:
            return "legitimate_interest_block"
    return None


def _frequency_block(ws: Workspace, customer: Customer) -> bool:
    policy = ws.config["sending"].get("frequency_policy")
    if not policy:
        return False
    since = ws.now - timedelta(hours=policy["period_hours"])
    received = sum(1 for m in ws.sent.values()
                   if m.customer_id == customer.id and m.kind == "campaign" and m.sent_at > since)
    allowed = policy["max_campaigns"] + (1 if ws.broken("frequency_off_by_one") else 0)
    return received >= allowed


def _record_last_sms(ws: Workspace, customer: Customer, kind: str) -> None:
    """001: the incoming message goes to the profile that "received the last sent SMS", of any kind."""
    if ws.broken("last_sms_is_first_sms") and customer.last_sms_seq is not None:
        return
    if ws.broken("last_sms_campaigns_only") and kind != "campaign":
        return
    customer.last_sms_seq = ws.next_seq()


def _skip_reason(ws: Workspace, customer: Customer) -> str | None:
    if customer.phone is None:
        return "no_phone"
    if customer.mobile_phone_status != "active" and not ws.broken("phone_status_ignored"):
        return f"phone_{customer.mobile_phone_status}"
    return None


def _marketing_reason(ws: Workspace, customer: Customer, category: str | None) -> str | None:
    """Newsletters only go to subscribed customers with consent, within the frequency policy."""
    if customer.sms_subscription != "subscribed" and not ws.broken("newsletter_to_unsubscribed"):
        return "not_subscribed"
    if (customer.phone_raw if ws.broken("unsubscribe_list_raw_phone") else customer.phone) in ws.unsubscribe_list:
        return "unsubscribe_list"
    reason = consent_block(ws, customer, category)
    if reason:
        return reason
    if _frequency_block(ws, customer):
        return "frequency_policy"
    return None


async def send(ws: Workspace, request: dict, links: dict) -> dict:
    kind = request["kind"]
    sender = request.get("sender") or ws.config["sending"]["sender"]
    provider = provider_for(ws, request.get("provider"))
    max_parts = request.get("max_parts") or ws.config["sending"]["max_parts"]
    category = request.get("category")
    campaign_id = request.get("campaign_id")
    versions = request.get("language_versions") or {}
    targets = [ws.customers[cid] for cid in request.get("customer_ids") or []]
    if kind == "alert" and not targets:
        targets = [None]
    outcomes = []
    for customer in targets:
        outcomes.append(await _send_one(ws, kind, customer, request, sender, provider, max_parts, category,
                                        campaign_id, versions, links))
    return {"send_id": ws.new_id("send"), "outcomes": outcomes}


async def _send_one(ws, kind, customer, request, sender, provider, max_parts, category, campaign_id, versions, links):
    customer_id = customer.id if customer else None
    if kind == "alert":
        phone = phones.to_e164(request["alert_phone"])
        if ws.broken("alert_to_customer_phone") and customer is not None and customer.phone:
            phone = customer.phone
    else:
        phone = customer.phone
        reason = _skip_reason(ws, customer)
        if reason:
            return _outcome(customer_id, phone, "skipped", reason)
        # 001: the blacklisted number "will not accept any more SMS messages": every kind, until the batch.
        entry = ws.blacklist.get(customer.phone_raw if ws.broken("blacklist_lookup_raw_phone") else phone)
        pending = entry is not None and entry.processed_at is None and not ws.broken("blacklist_ignored_on_send")
        if kind != "campaign" and ws.broken("transactional_ignores_blacklist"):
            pending = False
        if pending:
            ws.campaign_event(customer_id, "enqueue_failed", campaign_id=campaign_id, message=BLACKLISTED,
                              sender=sender, recipient=phone)
            return _outcome(customer_id, phone, "enqueue_failed", "blacklisted", BLACKLISTED)
        reason = _marketing_reason(ws, customer, category) if kind == "campaign" else None
        if reason:
            return _outcome(customer_id, phone, "skipped", reason)

    template = request["body"]
    if customer is not None and customer.language in versions and not ws.broken("language_versions_ignored"):
        template = versions[customer.language]
    try:
        rendered = _render(template, customer)
    except TemplateError as error:
        return _outcome(customer_id, phone, "failed", "render_error", f"personalization failed: {error}")
    body = shorten(ws, rendered, links)
    counted = body
    if ws.broken("seg_counted_before_render"):
        counted = template
    elif ws.broken("length_before_shortening"):
        counted = rendered
    parts = segment(counted, ws.broken)
    details = {"encoding": parts.encoding, "segment_count": parts.segment_count, "body": body}
    allowed = max_parts + (1 if ws.broken("max_parts_9") and max_parts == 8 else 0)
    if parts.segment_count > allowed:
        message = f"The message needs {parts.segment_count} parts; at most {max_parts} are allowed."
        if customer_id:
            ws.campaign_event(customer_id, "enqueue_failed", campaign_id=campaign_id, message=message,
                              sender=sender, recipient=phone)
        return _outcome(customer_id, phone, "enqueue_failed", "too_many_parts", message, **details)
    try:
        sent = await send_sms(ws, provider=provider, to=phone, sender=sender, body=body, kind=kind,
                              customer_id=customer_id, campaign_id=campaign_id)
    except ProviderError as error:
        if customer_id:
            ws.campaign_event(customer_id, "failed", campaign_id=campaign_id, message=str(error), sender=sender,
                              recipient=phone)
        return _outcome(customer_id, phone, "failed", "provider_error", str(error), provider=provider, **details)
    if customer is not None:
        _record_last_sms(ws, customer, kind)
        ws.campaign_event(customer_id, "enqueued", campaign_id=campaign_id, message=body, sender=sender,
                          recipient=phone, provider_message_id=sent.provider_message_id)
    return _outcome(customer_id, phone, "enqueued", provider=provider, provider_message_id=sent.provider_message_id,
                    **details)
