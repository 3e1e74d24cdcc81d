"""Pydantic models shared by the routers: the short forms of firms and references, and a page of a list."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from chainmatch.pages import Page

__all__ = ["Error", "FirmOut", "Out", "PageOut", "RefOut", "page_out"]

M = TypeVar("M", bound=BaseModel)

VISIBLE = r"[^\s\x00-\x1f\x7f]"
"""Pattern of a text field that must show something: at least one character that is not a space or control."""


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


class Error(BaseModel):
    """The one error shape of the API."""

    code: str
    message: str
    details: dict[str, Any] = {}
