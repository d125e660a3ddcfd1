"""The web inbox under /_smsproof/: conversations per handset, message details with their
delivery reports and callback attempts, the callbacks, the journal, the controls (reply as a
handset, outcomes, faults, the clock) and the control API's reference. Pages are rendered
here with Jinja2; their forms drive the control API itself; journal events reach open pages
as server-sent events. No build step and nothing fetched from elsewhere: it works offline."""
from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..clock import iso_millis
from ..encoding import segment
from ..journal import KINDS
from ..network import Network
from ..phones import number_key, to_e164
from . import queries, reference
from .live import Live

templates = Environment(loader=PackageLoader(__name__), autoescape=select_autoescape(),
                        trim_blocks=True, lstrip_blocks=True)
templates.filters["when"] = lambda at: at.replace("T", " ").rstrip("Z") if isinstance(at, str) else at
templates.filters["json"] = reference.pretty_json
templates.filters["phone"] = lambda number: to_e164(number) or number  # Sinch keeps no "+"
STATES = ("pending", "failed", "delivered")


def _cursor(request: Request, name: str = "before") -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def reply_number(last, numbers: list) -> str:
    """Where the handset's reply goes by default: the number it last wrote to, or the one the
    last message came from if an account owns it (not an alphanumeric sender), or the first
    number of that account."""
    if last.direction == "mo":
        return last.recipient
    owned = [n.number for provider, account, n in numbers
             if (provider, account) == (last.provider, last.account)]
    keys = {number_key(number) for number in owned}
    return last.sender if number_key(last.sender) in keys else (owned[0] if owned else "")


def routes(network: Network, openapi: Traversable) -> list[BaseRoute]:
    live = Live(network.journal)
    journal = network.journal

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        page = templates.get_template(name).render(
            base=request.scope.get("root_path", ""), clock=network.clock.to_dict(),
            providers=list(network.providers), path=request.url.path,
            query=dict(request.query_params), **context)
        return HTMLResponse(page, status, headers={"Cache-Control": "no-store"})

    async def inbox(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        listed = queries.conversations(journal, q, _cursor(request))
        handset = request.query_params.get("handset", "").strip()
        messages, clipped = queries.thread(journal, handset) if handset else ([], False)
        last = messages[-1] if messages else None
        numbers = [(a.provider, a.id, n) for a in network.accounts.all() for n in a.numbers]
        reply_to = reply_number(last, numbers) if last else ""
        outcome = network.handsets.outcome_for(handset).to_dict() if handset else None
        return render(request, "inbox.html", q=q, rows=listed.rows, older=listed.older,
                      looked_at=listed.looked_at, handset=handset,
                      handset_key=number_key(handset) if handset else None,
                      messages=messages, clipped=clipped, last=last, numbers=numbers,
                      outcome=outcome, reply_to=reply_to)

    async def message(request: Request) -> Response:
        found = queries.message(journal, request.path_params["message_id"], _cursor(request, "seq"))
        if found is None:
            return render(request, "missing.html", 404, what="message", looked_at=queries.SCAN_BUDGET)
        history = queries.history(journal, found, _cursor(request, "after"))
        known = {c.id: c for c in map(network.outbox.get, {r["callback_id"] for r in history.reports})
                 if c is not None}
        return render(request, "message.html", m=found, parts=segment(found.body).segments,
                      history=history, callbacks=known, handset=queries.handset_of(found))

    async def callbacks(request: Request) -> Response:
        state = request.query_params.get("state") or None
        state = state if state in STATES else None
        shown, cut = network.outbox.newest(state, queries.PAGE, queries.SCAN_BUDGET)
        oldest = min((c.created_at for c in shown), default=None)
        attempts = queries.attempts_of(journal, {c.id for c in shown},
                                       iso_millis(oldest) if oldest else "")
        counts = {s: network.outbox.count(s) for s in STATES}
        return render(request, "callbacks.html", state=state, shown=shown, attempts=attempts,
                      counts=counts, looked_at=queries.SCAN_BUDGET if cut else None)

    async def journal_page(request: Request) -> Response:
        params = request.query_params
        kind = params.get("kind") if params.get("kind") in KINDS else None
        provider = params.get("provider") if params.get("provider") in network.providers else None
        account = params.get("account", "").strip() or None
        found, older = queries.entries(journal, provider, account, kind, _cursor(request))
        return render(request, "journal.html", entries=found, older=older, kinds=KINDS,
                      kind=kind, provider=provider, account=account or "")

    async def controls(request: Request) -> Response:
        return render(request, "controls.html", accounts=network.accounts.all(),
                      faults=[f.to_dict() for f in network.faults.list()],
                      outcomes=network.handsets.scripted())

    async def api_reference(request: Request) -> Response:
        return render(request, "reference.html", api=reference.load(openapi))

    static = files(__name__).joinpath("static")
    return [
        Route("/", inbox, methods=["GET"]),
        Route("/inbox/messages/{message_id:path}", message, methods=["GET"]),
        Route("/inbox/callbacks", callbacks, methods=["GET"]),
        Route("/inbox/journal", journal_page, methods=["GET"]),
        Route("/inbox/controls", controls, methods=["GET"]),
        Route("/reference", api_reference, methods=["GET"]),
        Route("/events", live.stream, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(static)), name="inbox-static"),
    ]
