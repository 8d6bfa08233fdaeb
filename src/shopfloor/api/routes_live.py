"""The live stream: ``/api/live`` over WebSocket, subscribed by unified-namespace patterns."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from shopfloor.api.auth import websocket_principal
from shopfloor.api.context import ApiContext
from shopfloor.api.live import LiveClient, LiveHub
from shopfloor.model.errors import ShopfloorError
from shopfloor.model.namespace import Pattern

router = APIRouter(prefix="/api", tags=["live"])
MAX_PATTERNS = 100


def parse_patterns(text: str) -> list[str]:
    """Comma-separated UNS patterns, each checked."""
    patterns = [p.strip().strip("/") for p in text.split(",") if p.strip()]
    if not patterns or len(patterns) > MAX_PATTERNS:
        raise ValueError(f"give 1 to {MAX_PATTERNS} comma-separated patterns")
    for p in patterns:
        Pattern(p)
    return patterns


@router.websocket("/live")
async def live(ws: WebSocket) -> None:
    """Stream samples, text samples and events matching ``?patterns=a/#,b/+/temp``.

    Authenticated by the session cookie or a ``token`` query parameter. Messages are JSON
    (see :mod:`shopfloor.api.live`).
    """
    try:
        websocket_principal(ws)
        patterns = parse_patterns(ws.query_params.get("patterns", "#"))
    except (ShopfloorError, ValueError) as exc:
        # Accept, then close with a reason: a browser sees the code, not a bare HTTP 403.
        await ws.accept()
        await ws.close(code=4401 if "log in" in str(exc) else 4400, reason=str(exc)[:120])
        return
    ctx: ApiContext = ws.app.state.context
    await ws.accept()
    client = ctx.hub.add(patterns)
    watching = asyncio.create_task(_until_closed(ws, ctx.hub, client))
    try:
        while (payload := await client.next()) is not None:
            await ws.send_text(payload.decode())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        ctx.hub.remove(client)
        with contextlib.suppress(RuntimeError):
            await ws.close()


async def _until_closed(ws: WebSocket, hub: LiveHub, client: LiveClient) -> None:
    """End the client when its socket closes, also while nothing is being sent to it.

    Without this, a handler waits for the next message forever once the stream falls
    silent (the twin stopped, a quiet pattern), and a server shutting down with a browser
    still connected waits for that handler forever.
    """
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass  # clients have nothing to say: what they send is ignored
    hub.remove(client)
