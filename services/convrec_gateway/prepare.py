"""Dialogue turns handed to retrieval ahead of the Retrieve that reads them, in the
background: the utterance while the intent service parses it, the reply once it is given.
A turn never waits for it, and its failures only cost that head start."""

from __future__ import annotations

import asyncio
import time

import grpc
import structlog

from convrec.retrieval.v1 import retrieval_pb2

from .session import talk_text

log = structlog.get_logger()
TIMEOUT_SECONDS = 10.0
# After retrieval says its catalog has no dialogue model, how long to stop asking.
QUIET_SECONDS = 60.0


class TurnPreparer:
    def __init__(self, retrieval, enabled: bool = True) -> None:
        self._retrieval = retrieval
        self._enabled = enabled
        self._tasks: set[asyncio.Task] = set()
        self._quiet_until = 0.0

    def prepare(self, texts: list[str], request_id: str = "") -> None:
        texts = [t for t in (talk_text(x) for x in texts) if t]
        if not self._enabled or not texts or time.monotonic() < self._quiet_until:
            return
        task = asyncio.create_task(self._send(texts, request_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, texts: list[str], request_id: str) -> None:
        metadata = (("x-request-id", request_id),) if request_id else None
        try:
            reply = await self._retrieval.PrepareDialogue(
                retrieval_pb2.PrepareDialogueRequest(texts=texts), timeout=TIMEOUT_SECONDS, metadata=metadata)
        except grpc.aio.AioRpcError as err:
            log.debug("prepare_dialogue_failed", code=err.code().name)
            if err.code() == grpc.StatusCode.UNIMPLEMENTED:  # a retrieval service from before it
                self._quiet_until = time.monotonic() + QUIET_SECONDS
            return
        if not reply.dialogue_model:
            self._quiet_until = time.monotonic() + QUIET_SECONDS
