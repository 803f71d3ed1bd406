"""The shapes of Nexus' answers (nexus-api §1), for the Nexus double.

Each helper names the class whose answer it reproduces. Where §9 (Nexus' own 3.89 source) settles a shape it says so;
what is still inferred is marked [inf].
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

API = "/service/rest"                # every REST path is below it
FAULT_HEADER = "X-Siesta-FaultId"
FROZEN_TEXT = "Nexus Repository Manager is in read-only mode"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: Optional[str] = None
    headers: dict = field(default_factory=dict)


def empty(status: int) -> Reply:
    """Shape 3: a WebApplicationException without an entity, rebuilt by WebappExceptionMapper (404 on PUT/DELETE,
    403), or a success without a body (201/204)."""
    return Reply(status)


def json_reply(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json")


def validation_errors(*pairs: tuple[str, str]) -> Reply:
    """Shape 1: 400 with [{"id","message"}] (ValidationExceptionMapperSupport); the content type is fixed up from the
    request's Accept header."""
    return Reply(400, json.dumps([{"id": i, "message": m} for i, m in pairs]).encode(), "validation")


def message_error(status: int, text: str, *, quoted: bool = True) -> Reply:
    """Shape 2: {"id":"*","message":"\\"text\\""} (WebApplicationMessageException). Most call sites pre-quote the
    text by putting double quotes around it, with no escaping inside (e.g. AbstractRepositoriesApiResource's
    StringJoiner)."""
    return json_reply(status, {"id": "*", "message": f'"{text}"' if quoted else text})


def text_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), "text/plain")


def mapped_exception(status: int, content_type: str, render: Callable[[str], str]) -> Reply:
    """An answer made by an ExceptionMapperSupport subclass: a fresh fault id, in the body as the mapper renders it
    and always in the X-Siesta-FaultId header (np `ExceptionMapperSupport#toResponse`)."""
    fault_id = str(uuid.uuid4())
    return Reply(status, render(fault_id).encode(), content_type, {FAULT_HEADER: fault_id})


def unexpected_error(exception: str) -> Reply:
    """Shape 4: an unmapped exception, 500 text/plain `ERROR: (ID <uuid>) <exception>` (ExceptionMapperSupport
    #unexpectedResponse)."""
    return mapped_exception(500, "text/plain", lambda fault_id: f"ERROR: (ID {fault_id}) {exception}")


def frozen_error() -> Reply:
    """A write refused because Nexus is frozen (read-only mode): 503 text/plain (FrozenExceptionMapper, 3.21+,
    unchanged in 3.89)."""
    return mapped_exception(503, "text/plain", lambda fault_id: f"{FROZEN_TEXT}: (ID {fault_id})")


def unreadable_json(detail: str) -> Reply:
    """A body that is not JSON: 400 application/json {"id":"*","message":"Could not process the input: <detail>"},
    not pre-quoted (JsonProcessingExceptionMapper). `detail` is Jackson's original message on a real server; the
    double passes Python's parser message, so only the prefix is Nexus' wording [inf for the rest]."""
    return mapped_exception(400, "application/json", lambda _id: json.dumps(
        {"id": "*", "message": f"Could not process the input: {detail}"}))
