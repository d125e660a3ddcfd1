"""Deliberately faulty variants: each switches off exactly one rule, at the one place it lives.

A mutant is a name; the rule's code asks `broken("<name>")`. Selecting an unknown name fails,
and asking about an unknown name is a programming error (it would silently never fire).
"""

from dataclasses import dataclass

from .variants import BY_NAME as VARIANTS


@dataclass(frozen=True)
class Mutant:
    name: str
    requirement: str
    description: str


MUTANTS = [
    Mutant("kw_case_sensitive", "KW-CASE", "Opt-out keywords are matched case-sensitively."),
    Mutant("kw_accent_sensitive", "KW-ACCENT", "Accents are not folded: 'arrêt' does not match 'arret'."),
    Mutant("kw_whitespace_significant", "KW-WHITESPACE", "Whitespace is kept: ' stop' does not match."),
    Mutant("kw_match_anywhere", "KW-PREFIX", "A keyword anywhere in the message opts out ('Please stop')."),
    Mutant("kw_whole_message", "KW-PREFIX", "Only the whole message matches ('stopwatches' does not opt out)."),
    Mutant("kw_limits_unchecked", "KW-LIMITS", "More than 100 keywords, or keywords over 20 characters, are accepted."),
    Mutant("kw_categories_unchecked", "KW-CATEGORIES", "More than 5 opt-out consent categories are accepted."),
    Mutant("blacklist_at_batch", "OPT-BLACKLIST-IMMEDIATE", "The phone is blacklisted only when the hourly batch runs."),
    Mutant("blacklist_ignored_on_send", "OPT-ENQUEUE-FAILED", "Sends before the batch ignore the blacklist (no enqueue_failed)."),
    Mutant("consent_events_at_once", "OPT-BATCH-HOURLY", "Consent events are written on receipt, not by the hourly batch."),
    Mutant("batch_rejects_not_applied", "OPT-NO-SEND-AFTER", "After the batch the rejects do not stop sends and the blacklist is lifted."),
    Mutant("consent_timestamp_is_import", "CONS-FIELDS", "Consent event timestamp is the processing time, not the received time."),
    Mutant("consent_first_category_only", "CONS-ALL-CATEGORIES", "Only the first opt-out category gets a reject event."),
    Mutant("dup_no_cap", "DUP-CAP-10", "Every profile with the phone is unsubscribed, beyond 10."),
    Mutant("dup_only_one", "DUP-ALL-UP-TO-10", "Only one profile with the phone is unsubscribed."),
    Mutant("incoming_to_every_profile", "DUP-INCOMING-ONE", "The incoming message is tracked to every profile with the phone."),
    Mutant("incoming_to_oldest_profile", "DUP-INCOMING-ONE", "The incoming message goes to the oldest profile, not the one that got the last SMS."),
    Mutant("incoming_sender_recipient_swapped", "IN-EVENT-FIELDS", "The incoming_message event swaps sender and recipient."),
    Mutant("phone_forms_strict", "PH-FORMS", "Reply senders match customers only when written exactly alike."),
    Mutant("li_no_new_profile_block", "LI-NEW-PROFILE-BLOCK", "With legitimate interest, new profiles with a blocked phone are sent to."),
    Mutant("duplicate_callbacks_processed", "IN-DUPLICATE", "A callback delivered twice is processed twice."),
    Mutant("signature_not_checked", "IN-SIGNATURE", "Forged Sinch callback signatures are accepted."),
    Mutant("malformed_callbacks_accepted", "IN-MALFORMED", "Malformed callbacks are answered 200 instead of 4xx."),
    Mutant("paused_process_acts", "PROC-STATE", "Paused (and new) SMS processes act on replies."),
    Mutant("process_edits_need_restart", "PROC-EDIT-LIVE", "Edits to a started process apply only after it is restarted."),
    Mutant("processes_not_unique", "PROC-UNIQUE", "Two processes of one type on one number/provider keyword are accepted."),
    Mutant("custom_keywords_ignored", "PROC-CUSTOM-KW", "Custom process keywords are not added to the defaults."),
    Mutant("custom_keyword_chars_unchecked", "PROC-CUSTOM-KW-CHARS", "Custom keywords with digits, special characters or spaces are accepted."),
    Mutant("shared_code_keyword_first", "PROC-SHARED-CODE", "On a shared short code the first word is taken as the service keyword."),
    Mutant("help_no_reply", "PROC-HELP-REPLY", "Help processes do not reply."),
    Mutant("unsubscribe_not_listed", "PROC-UNSUB-LIST", "Unsubscribe processes do not add the sender to the unsubscribe list."),
    Mutant("reply_from_sender_name", "PROC-REPLY-FROM", "Process replies come from the campaign sender, not the number that received the message."),
    Mutant("confirmation_mandatory_ignored", "CONF-MANDATORY", "Where confirmation is mandatory it follows the process setting."),
    Mutant("confirmation_optional_always", "CONF-OPTIONAL", "Where confirmation is optional it is always sent."),
    Mutant("confirmation_prohibited_sent", "CONF-PROHIBITED", "Where confirmation is prohibited it follows the process setting."),
    Mutant("national_phone_sent", "SEND-INTL-PHONE", "Phones in national form are sent to (read as German numbers)."),
    Mutant("sender_12_chars", "SEND-SENDER-11", "Alphanumeric senders of 12 characters are accepted."),
    Mutant("consent_not_checked", "SEND-CONSENT", "Campaigns go to customers without consent in the category."),
    Mutant("frequency_off_by_one", "SEND-FREQUENCY", "The frequency policy lets one campaign more through."),
    Mutant("delivery_reports_ignored", "SEND-EVENTS", "Delivery reports do not produce campaign events."),
    Mutant("language_versions_ignored", "SEND-LANGUAGE", "The default body is sent whatever the customer's language."),
    Mutant("seg_parts_of_160", "SEG-COUNT", "Concatenated GSM parts are counted as 160 septets, not 153."),
    Mutant("seg_extended_counted_once", "SEG-EXTENDED", "Extended GSM characters (€ [ ] { } ...) count 1 instead of 2."),
    Mutant("seg_unicode_as_gsm", "SEG-UNICODE", "Unicode text is counted with the GSM limits (160/153)."),
    Mutant("max_parts_9", "SEG-MAX-PARTS", "A 9-part message is sent when 8 parts are allowed."),
    Mutant("seg_counted_before_render", "SEG-PERSONALIZED", "Parts are counted on the template before personalization."),
    Mutant("length_before_shortening", "LINK-SHORTEN", "Links are shortened after the length check (long links make messages too long)."),
    Mutant("links_without_protocol_shortened", "LINK-NO-PROTOCOL", "Links without http:// or https:// are shortened too."),
    Mutant("short_links_never_expire", "LINK-EXPIRY", "Short links redirect forever."),
    Mutant("sinch_basic_auth", "PROV-FORMAT", "Sinch is called with HTTP Basic instead of the Bearer API token."),
    Mutant("provider_5xx_not_retried", "PROV-ERRORS", "Provider 5xx and 429 answers are not retried."),
    Mutant("phone_status_ignored", "SUB-PHONE-STATUS", "Bounced and paused phones are sent to."),
    Mutant("newsletter_to_unsubscribed", "SUB-NEWSLETTER", "Newsletters go to Not Subscribed and None customers."),
    Mutant("bounce_not_recorded", "SUB-BOUNCE", "A bounce delivery report does not set the phone Bounced."),
    Mutant("alert_to_customer_phone", "SUB-ALERT", "Alerts go to the customer's phone, not the fixed alert number."),
    Mutant("phone_stored_raw", "SUB-E164", "Phones are stored as given, not in E.164."),
    Mutant("received_counts_sends", "SUB-RECEIVED", "'SMS Received' counts sends, not deliveries."),
    Mutant("cc_disabled_queues", "CC-STATUS", "A disabled contact-centre channel still queues interactions."),
    Mutant("cc_inbound_blacklist_queued", "CC-INBOUND-BLACKLIST", "Messages from blacklisted numbers enter the queue."),
    Mutant("cc_outbound_blacklist_ignored", "CC-OUTBOUND-BLACKLIST", "Agents can message blacklisted numbers."),
    Mutant("cc_no_out_of_hours_message", "CC-OUT-OF-HOURS", "No automatic message out of hours."),
    Mutant("cc_max_interactions_ignored", "CC-MAX-INTERACTIONS", "The queue takes interactions beyond the maximum."),
    Mutant("cc_no_queue_timeout", "CC-QUEUE-TIMEOUT", "Interactions never time out of the queue."),
    # Wrong behaviours that certified before (issue 7, section 4) and their neighbours.
    Mutant("transactional_ignores_blacklist", "OPT-BLACKLIST-IMMEDIATE",
           "Transactional sends still go out to a phone blacklisted by an opt-out reply before the batch."),
    Mutant("opt_out_reply_from_unknown_phone_ignored", "OPT-BLACKLIST-IMMEDIATE",
           "A reply from a phone no profile has yet is not blacklisted."),
    Mutant("blacklist_lookup_raw_phone", "OPT-ENQUEUE-FAILED",
           "Sends look the blacklist up with the phone as stored: a customer stored as '00...' is sent to."),
    Mutant("batch_first_reply_only", "OPT-BATCH-HOURLY",
           "The hourly batch processes only the first pending opt-out reply; the others wait for the next hour."),
    Mutant("rejects_only_to_consenting", "DUP-ALL-UP-TO-10",
           "Consent rejects go only to profiles with an accepted consent, not to every profile with the phone."),
    Mutant("cap_counts_consenting_only", "DUP-CAP-10",
           "The cap of 10 counts only profiles with an accepted consent; profiles without one are rejected beyond it."),
    Mutant("ordinary_reply_to_oldest", "DUP-INCOMING-ONE",
           "The incoming message of a reply without a keyword goes to the oldest profile, not the last SMS's."),
    Mutant("last_sms_is_first_sms", "DUP-INCOMING-ONE",
           "'Received the last SMS' is read from each profile's first SMS (sends A, B, A pick B)."),
    Mutant("last_sms_campaigns_only", "DUP-INCOMING-ONE",
           "'Received the last SMS' counts campaign SMS only, not transactional ones."),
    Mutant("opt_out_while_disabled", "OPT-DISABLED",
           "Opt-out keywords act while the use of opt-out keywords is disabled."),
    Mutant("ordinary_replies_not_tracked", "IN-TRACKED",
           "Replies without an opt-out keyword are not tracked as incoming_message events."),
    Mutant("incoming_tracked_when_disabled", "IN-TRACKED",
           "Replies are tracked as incoming_message events while Track incoming messages is disabled."),
    Mutant("li_creation_consent_is_explicit", "LI-NEW-PROFILE-BLOCK",
           "A consent given when the profile is created counts as the explicit accept that lifts the block."),
    Mutant("kw_pattern_match", "KW-PREFIX",
           "Keywords are matched as regular expressions: 's.op' matches 'stop', 'stop?' matches 'sto'."),
    Mutant("confirmation_region_by_calling_code", "CONF-PROHIBITED",
           "The policy country is the main country of the calling code (+1 is US, +44 GB, +7 RU)."),
    Mutant("confirmation_country_of_inbound_number", "CONF-MANDATORY",
           "The policy country is the long code's that received the reply, not the replier's."),
    Mutant("unsubscribe_list_raw_phone", "PROC-UNSUB-LIST",
           "Campaigns check the unsubscribe list with the phone as stored: a customer stored as '00...' is sent to."),
    Mutant("cc_blacklist_as_written", "CC-INBOUND-BLACKLIST",
           "The contact-centre blacklist is compared as written: '0034...' does not block '+34...'."),
    Mutant("seg_escape_pair_split", "SEG-EXTENDED",
           "GSM parts are septets / 153 rounded up: an escape pair may straddle two parts."),
    # Found by asking, requirement by requirement, which wrong implementations still passed.
    Mutant("kw_keyword_case_kept", "KW-CASE", "Replies are case-folded but configured keywords are not: 'STOP' never matches."),
    Mutant("kw_whitespace_spaces_only", "KW-WHITESPACE", "Only spaces are ignored: a leading tab or newline keeps the reply from matching."),
    Mutant("kw_length_in_bytes", "KW-LIMITS", "Keyword length is counted in UTF-8 bytes: a 20-character keyword with accents is refused."),
    Mutant("incoming_to_newest_profile", "DUP-INCOMING-ONE", "The incoming message goes to the newest profile with the phone."),
    Mutant("incoming_recipient_is_sender", "IN-EVENT-FIELDS",
           "The incoming_message recipient is the configured sender, not the dedicated number that received the reply."),
    Mutant("phone_match_by_national_number", "PH-FORMS",
           "Replies match profiles by the last nine digits: a profile of another country with the same digits opts out too."),
    Mutant("seg_surrogates_count_one", "SEG-UNICODE", "UCS-2 counts characters, not UTF-16 units: an emoji takes one of the 70."),
    Mutant("cc_hours_in_utc", "CC-OUT-OF-HOURS", "Business hours are compared with the UTC time, not the configured time zone's."),
]

BY_NAME = {mutant.name: mutant for mutant in MUTANTS}


class Mutation:
    """The selected mutant or conforming variant (or none), asked by rule code as `broken("name")`
    (a mutant) or `broken.reads("name")` (a variant, reference_platform/variants.py)."""

    def __init__(self, name: str | None = None):
        if name is not None and name not in BY_NAME and name not in VARIANTS:
            raise ValueError(f"unknown mutant {name!r}; known: {', '.join(sorted(BY_NAME))}")
        self.name = name

    def reads(self, name: str) -> bool:
        if name not in VARIANTS:
            raise KeyError(f"no variant named {name!r}")
        return self.name == name

    def __call__(self, name: str) -> bool:
        if name not in BY_NAME:
            raise KeyError(f"no mutant named {name!r}")
        return self.name == name
