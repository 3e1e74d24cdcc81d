"""Pydantic models shared by the routers: the short forms of firms and references, and a page of a list."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import orjson
from fastapi import Response
from pydantic import BaseModel, ConfigDict

from chainmatch.pages import Page

__all__ = ["Error", "FirmOut", "Out", "PageOut", "RefOut", "json_response", "page_json", "page_out"]

M = TypeVar("M", bound=BaseModel)

VISIBLE = (r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
           r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]")
"""Pattern of a text field that must show something: at least one character that is not a space, a control, or an
invisible format character (zero-width spaces and joiners, direction marks and overrides, variation selectors,
Hangul fillers). Written as ranges, not ``\\p{C}``, so that every regex engine (pydantic's, Python's, schemathesis')
reads it the same."""


class Out(BaseModel):
    """Base of response models: built from the library's dataclasses by attribute."""

    model_config = ConfigDict(from_attributes=True)


class FirmOut(Out):
    id: str
    name: str
    short_name: str | None = None
    zone_id: str | None = None
    grid_id: str | None = None
    scale: str | None = None
    products: list[str] = []
    note: str = ""
    restricted: bool = False
    """True when the caller may see only this firm's id and name (a firm outside a grid chief's grids)."""


class RefOut(Out):
    id: str
    name: str
    note: str = ""


class PageOut(BaseModel, Generic[M]):
    items: list[M]
    limit: int
    offset: int
    total: int | None
    """The number of matching items, when known without reading them all."""
    has_more: bool


def page_out(page: Page[Any], model: type[M]) -> PageOut[M]:
    """A library page as the API shows it."""
    return PageOut[model](  # type: ignore[valid-type]
        items=[model.model_validate(i) for i in page.items], limit=page.limit, offset=page.offset,
        total=page.total, has_more=page.has_more,
    )


def json_response(data: Any) -> Response:
    """``data`` (dataclasses, dicts, lists, text, numbers) encoded straight to a JSON response.

    The busiest routes (neighbours, a grid's firms, search, recommendations) return the library's dataclasses
    this way: validating them into the response models first, as ``page_out`` does, took a third of a
    neighbour lookup's time under load. Their ``response_model`` still documents the shape, and
    ``tests/test_api_recommendations.py`` checks each such answer against it.
    """
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


def page_json(page: Page[Any]) -> Response:
    """A library page of dataclasses shaped like ``PageOut`` (see :func:`json_response`)."""
    return json_response({"items": page.items, "limit": page.limit, "offset": page.offset, "total": page.total,
                          "has_more": page.has_more})


class Error(BaseModel):
    """The one error shape of the API."""

    code: str
    message: str
    """What went wrong and how to fix it, in Chinese (for people)."""
    message_en: str = ""
    """The same in English (for machines and logs)."""
    details: dict[str, Any] = {}
