"""Recommendations: a firm's likely buyers, suppliers and partners with their reasons; retraining the model."""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from api.deps import PrincipalDep, RankingDep, SettingsDep, StoreDep, make_ranking, offload, settle
from api.models import Direction, Out, Scale, Scope, json_response, label_of
from chainmatch.access.auth import Principal, require, require_firms, visible_firms
from chainmatch.enterprises import resolve
from chainmatch.matching.index import build_index
from chainmatch.matching.outcomes import train
from chainmatch.matching.ranking import (
    Filters,
    Recommendations,
    recommend,
    recommend_for_need,
    recommend_for_text,
    warm,
)
from chainmatch.stores.base import Store, journal_position

__all__ = ["RecommendationsOut", "recommendations_response", "router"]

router = APIRouter(tags=["recommendations"])


class RecommendationOut(Out):
    rank: int
    id: str
    name: str
    restricted: bool = False
    """True when the caller may see only this firm's id and name (outside a grid chief's grids)."""
    short_name: str = ""
    score: float | None = None
    zone: str = ""
    grid: str = ""
    path: str = ""
    reasons: list[str] = Field(default_factory=list)
    contributions: dict[str, float] = Field(default_factory=dict)
    introducers: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)


class RecommendationsOut(Out):
    source_id: str
    source_name: str
    direction: str
    direction_label: str = Field(description="the direction in Chinese (买家, 供应商, 合作伙伴)")
    scope: str
    scope_label: str = Field(description="the scope in Chinese (本开发区, 区外, 区内外)")
    model: str
    candidates_considered: int
    reason: str | None
    items: list[RecommendationOut]


class TrainOut(Out):
    trained: bool
    message: str
    model: str
    summary: dict[str, object]


@router.get("/enterprises/{enterprise}/recommendations", response_model=RecommendationsOut)
async def get_recommendations(
    request: Request, store: StoreDep, who: PrincipalDep, ranking: RankingDep, enterprise: str,
    direction: Direction = "buyers",
    scope: Scope = "all",
    top: Annotated[int, Query(ge=1, le=200)] = 10,
    zone_id: Annotated[str | None, Query(max_length=100)] = None,
    grid_id: Annotated[str | None, Query(max_length=100)] = None,
    chain_id: Annotated[str | None, Query(max_length=100)] = None,
    scale: Scale | None = None,
    has_party: bool | None = None,
) -> Response:
    """Ranked buyers (下游), suppliers (上游) or partners (同环节) for a firm, each with its path and reasons."""
    filters = Filters(zone=zone_id, grid=grid_id, chain=chain_id, scale=scale, has_party=has_party)

    def work() -> Response:
        require(who, "read")
        firm = resolve(store, enterprise).node.id
        require_firms(store, who, [firm])
        result = recommend(ranking.index, firm, direction=direction, scope=scope, top=top, filters=filters,
                           weights=ranking.weights, model_name=ranking.model)
        return recommendations_response(store, who, result)

    return await offload(request, work)


def recommendations_response(store: Store, who: Principal, result: Recommendations) -> Response:
    """The result as the caller may see it (``RecommendationsOut``): firms outside a grid chief's grids by id
    and name only."""
    seen = visible_firms(store, who, [item.id for item in result.items])
    items = [
        {**item.__dict__, "restricted": False} if item.id in seen
        else RecommendationOut(rank=item.rank, id=item.id, name=item.name, restricted=True).model_dump()
        for item in result.items
    ]
    return json_response({**result.__dict__, "items": items,
                          "direction_label": label_of("direction", result.direction),
                          "scope_label": label_of("scope", result.scope)})


@router.get("/recommendations", response_model=RecommendationsOut)
def get_product_recommendations(
    store: StoreDep, who: PrincipalDep, ranking: RankingDep,
    product: Annotated[str, Query(min_length=1, max_length=100, description="a product name, e.g. 高压灭菌设备")],
    direction: Direction = "buyers",
    zone_id: Annotated[str | None, Query(max_length=100, description="where the product is made")] = None,
    scope: Scope = "all",
    top: Annotated[int, Query(ge=1, le=200)] = 10,
) -> Response:
    """Ranked buyers, suppliers or partners for a product text rather than a firm (e.g. a product to place)."""
    require(who, "read")
    result = recommend_for_text(ranking.index, product, direction=direction, zone_id=zone_id, scope=scope, top=top,
                                weights=ranking.weights, model_name=ranking.model)
    return recommendations_response(store, who, result)


@router.get("/needs/{need_id}/recommendations", response_model=RecommendationsOut)
def get_need_recommendations(
    store: StoreDep, who: PrincipalDep, ranking: RankingDep, need_id: str,
    scope: Scope = "all",
    top: Annotated[int, Query(ge=1, le=200)] = 10,
) -> Response:
    """Firms that could answer an open 找供应 (suppliers) or 找买家 (buyers) need, with their reasons."""
    require(who, "read")
    posted = store.edges("Need", [need_id], "POSTED", "in")[need_id]
    require_firms(store, who, [e.node.id for e in posted], "the needs of firms")
    result = recommend_for_need(ranking.index, need_id, scope=scope, top=top, weights=ranking.weights,
                                model_name=ranking.model)
    return recommendations_response(store, who, result)


_jobs: list[CapacityLimiter] = []  # one long job at a time, beside (not instead of) the request threads


@router.post("/model/train", response_model=TrainOut)
async def train_model(request: Request, store: StoreDep, who: PrincipalDep, settings: SettingsDep) -> TrainOut:
    """Rebuild the match index, learn ranking weights from closed projects, and use them from now on (admins)."""
    require(who, "model")

    def work() -> TrainOut:
        seq = journal_position(store)
        index = build_index(store)
        result = train(store, index, settings.model_path)
        warm(index)
        ranking = request.app.state.ranking = make_ranking(index, settings.model_path)  # requests see old or new
        request.app.state.journal_seq = seq
        settle()
        return TrainOut(trained=result.trained, message=result.message, model=ranking.model, summary=result.summary)

    # Its own thread: rebuilding the index takes seconds to minutes, and must not hold the request threads
    # (one per worker on the embedded store) while other requests wait.
    if not _jobs:
        _jobs.append(CapacityLimiter(1))
    return await to_thread.run_sync(work, limiter=_jobs[0])
