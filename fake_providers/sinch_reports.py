"""Sinch's delivery reports: the recipient report and the batch report (summary or full),
as callbacks carry them and as `GET .../delivery_report`, `GET .../delivery_report/{msisdn}`
and the `GET /delivery_reports` listing answer them. A mixin of sinch.Backend, which holds the
batches (`find`, `_batches`) and the query parsing (`_paging`, `_window`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .clock import iso_millis
from .encoding import GSM
from .handsets import operator_of
from .phones import same_number
from .sinch_requests import SinchError, invalid_format
from .sinch_tables import NO_BATCHES

if TYPE_CHECKING:
    from .accounts import Account
    from .sinch_batches import Batch, Recipient


class DeliveryReports:
    def recipient_report(self, batch: Batch, recipient: Recipient) -> dict:
        report = {"type": "recipient_delivery_report_sms", "batch_id": batch.id,
                  "recipient": recipient.msisdn, "code": recipient.code, "status": recipient.report_status,
                  "at": iso_millis(recipient.at or batch.created_at)}
        if recipient.operator_status_at is not None:
            report["operator_status_at"] = iso_millis(recipient.operator_status_at)
        if batch.fields.get("client_reference") is not None:
            report["client_reference"] = batch.fields["client_reference"]
        if batch.fields.get("max_number_of_message_parts") is not None:
            report["number_of_message_parts"] = recipient.segment_count
        options = account.options if (account := self.network.accounts.get(
            self.name, batch.account)) else {}
        if batch.sender is None and options.get("default_originator"):
            report["applied_originator"] = options["default_originator"]
        if options.get("report_operator") is True and operator_of(recipient.msisdn):
            report["operator"] = operator_of(recipient.msisdn)
        if options.get("smart_encoding") is True and batch.type == "mt_text":
            report["encoding"] = "GSM" if recipient.encoding == GSM else "UNICODE"
        return report

    def batch_report(self, batch: Batch, kind: str, statuses: set[str] | None = None,
                     codes: set[int] | None = None) -> dict:
        groups: dict[tuple[int, str], list[str]] = {}
        for r in batch.recipients:
            if (statuses is None or r.report_status.lower() in statuses) and (codes is None or r.code in codes):
                groups.setdefault((r.code, r.report_status), []).append(r.msisdn)
        report = {"type": "delivery_report_sms", "batch_id": batch.id,
                  "total_message_count": len(batch.recipients),
                  "statuses": [{"code": code, "status": status, "count": len(msisdns),
                                **({"recipients": msisdns} if kind == "full" else {})}
                               for (code, status), msisdns in groups.items()]}
        if batch.fields.get("client_reference") is not None:
            report["client_reference"] = batch.fields["client_reference"]
        return report

    def get_batch_report(self, account: Account, batch_id: str, query: dict) -> dict:
        batch = self.find(account, batch_id)
        kind = query.get("type") or "summary"
        if kind not in ("summary", "full"):
            raise invalid_format("type", kind, "must be summary or full")
        return self.batch_report(batch, kind, self._status_filter(query), self._code_filter(query))

    def get_recipient_report(self, account: Account, batch_id: str, phone: str) -> dict:
        batch = self.find(account, batch_id)
        recipient = next((r for r in batch.recipients if same_number(r.msisdn, phone)), None)
        if recipient is None:
            raise SinchError(404, "not_found", f"No delivery report for '{phone}' in batch '{batch_id}'")
        return self.recipient_report(batch, recipient)

    def list_reports(self, account: Account, query: dict) -> dict:
        page, page_size = self._paging(query)
        start, end = self._window(query)
        statuses, codes = self._status_filter(query), self._code_filter(query)
        count, found = self._batches.get(account.id, NO_BATCHES).reports_page(
            start, end, statuses, codes, query.get("client_reference"), page * page_size, page_size)
        items = [self.recipient_report(b, r) for b, r in found]
        return {"count": count, "page": page, "page_size": len(items),
                "delivery_reports": items}

    @staticmethod
    def _status_filter(query: dict) -> set[str] | None:
        raw = query.get("status")
        return {s.strip().lower() for s in raw.split(",") if s.strip()} if raw else None

    @staticmethod
    def _code_filter(query: dict) -> set[int] | None:
        raw = query.get("code")
        if not raw:
            return None
        try:
            return {int(c) for c in raw.split(",") if c.strip()}
        except ValueError:
            raise invalid_format("code", raw, "is not a list of numbers") from None
