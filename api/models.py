"""Pydantic models shared by the routers: the short forms of firms and references, and a page of a list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import orjson
from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, computed_field

from chainmatch.pages import Page
from graph_schema import load_schema

__all__ = ["LABELS", "Error", "FirmOut", "Out", "PageOut", "RefOut", "coded", "json_response", "label_of", "page_json", "page_out"]

M = TypeVar("M", bound=BaseModel)

VISIBLE = (r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
           r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]")
"""Pattern of a text field that must show something: at least one character that is not a space, a control, or an
invisible format character (zero-width spaces and joiners, direction marks and overrides, variation selectors,
Hangul fillers). Written as ranges, not ``\\p{C}``, so that every regex engine (pydantic's, Python's, schemathesis')
reads it the same."""


_ENUMS = load_schema().enums
LABELS: dict[str, Mapping[str, str]] = {
    **_ENUMS,
    "direction": {"buyers": "买家", "suppliers": "供应商", "partners": "合作伙伴"},
    "scope": {"zone": "本开发区", "outside": "区外", "all": "区内外"},
    "relation": {"upstream": "上游", "downstream": "下游", "same_segment": "同环节", "same_grid": "同网格"},
    "chain_direction": {"upstream": "上游", "downstream": "下游", "same_segment": "同环节"},
    "map_run_status": {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"},
    "origin": {"recommendation": "推荐", "need": "需求", "manual": "手工"},
}
"""The Chinese label of each code, per enumeration (the schema's, and the API's own choices)."""


def coded(enum: str) -> Any:
    """A parameter type that takes an enumeration's code or its Chinese label (``signed`` or ``已签约``) and hands
    the route the code; the OpenAPI description lists both.

    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(coded("project_status")).validate_python("已签约")
    'signed'
    """
    labels = LABELS[enum]
    codes = tuple(labels)
    names = tuple(v for v in labels.values() if v not in labels)
    to_code = {v: k for k, v in labels.items()}
    return Annotated[Literal[codes + names], AfterValidator(lambda v: to_code.get(v, v))]


def label_of(enum: str, code: str | None) -> str | None:
    """The Chinese label of ``code`` (None for None; the code itself when it has no label)."""
    return None if code is None else LABELS[enum].get(code, code)


if TYPE_CHECKING:  # the checker sees the codes' type; at run time the aliases also take the labels
    NeedKind = str
    NeedStatus = str
    ProjectStatus = str
    PartyRole = str
    Direction = str
    Scope = str
    Scale = str
    Relation = str
    Origin = str
    GridKind = str
    ResourceStatus = str
    Role = str
else:
    NeedKind = coded("need_kind")
    NeedStatus = coded("need_status")
    ProjectStatus = coded("project_status")
    PartyRole = coded("party_role")
    Direction = coded("direction")
    Scope = coded("scope")
    Scale = coded("scale")
    Relation = coded("relation")
    Origin = coded("origin")
    GridKind = coded("grid_kind")
    ResourceStatus = coded("resource_status")
    Role = coded("api_role")


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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def scale_label(self) -> str | None:
        """the scale in Chinese (规上, 规下)"""
        return label_of("scale", self.scale)


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
