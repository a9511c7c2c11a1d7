"""`GET /messages`: the catalogue a UI renders codes with, cacheable by its ETag."""

import hashlib
import json
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from app.core.i18n import Language, current_language, negotiate, set_language
from app.core.messages import catalogue
from app.core.security import CurrentPrincipal
from app.messages.schemas import MessageCatalogue

router = APIRouter(tags=["messages"])

NOT_MODIFIED = {"description": "Not modified: the catalogue is the one your `If-None-Match` names"}


@cache
def _rendered(language: Language) -> tuple[bytes, str]:
    body = json.dumps(catalogue(language), ensure_ascii=False, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get("/messages", response_model=MessageCatalogue, responses={
    200: {"headers": {"ETag": {"description": "Changes whenever the catalogue does",
                               "schema": {"type": "string"}}}},
    304: NOT_MODIFIED})
async def get_messages(
    _principal: CurrentPrincipal,
    language: Annotated[str | None, Query(
        max_length=35, pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
        description="`zh-CN` or `en` (any Chinese or English tag will do); without it, "
                    "`Accept-Language` decides")] = None,
    if_none_match: Annotated[str | None, Header(
        description="The `ETag` of the catalogue you hold: 304 if it is still current")] = None,
) -> Response:
    """The labels of every action, state and role, the templates of problem details and
    approval rules, in one language: a UI renders the service's codes with them."""
    if language is not None:
        set_language(negotiate(language, current_language()))
    body, etag = _rendered(current_language())
    headers = {"ETag": etag, "Cache-Control": "private, max-age=3600"}
    if if_none_match is not None and etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
