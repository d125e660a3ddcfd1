"""Provider callbacks, one set per workspace: `/webhooks/{ws}/{provider}/mo|dlr`."""

from starlette.requests import Request
from starlette.responses import JSONResponse

from . import inbound, jsonbody
from .providers import Forbidden, Malformed, provider_module


def _kind(provider: str, path_kind: str, payload) -> str:
    """Which callback this is, from the payload where the provider shares one URL (Instasent)."""
    if provider == "instasent":
        return "mo" if provider_module("instasent").is_mo(payload) else "dlr"
    if provider == "sinch" and isinstance(payload, dict) and isinstance(payload.get("type"), str):
        return "mo" if payload["type"].startswith("mo_") else "dlr"
    return path_kind


async def callback(request: Request):
    ws = request.app.state.workspaces.get(request.path_params["ws"])
    provider, path_kind = request.path_params["provider"], request.path_params["kind"]
    if ws is None or provider not in ("sinch", "cm", "instasent") or path_kind not in ("mo", "dlr"):
        return JSONResponse({"error": "not_found", "message": "unknown workspace or webhook"}, 404)
    module = provider_module(provider)
    raw = await request.body()
    settings = ws.config["providers"].get(provider) or {}
    try:
        module.verify(request.headers, raw, settings, ws.broken)
    except Forbidden as error:
        return JSONResponse({"error": "unauthorized", "message": str(error)}, 401)
    try:
        try:
            payload = jsonbody.parse(raw)
        except jsonbody.BadBody as error:
            raise Malformed(f"body: {error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise Malformed("body is not JSON") from error
        if _kind(provider, path_kind, payload) == "mo":
            await inbound.receive_mo(ws, provider, module.parse_mo(payload))
        else:
            for report in module.parse_dlr(payload):
                inbound.receive_dlr(ws, provider, report)
    except Malformed as error:
        if ws.broken("malformed_callbacks_accepted"):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"error": "malformed", "message": str(error)}, 400)
    return JSONResponse({"status": "ok"})
