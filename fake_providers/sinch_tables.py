"""A Sinch service plan's batches and inbounds, indexed for its listings (`GET /batches`,
`GET /delivery_reports`, `GET /inbounds`) and for the reference an MO picks up (see
listing.py): each answers from indexes in about a millisecond at a million records, with the
same items, order and `count` as a walk over every record would give.

Keys: a sender or number as `number_key` (what `same_number` compares), a `client_reference`
as given. A delivery report is numbered `batch number << 32 | (2**32 - 1 - its place in the
batch)`, so that descending numbers list the newest batch first and its recipients in order."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .listing import Family, IndexedTable, select
from .phones import number_key

if TYPE_CHECKING:
    from .sinch_batches import Batch, Recipient

PLACE = (1 << 32) - 1  # the low 32 bits of a report's number: its place in the batch, reversed


def _reference(batch: Batch) -> str | None:
    return batch.fields.get("client_reference")


_sender_key = lru_cache(maxsize=4096)(number_key)  # senders repeat (interned in sinch.py)


def _sender(batch: Batch) -> str:
    return _sender_key(batch.sender or "")


class BatchTable(IndexedTable):
    """Batch id -> Batch, indexed by sender, reference, both, the phones of batches that have
    a reference (an MO's `client_reference`), and each recipient's report status and code."""
    __slots__ = ("reports", "report_references")

    def __init__(self) -> None:
        super().__init__(lambda batch: batch.created_at, {
            "sender": lambda b: (_sender(b),),
            "reference": lambda b: () if _reference(b) is None else (_reference(b),),
            "sender_reference": lambda b: () if _reference(b) is None else ((_sender(b), _reference(b)),),
            "phone": lambda b: () if _reference(b) is None else {number_key(r.msisdn) for r in b.recipients},
        })
        self.reports = Family(lambda n: (self._report_key(*self._report(n)),), exact=True)
        self.report_references = Family(lambda n: self._report_reference_keys(*self._report(n)))

    # -- delivery reports ---------------------------------------------------------------------
    def _report(self, number: int) -> tuple[Batch, Recipient]:
        batch = self.store.get(number >> 32)
        return batch, batch.recipients[PLACE - (number & PLACE)]

    @staticmethod
    def _report_key(batch: Batch, recipient: Recipient) -> tuple[str, int]:
        return recipient.report_status, recipient.code

    @staticmethod
    def _report_reference_keys(batch: Batch, recipient: Recipient) -> tuple:
        reference = _reference(batch)
        return () if reference is None else ((reference, recipient.report_status, recipient.code),)

    def _family_keys(self, batch: Batch) -> tuple:
        """(family, the batch's keys in it) for the families it is in: the families' key
        functions above, computed once (a batch without a reference is in one)."""
        sender, reference, families = _sender(batch), _reference(batch), self.families
        if reference is None:
            return ((families["sender"], (sender,)),)
        return ((families["sender"], (sender,)), (families["reference"], (reference,)),
                (families["sender_reference"], ((sender, reference),)),
                (families["phone"], {number_key(r.msisdn) for r in batch.recipients}))

    def indexed(self, number: int, batch: Any) -> None:
        self._index(number, batch, "add")

    def unindexed(self, number: int, batch: Any) -> None:
        self._index(number, batch, "remove")

    def _index(self, number: int, batch: Batch, change: str) -> None:
        """Add (`change` "add") or remove ("remove") a batch's keys and its recipients' reports."""
        for family, keys in self._family_keys(batch):
            getattr(family, change)(number, keys)
        reference, top = _reference(batch), number << 32 | PLACE
        reports, references = getattr(self.reports, change), getattr(self.report_references, change)
        for place, recipient in enumerate(batch.recipients):
            key = (recipient.report_status, recipient.code)
            reports(top - place, (key,))
            if reference is not None:
                references(top - place, ((reference, *key),))

    def report_changed(self, batch: Batch, recipient: Recipient, status: str, code: int,
                       place: int | None = None) -> None:
        """`recipient` (at `place` in its batch) had report `status` and `code` until now
        (nothing to do for a batch not kept here, such as one being built)."""
        new = (recipient.report_status, recipient.code)
        if (status, code) == new:
            return
        number = self.store.find(batch.id)
        if number is None or self.store.get(number) is not batch:
            return
        if place is None:
            place = batch.recipients.index(recipient)
        report = (number << 32) | (PLACE - place)
        self.reports.move(report, (status, code), new)
        reference = _reference(batch)
        if reference is not None:
            self.report_references.remove(report, ((reference, status, code),))
            self.report_references.add(report, ((reference, *new),))

    def reports_page(self, start: datetime, end: datetime, statuses: set[str] | None,
                     codes: set[int] | None, reference: str | None, offset: int,
                     limit: int) -> tuple[int, list[tuple[Batch, Recipient]]]:
        """The reports of the batches created start..end (with `reference`) whose status (in
        lower case) is one of `statuses` and code one of `codes`: (how many, a page)."""
        ranges = [(low << 32, (high << 32) | PLACE) for low, high in self.store.window(start, end)]
        kinds = [k for k in self.reports.keys() if (statuses is None or k[0].lower() in statuses)
                 and (codes is None or k[1] in codes)]
        sources = ([self.reports.source(k, ranges) for k in kinds] if reference is None else
                   [self.report_references.source((reference, *k), ranges) for k in kinds])
        count, numbers = select(sources, ranges, offset, limit)
        return count, [self._report(n) for n in numbers]

    # -- batches ------------------------------------------------------------------------------
    def batches_page(self, start: datetime, end: datetime, senders: list[str],
                     reference: str | None, offset: int, limit: int) -> tuple[int, list[Batch]]:
        keys = [number_key(s) for s in senders]
        if keys and reference is not None:
            return self.page(start, end, "sender_reference", [(k, reference) for k in keys],
                             offset, limit)
        if keys:
            return self.page(start, end, "sender", keys, offset, limit)
        if reference is not None:
            return self.page(start, end, "reference", [reference], offset, limit)
        return self.page(start, end, None, (), offset, limit)

    def last_reference(self, phone: str) -> str | None:
        """The `client_reference` of the newest batch to `phone` that has one."""
        number = self.families["phone"].newest(number_key(phone))
        return None if number is None else _reference(self.store.get(number))


class InboundTable(IndexedTable):
    """Inbound id -> Inbound, indexed by the number it was sent to, its reference and both."""
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(lambda inbound: inbound.received_at, {
            "to": lambda i: (number_key(i.payload["to"]),),
            "reference": lambda i: () if i.reference is None else (i.reference,),
            "to_reference": lambda i: () if i.reference is None else ((number_key(i.payload["to"]), i.reference),),
        })

    def inbounds_page(self, start: datetime, end: datetime, numbers: list[str],
                      reference: str | None, offset: int, limit: int) -> tuple[int, list]:
        keys = [number_key(n) for n in numbers]
        if keys and reference is not None:
            return self.page(start, end, "to_reference", [(k, reference) for k in keys], offset, limit)
        if keys:
            return self.page(start, end, "to", keys, offset, limit)
        if reference is not None:
            return self.page(start, end, "reference", [reference], offset, limit)
        return self.page(start, end, None, (), offset, limit)


NO_BATCHES, NO_INBOUNDS = BatchTable(), InboundTable()  # of a plan without any (never written to)
