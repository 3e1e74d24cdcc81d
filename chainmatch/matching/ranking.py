"""Ranking: recommend buyers, suppliers or partners for a firm, each with its path, feature contributions and introducers.

Candidates come from the graph, never from all pairs (firms it already trades with in that direction are
left out: they are known partners): firms under the industries the chain
knowledge links to the firm's own (each link's fan-out capped), firms that trade with the firm's
industry peers, firms with open needs for what it makes, and firms in the next chain segment.
Each candidate gets the features in :data:`FEATURES`; a linear score ranks them. Its weights are
the transparent defaults in :data:`DEFAULT_WEIGHTS` until enough project outcomes exist, then
:class:`RankingModel` (a scikit-learn pipeline fitted on signed vs. declined projects) adjusts
them (see :func:`train`).

Features (all in [0, 1]):

``link_io``, ``link_equipment``, ``link_template``, ``link_taxonomy``
    strength of the best industry link of each kind between the firm and the candidate
    (input-output table, equipment-user rule, chain template, product taxonomy).
``trade_neighbourhood``
    the candidate already trades with the firm's peers — firms of its own industry and firms that
    serve the same partners (buys from them for ``buyers``, supplies them for ``suppliers``):
    log-scaled count, 10 or more is 1.
``trade_activity``
    how many known partners of that kind the candidate has at all (a busy buyer buys again):
    log-scaled, relative to the busiest firm.
``text_match``
    how alike what one side offers is to what the other asks for: the firm's products against the
    candidate's open 找供应 needs (``buyers``), the firm's needs against the candidate's products
    (``suppliers``); the cosine of :mod:`chainmatch.knowledge.text`, the one text measure.
``text_similarity``
    how alike the two firms' products are (the same measure). Firms of one industry buy from each
    other (the input-output table's diagonal: chemicals, textiles, components), and on a real register
    it is the strongest single signal; it also brings in candidates no industry link names.
``linked_similarity``
    ``text_similarity`` times the strongest industry link: alike *and* linked by the chain knowledge.
``trades_with``
    the candidate already buys from the firm (``buyers``) or supplies it (``suppliers``): recommendations leave
    such known partners out; a chain map's recruitment targets count it (以商招商).
``diffuse``
    how many different 大类 the candidate's industries span (0 one, 1 eleven or more); its weight is
    negative: a conglomerate whose side lines match a little of everything should not fill every list.
``product_link``
    a product of the firm supplies a product of the candidate (``buyers``) or the other way round
    (``suppliers``) by the shipped product chains (:mod:`chainmatch.knowledge.product_links`: 焦炭 → 甲醇).
``same_grid``, ``same_zone``
    locality: the grid chief or the zone can introduce them cheaply.
``chain_leader``
    the candidate leads a chain (链主): one deal pulls in its suppliers.
``party_channel``
    both sit under the same comprehensive or industry party committee, which can introduce them.
``scale_fit``
    output values within an order of magnitude or so (1 = equal, 0 = 1000× apart, 0.5 unknown).
``open_need``
    an open need asks for exactly this (the candidate seeks supply of the firm's industry, or the
    firm seeks supply of the candidate's).
``chain_segment``
    the candidate sits in the chain segment next to the firm's (downstream for ``buyers``,
    upstream for ``suppliers``, the same one for ``partners``).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from chainmatch.errors import DataError, InvalidRequest, NotFound
from chainmatch.matching.index import FirmNeed, MatchIndex, code_prefixes

__all__ = [
    "DEFAULT_WEIGHTS",
    "DIRECTIONS",
    "FEATURES",
    "SCOPES",
    "Filters",
    "RankingModel",
    "Recommendation",
    "Recommendations",
    "Source",
    "build_pipeline",
    "candidate_features",
    "load_model",
    "need_source",
    "pairwise",
    "recommend",
    "recommend_for_need",
    "recommend_for_text",
    "recommend_need_source",
    "save_model",
    "score_firms",
    "source_of",
    "warm",
]

Direction = Literal["buyers", "suppliers", "partners"]
Scope = Literal["zone", "outside", "all"]
DIRECTIONS: tuple[str, ...] = ("buyers", "suppliers", "partners")
SCOPES: tuple[str, ...] = ("zone", "outside", "all")
FEATURES: tuple[str, ...] = (
    "link_io", "link_equipment", "link_template", "link_taxonomy", "trade_neighbourhood", "trade_activity",
    "text_match", "same_grid", "same_zone", "chain_leader", "party_channel", "scale_fit", "open_need",
    "chain_segment", "text_similarity", "linked_similarity", "product_link", "diffuse", "trades_with",
)
_F = {name: i for i, name in enumerate(FEATURES)}
_LINK_KINDS = {"io": "link_io", "equipment_rule": "link_equipment", "template": "link_template",
               "taxonomy": "link_taxonomy"}
_LINK_COLUMNS = [_F[name] for name in ("link_io", "link_equipment", "link_template", "link_taxonomy")]
FEATURE_TITLES = {
    "link_io": "投入产出关联", "link_equipment": "设备用户关系", "link_template": "产业链模板关联",
    "link_taxonomy": "产品分类关联", "trade_neighbourhood": "交易邻近", "trade_activity": "交易活跃",
    "text_match": "产品与需求文本匹配", "same_grid": "同一网格", "same_zone": "同一开发区", "chain_leader": "链主企业",
    "party_channel": "同一党组织渠道", "scale_fit": "规模匹配", "open_need": "有对应的待对接需求",
    "chain_segment": "产业链相邻环节", "text_similarity": "产品相近", "linked_similarity": "产品相近且行业有供需关联",
    "product_link": "产品上下游关系", "diffuse": "业务分散(多行业)", "trades_with": "已有交易往来",
}

# Transparent default weights: a chain link is the reason to meet; an open need asking for it is
# the strongest single signal; locality and party channels make the introduction cheap.
DEFAULT_WEIGHTS: dict[str, float] = {
    "link_io": 0.4, "link_equipment": 0.5, "link_template": 0.3, "link_taxonomy": 0.2,
    "trade_neighbourhood": 3.0, "trade_activity": 0.1, "text_match": 0.8, "same_grid": 0.3, "same_zone": 0.5,
    "chain_leader": 0.2, "party_channel": 0.3, "scale_fit": 0.15, "open_need": 1.5, "chain_segment": 0.6,
    "text_similarity": 1.0, "linked_similarity": 4.0, "product_link": 1.0, "diffuse": -0.3, "trades_with": 1.5,
}

LINKS_PER_CODE = 40
"""Industry links followed per code of the firm."""
FIRMS_PER_LINK = 400
"""Firms taken under each linked industry (largest output first): bounds the work per query."""
PEERS = 200
"""Same-industry peers whose trades are counted for the trade neighbourhood."""
TEXT_MIN = 0.2
"""Product similarity below this is no evidence on its own (a shared character such as 煤); along an industry
link (``linked_similarity``) it still counts."""
OPEN_NEED_TEXT = 0.15
"""``open_need`` counts when the need's text and the offered products are at least this alike."""
_PRODUCT_MATCH = 0.5
"""A product text stands for the register's products at least this alike (as knowledge products do)."""
TEXT_CANDIDATES = 400
"""Firms whose products are most like the firm's, taken as candidates."""
MODEL_VERSION = 2


@dataclass(frozen=True)
class Filters:
    """Optional filters on the candidates; ``None`` means no filter."""

    zone: str | None = None
    grid: str | None = None
    chain: str | None = None
    scale: str | None = None
    has_party: bool | None = None


@dataclass(frozen=True)
class Recommendation:
    rank: int
    id: str
    name: str
    short_name: str
    score: float
    zone: str
    grid: str
    path: str
    """The chain of reasons, e.g. 利通 生产 高压灭菌设备 (3531) → 用户行业 14 食品制造业 → 亿家馨 (1353)."""
    reasons: list[str]
    contributions: dict[str, float]
    """Each feature's share of the score (weight × value), largest first."""
    introducers: list[str]
    """Who can make the introduction: grid chiefs, party committee."""
    industries: list[str]


@dataclass(frozen=True)
class Recommendations:
    source_id: str
    source_name: str
    direction: str
    scope: str
    model: str
    items: list[Recommendation]
    candidates_considered: int
    reason: str | None = None
    """Set when ``items`` is empty: why, and which data would make a list possible."""


@dataclass(frozen=True)
class Source:
    """What partners are sought for: a firm of the index, or a product text or a need standing in for one."""

    pos: int
    """The firm's position in the index, -1 when the source is no firm (a product text)."""
    label: str
    codes: tuple[str, ...]
    basis: dict[str, str]
    products: tuple[str, ...]
    needs: tuple[FirmNeed, ...]
    segments: tuple[int, ...]
    trade_out: NDArray[np.int32]
    trade_in: NDArray[np.int32]
    zone: int
    grid: int
    committee: int
    output: float
    verb: str = "生产"
    """How the source relates to its products in explanations: 生产 (makes), 需要 (needs), 销售 (sells)."""


def _own_products(index: MatchIndex, src: Source) -> NDArray[np.int64] | None:
    """The rows of the source's products in the text measure when the source is a firm ranked by what it makes
    (not a product text, nor a firm's need standing in for it); None otherwise."""
    if src.pos < 0 or src.products != index.products[src.pos]:
        return None
    fp = index.text.firm_products
    rows: NDArray[np.int64] = np.asarray(fp.indices[fp.indptr[src.pos]:fp.indptr[src.pos + 1]], dtype=np.int64)
    return rows


def source_of(index: MatchIndex, pos: int) -> Source:
    """The firm at ``pos`` as a ranking source."""
    return Source(
        pos, index.short_names[pos] or index.names[pos], index.codes[pos], index.code_basis[pos],
        index.products[pos], tuple(index.needs.get(pos, [])), index.segments[pos], index.trade_out[pos],
        index.trade_in[pos], int(index.zone[pos]), int(index.grid[pos]), int(index.committee[pos]),
        float(index.output[pos]),
    )


# -- the model -------------------------------------------------------------------------------


def build_pipeline(C: float = 1.0) -> Pipeline:
    """The learning part of the ranking model: scaled features into a class-balanced logistic regression."""
    # Pairwise differences are symmetric around 0: no centring, no intercept.
    return Pipeline([
        ("scale", StandardScaler(with_mean=False)),
        ("logit", LogisticRegression(C=C, fit_intercept=False, max_iter=1000)),
    ])


def pairwise(
    X: NDArray[np.float64], y: NDArray[np.int_], groups: NDArray[np.int_],
) -> tuple[NDArray[np.float64], NDArray[np.int_]]:
    """Turn outcomes into within-group comparisons: (signed − declined) labelled 1 and its negation 0.

    Ranking orders the candidates of one firm, so the model learns what tells a signed partner from
    a declined one *of the same firm*, not what tells one firm's projects from another's.

    >>> D, t = pairwise(np.array([[1.0, 0], [0, 1], [0, 0]]), np.array([1, 0, 0]), np.array([7, 7, 8]))
    >>> D.tolist(), t.tolist()
    ([[1.0, -1.0], [-1.0, 1.0]], [1, 0])
    """
    rows: list[NDArray[np.float64]] = []
    for g in np.unique(groups):
        members = groups == g
        pos, neg = X[members & (y == 1)], X[members & (y == 0)]
        if len(pos) and len(neg):
            rows.append((pos[:, None, :] - neg[None, :, :]).reshape(-1, X.shape[1]))
    if not rows:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=np.int_)
    D = np.concatenate(rows)
    return np.concatenate([D, -D]), np.concatenate([np.ones(len(D), dtype=np.int_), np.zeros(len(D), dtype=np.int_)])


class RankingModel(BaseEstimator):  # type: ignore[misc]
    """Linear ranking weights: the defaults, adjusted by what signed and declined projects teach.

    ``fit(X, y, groups)`` compares, within each group (the firm whose partners were sought), the
    features of signed partners with those of declined or dropped ones (:func:`pairwise`), fits
    :func:`build_pipeline` on those differences and sets ``weights_`` = default weights + the
    logistic coefficients in raw feature units, each adjustment bounded by the default weight
    itself: outcomes can remove a feature's weight or double it, not turn evidence for a match into
    evidence against it, and a few dozen outcomes cannot swamp the chain knowledge. A feature the
    outcomes never varied keeps its default weight, so a model trained on one matchmaking event
    does not forget the rest.

    >>> X = np.zeros((6, len(FEATURES))); X[:3, _F["same_grid"]] = 1
    >>> m = RankingModel().fit(X, np.array([1, 1, 1, 0, 0, 0]), np.zeros(6, dtype=int))
    >>> bool(m.weights_[_F["same_grid"]] > DEFAULT_WEIGHTS["same_grid"])
    True
    >>> float(m.weights_[_F["link_io"]]) == DEFAULT_WEIGHTS["link_io"]
    True
    """

    def __init__(self, C: float = 0.1) -> None:
        self.C = C

    def fit(self, X: NDArray[np.float64], y: NDArray[np.int_], groups: NDArray[np.int_]) -> RankingModel:
        D, t = pairwise(X, y, groups)
        if len(t) == 0:
            raise DataError("No firm has both a signed and an unsuccessful project: nothing to learn from.")
        pipe = build_pipeline(self.C)
        pipe.fit(D, t)
        scaler: StandardScaler = pipe.named_steps["scale"]
        logit: LogisticRegression = pipe.named_steps["logit"]
        raw = logit.coef_[0] / np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        raw[scaler.var_ == 0] = 0.0
        self.pipeline_ = pipe
        self.coef_raw_ = raw
        prior = _default_vector()
        self.weights_ = prior + np.clip(raw, -np.abs(prior), np.abs(prior))
        self.n_samples_ = len(y)
        self.n_positive_ = int(np.sum(y))
        self.n_pairs_ = int(len(t) // 2)
        return self

    def decision_function(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(X @ self.weights_, dtype=np.float64)


def _default_vector() -> NDArray[np.float64]:
    return np.array([DEFAULT_WEIGHTS[f] for f in FEATURES], dtype=np.float64)


def save_model(model: RankingModel, path: Path, *, summary: dict[str, Any]) -> None:
    """Write the model's weights, version and training summary as JSON (no pickle: safe to read)."""
    doc = {
        "version": MODEL_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": list(FEATURES),
        "weights": [round(float(w), 6) for w in model.weights_],
        "learned_adjustment": [round(float(w), 6) for w in model.coef_raw_],
        "n_samples": model.n_samples_,
        "n_positive": model.n_positive_,
        "summary": summary,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a model


def load_model(path: Path) -> tuple[NDArray[np.float64], str] | None:
    """The saved weights and a one-line description, or None when no model file exists."""
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != MODEL_VERSION or doc.get("features") != list(FEATURES):
            raise DataError(
                f"The model file {path} was written by another chainmatch version. Run `chainmatch train` again."
            )
        weights = np.array(doc["weights"], dtype=np.float64)
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"The model file {path} cannot be read ({e}). Delete it or run `chainmatch train` again.") from e
    source = (doc.get("summary") or {}).get("source")
    what = f"{doc.get('n_samples')} examples from {source}" if source else f"{doc.get('n_samples')} project outcomes"
    return weights, f"trained {doc.get('trained_at', '?')} on {what}"


# -- candidates and features -----------------------------------------------------------------


@lru_cache(maxsize=8192)
def _links(code: str, direction: str) -> tuple[tuple[str, float, str, str], ...]:
    """(counterpart code, weight, kind, evidence) for one industry code, from the chain knowledge."""
    from chainmatch.knowledge.supply import buyers_of, suppliers_of

    try:
        answer = (buyers_of if direction == "buyers" else suppliers_of)(code, top=LINKS_PER_CODE)
    except NotFound:
        return ()
    out = []
    for link in answer.links:
        other = link.buyer_code if direction == "buyers" else link.supplier_code
        out.append((other, float(link.weight), link.kind, link.evidence))
    return tuple(out)


def warm(index: MatchIndex) -> int:
    """Read the chain knowledge of every industry code the index's firms have, in both directions, into its
    cache, so that a code's first query is as fast as later ones (about 2 ms per code and direction otherwise,
    inside somebody's request), fits the text measure and the product chains, and makes the tables the first
    query would otherwise make inside somebody's request (each firm's industry spread, the open 找供应 asks'
    text, the id order, the grid and chain members: 0.3 s at 100,000 firms). Returns the number of codes.
    """
    codes = {code for firm_codes in index.codes for code in firm_codes if ":" not in code}
    for code in codes:
        _links(code, "buyers")
        _links(code, "suppliers")
    index.product_links  # noqa: B018  (fits the text measure and lays the product chains over the products)
    index.diffuse  # noqa: B018
    index.id_rank  # noqa: B018
    index.grid_firms(0), index.chain_segments(0)
    _supply_asks(index)
    return len(codes)


@lru_cache(maxsize=4096)
def _industry_name(code: str) -> str:
    from chainmatch.knowledge.industries import load_industries

    try:
        return load_industries().get(code).name
    except NotFound:
        return code


@dataclass
class _Pool:
    """Candidates of one query, gathered as arrays: (firm, feature column, value, link) per finding.

    Findings are merged at the end with numpy (max per firm and column), so the work per query is a
    few array operations per link followed, never a Python loop over candidate firms.
    """

    firms: list[NDArray[np.int32]] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    values: list[NDArray[np.float64] | float] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)
    links: list[tuple[float, str, str, str, str, str]] = field(default_factory=list)
    """(weight, kind, own code, own basis, linked code, evidence) of each industry link followed."""
    best: NDArray[np.int_] = field(default_factory=lambda: np.zeros(0, dtype=np.int_))
    """Per candidate row (as :func:`candidate_features` returns them), its strongest link (-1 none)."""
    query: Any = None
    """The text vector of what the source makes (or asks for), for the text features."""
    by_product: NDArray[np.float64] | None = None
    """The query's cosine with every distinct product of the index."""
    considered: int = 0
    """How many candidates the query had before the best were taken."""
    own: Any = None
    """The source's products as text vectors (for explanations, made when first needed)."""

    def why(self, row: int) -> tuple[float, str, str, str, str, str] | None:
        """The strongest industry link that brought the candidate of ``row`` in, or None."""
        link = int(self.best[row])
        return self.links[link] if link >= 0 else None

    def add(self, firms: NDArray[np.int32], col: int, value: NDArray[np.float64] | float, link: int = -1) -> None:
        if len(firms):
            self.firms.append(firms)
            self.cols.append(col)
            self.values.append(value if isinstance(value, np.ndarray) else float(value))
            self.link_ids.append(link)

    def merge(self, slots: NDArray[np.int32]) -> tuple[NDArray[np.int32], NDArray[np.float64], NDArray[np.int_]]:
        """Unique candidate firms (by position), their feature matrix and, per firm, its strongest link (-1 none).

        ``slots`` is a scratch array holding -1 for every firm of the index (see :func:`_slots`): it finds each
        firm's findings without sorting them all, and is left as it was found. The maxima per firm and column,
        and the strongest link (of equally strong ones, the first followed), are taken with unbuffered ufuncs
        over all findings at once.
        """
        if not self.firms:
            return np.zeros(0, dtype=np.int32), np.zeros((0, len(FEATURES))), np.zeros(0, dtype=np.int_)
        sizes = np.array([len(f) for f in self.firms])
        F = np.concatenate(self.firms)
        at = np.arange(len(F), dtype=np.int32)
        try:
            slots[F] = at
            firms = np.sort(F[slots[F] == at])  # each firm once (at its last finding)
            slots[firms] = np.arange(len(firms), dtype=np.int32)
            R = slots[F].astype(np.int_)  # per finding, its firm's row
        finally:
            slots[F] = -1
        V = np.repeat(np.array([v if isinstance(v, float) else 0.0 for v in self.values]), sizes)
        ends = np.cumsum(sizes)
        for k, v in enumerate(self.values):
            if not isinstance(v, float):
                V[ends[k] - sizes[k]:ends[k]] = v
        width = len(FEATURES)
        X = np.zeros(len(firms) * width)
        np.maximum.at(X, R * width + np.repeat(np.array(self.cols, dtype=np.int_), sizes), V)
        best = np.full(len(firms), -1, dtype=np.int_)
        L = np.repeat(np.array(self.link_ids, dtype=np.int_), sizes)
        linked = L >= 0
        if linked.any():
            n_links = len(self.links)
            by_strength = np.lexsort((np.arange(n_links), -np.array([link[0] for link in self.links])))
            rank = np.empty(n_links, dtype=np.int_)
            rank[by_strength] = np.arange(n_links)
            top = np.full(len(firms), n_links, dtype=np.int_)
            np.minimum.at(top, R[linked], rank[L[linked]])
            has = top < n_links
            best[has] = by_strength[top[has]]
        return firms, X.reshape(len(firms), width), best


_SCRATCH = "ranking_slots"


def _slots(index: MatchIndex) -> NDArray[np.int32]:
    """This thread's scratch array for :meth:`_Pool.merge`: -1 for each of the index's firms, made once."""
    local = index.memo.get(_SCRATCH)
    if local is None:
        local = index.memo.setdefault(_SCRATCH, threading.local())
    slots: NDArray[np.int32] | None = getattr(local, "slots", None)
    if slots is None:
        slots = local.slots = np.full(index.n, -1, dtype=np.int32)
    return slots


def _scope_mask(index: MatchIndex, src: Source, scope: str, filters: Filters) -> NDArray[np.bool_] | None:
    """Which firms may be recommended, or None when every firm may (no scope, no filter)."""
    if scope == "all" and filters == Filters():
        return None
    mask = np.ones(index.n, dtype=np.bool_)
    zone = src.zone
    if scope == "zone":
        mask &= index.zone == zone if zone >= 0 else np.zeros(index.n, dtype=np.bool_)
    elif scope == "outside":
        mask &= index.zone != zone if zone >= 0 else np.ones(index.n, dtype=np.bool_)
    if filters.zone is not None:
        z = index.zone_ids.index(filters.zone) if filters.zone in index.zone_ids else -2
        mask &= index.zone == z
    if filters.grid is not None:
        g = index.grid_ids.index(filters.grid) if filters.grid in index.grid_ids else -2
        mask &= index.grid == g
    if filters.scale is not None:
        mask &= index.above_scale == (filters.scale == "above")
    if filters.has_party is not None:
        mask &= index.has_party == filters.has_party
    if filters.chain is not None:
        c = index.chain_ids.index(filters.chain) if filters.chain in index.chain_ids else -2
        in_chain = np.zeros(index.n, dtype=np.bool_)
        for seg, info in enumerate(index.segment_info):
            if info[0] == c:
                in_chain[index.segment_firms[seg]] = True
        mask &= in_chain
    return mask


def _take(firms: NDArray[np.int32], mask: NDArray[np.bool_] | None, cap: int = FIRMS_PER_LINK) -> NDArray[np.int32]:
    """The first ``cap`` firms of a list (largest output first) that the mask allows; bounded work."""
    if mask is None:
        return firms[:cap]
    head = firms[: cap * 8]
    return head[mask[head]][:cap]


def _gather(index: MatchIndex, src: Source, direction: str, mask: NDArray[np.bool_] | None) -> _Pool:
    pool = _Pool()
    codes = src.codes
    # 0. Firms whose products are most like the source's.
    text = index.text
    own_rows = _own_products(index, src)
    pool.query = text.firm_vector(src.pos) if own_rows is not None else text.text_vector(src.products)
    pool.by_product = text.product_similarity(pool.query)
    if src.pos >= 0:
        alike, sims = text.similar_firms(pool.query, TEXT_CANDIDATES * (1 if mask is None else 8), pool.by_product)
        if mask is not None:
            keep = mask[alike]
            alike, sims = alike[keep][:TEXT_CANDIDATES], sims[keep][:TEXT_CANDIDATES]
        pool.add(alike, _F["text_similarity"], sims)
    link_direction = "buyers" if direction == "buyers" else "suppliers"
    # 0b. Product chains: firms making what the source's products go into (or come from).
    if direction in ("buyers", "suppliers"):
        chains = index.product_links
        # A product text or a need stands for the register's products like it.
        made = own_rows if own_rows is not None else np.flatnonzero(pool.by_product >= _PRODUCT_MATCH).astype(np.int64)
        linked, strength = chains.firms_for(text, chains.reach(made, direction))
        if mask is not None:
            keep = mask[linked]
            linked, strength = linked[keep], strength[keep]
        pool.add(linked, _F["product_link"], strength)
    # 1. Industry links from the chain knowledge.
    if direction in ("buyers", "suppliers"):
        for code in codes:
            basis = src.basis.get(code, "")
            links = _links(code, link_direction) if ":" not in code else ()
            extra = index.extra_links.get(link_direction, {}).get(code, [])
            for other, weight, kind, evidence in (*links, *extra):
                firms = _take(index.firms_under(other), mask)
                pool.links.append((weight, kind, code, basis, other, evidence))
                pool.add(firms, _F[_LINK_KINDS[kind]], weight, len(pool.links) - 1)
    else:
        # Partners: same 中类 (3-digit) as one of the firm's codes, i.e. neighbouring products.
        for code in codes:
            for prefix in code_prefixes(code)[1:2]:
                pool.links.append((0.5, "sibling", code, src.basis.get(code, ""), prefix,
                                   f"同属 {prefix} {_industry_name(prefix)}"))
                pool.add(_take(index.firms_under(prefix), mask), _F["link_template"], 0.5, len(pool.links) - 1)
    # 2. Trade neighbourhood: who trades with the firm's peers (same industry, or serving the same partners).
    if direction in ("buyers", "suppliers"):
        trades = index.trade_out if direction == "buyers" else index.trade_in
        back = index.trade_in if direction == "buyers" else index.trade_out
        peer_lists = [index.firms_under(codes[0])[:PEERS]] if codes else []
        own = src.trade_out if direction == "buyers" else src.trade_in
        peer_lists += [back[p][:PEERS] for p in own[:PEERS].tolist()]
        if peer_lists:
            peers = np.unique(np.concatenate(peer_lists))
            lists = [trades[p] for p in peers[peers != src.pos].tolist()]
            if lists:
                everyone = np.concatenate(lists)
                if everyone.size:
                    firms, counts = np.unique(everyone, return_counts=True)
                    if mask is not None:
                        firms, counts = firms[mask[firms]], counts[mask[firms]]
                    pool.add(firms.astype(np.int32), _F["trade_neighbourhood"],
                             np.minimum(1.0, np.log1p(counts) / np.log1p(10)))
    # 3. Open needs that ask for exactly this.
    if direction == "buyers":
        for code in codes:
            needers = index.supply_needs_by_prefix.get(code)
            if needers is not None:
                pool.add(needers if mask is None else needers[mask[needers]], _F["open_need"], 1.0)
    elif direction == "suppliers":
        for need in src.needs:
            if need.kind == "supply":
                for code in need.codes:
                    pool.add(_take(index.firms_under(code), mask), _F["open_need"], 1.0)
    # 4. The next chain segment (or the same one for partners).
    for seg in src.segments:
        if direction == "buyers":
            targets = index.segment_supplies.get(seg, ())
        elif direction == "suppliers":
            targets = tuple(t for t, feeds in index.segment_supplies.items() if seg in feeds)
        else:
            targets = (seg,)
        for t in targets:
            pool.add(_take(index.segment_firms[t], mask), _F["chain_segment"], 1.0)
    return pool


def _supply_asks(index: MatchIndex) -> tuple[NDArray[np.int32], Any]:
    """Firms with open 找供应 needs (sorted) and the text vector of each one's asks, made once per index."""
    found = index.memo.get("supply_asks")
    if found is None:
        firms = sorted(f for f, needs in index.needs.items() if any(n.kind == "supply" for n in needs))
        text = index.text
        rows = [text.text_vector([n.product or n.title for n in index.needs[f] if n.kind == "supply"]) for f in firms]
        matrix = sp.vstack(rows).tocsr() if rows else None
        found = index.memo.setdefault("supply_asks", (np.array(firms, dtype=np.int32), matrix))
    return found  # type: ignore[no-any-return]


def _text_matches(index: MatchIndex, src: Source, firms: NDArray[np.int32], direction: str,
                  query: Any) -> NDArray[np.float64]:
    """``text_match`` for each candidate: the cosine between what one side offers (products) and what the
    other asks for (its open 找供应 needs); 0 for partners, whose products are compared by ``text_similarity``."""
    out = np.zeros(len(firms))
    text = index.text
    if direction == "buyers" and query is not None and query.nnz:
        needers, asks = _supply_asks(index)
        if len(needers):
            at = np.searchsorted(needers, firms)
            at[at >= len(needers)] = 0
            has = needers[at] == firms
            if has.any():
                sims = np.asarray((asks[at[has]] @ query.T).todense()).ravel()
                out[has] = sims
    elif direction == "suppliers":
        asks = [n.product or n.title for n in src.needs if n.kind == "supply"]
        if asks:
            out = text.firm_similarity(text.text_vector(asks), firms)
    return out


def _vector_features(index: MatchIndex, src: Source, firms: NDArray[np.int32], X: NDArray[np.float64]) -> None:
    """Fill the features that are plain array lookups, for all candidates at once."""
    X[:, _F["same_zone"]] = (index.zone[firms] == src.zone) & (src.zone >= 0)
    X[:, _F["same_grid"]] = (index.grid[firms] == src.grid) & (src.grid >= 0)
    X[:, _F["chain_leader"]] = index.leader[firms]
    X[:, _F["diffuse"]] = index.diffuse[firms]
    X[:, _F["party_channel"]] = (index.committee[firms] == src.committee) & (src.committee >= 0)
    o_s, o_c = src.output, index.output[firms]
    with np.errstate(invalid="ignore"):
        gap = np.abs(np.log10(1.0 + o_c) - np.log10(1.0 + float(o_s))) / 3.0
    X[:, _F["scale_fit"]] = np.where(np.isnan(gap), 0.5, 1.0 - np.minimum(1.0, gap))


def candidate_features(
    index: MatchIndex, source: int | Source, direction: str, *, scope: str = "all", filters: Filters | None = None,
    exclude_known: bool = True, include: NDArray[np.int32] | None = None,
) -> tuple[NDArray[np.int32], NDArray[np.float64], _Pool]:
    """All candidates of one query and their feature matrix.

    ``exclude_known`` leaves out the firms it already trades with in this direction: they are known
    partners, not recommendations (training keeps them: a signed deal usually became a trade).
    ``include`` adds firms to the candidates whatever brought them in (training and evaluation ask
    about given pairs).
    """
    src = source if isinstance(source, Source) else source_of(index, source)
    mask = _scope_mask(index, src, scope, filters or Filters())
    known = None
    if exclude_known and direction == "buyers":
        known = src.trade_out
    elif exclude_known and direction == "suppliers":
        known = src.trade_in
    pool = _gather(index, src, direction, mask)
    if include is not None:
        pool.add(include, _F["text_similarity"], 0.0)
    firms, X, best = pool.merge(_slots(index))
    drop = np.isin(firms, known) if known is not None and len(known) else np.zeros(len(firms), dtype=np.bool_)
    drop |= firms == src.pos
    keep = ~drop
    firms, X, best = firms[keep], X[keep], best[keep]
    pool.best = best
    if len(firms):
        _vector_features(index, src, firms, X)
        if direction in ("buyers", "suppliers"):
            activity = index.buyer_activity if direction == "buyers" else index.supplier_activity
            X[:, _F["trade_activity"]] = activity[firms]
            partners = src.trade_out if direction == "buyers" else src.trade_in
            if partners.size:  # only when known partners were kept (exclude_known=False: maps, training)
                X[:, _F["trades_with"]] = np.isin(firms, partners)
        if src.pos >= 0:
            # A firm's peers buy from it as far as its industry buys from itself; for a product text (a product
            # to place) the makers of like products are its competitors, so the text features stay 0 there.
            sims = index.text.firm_similarity(pool.query, firms, pool.by_product)
            X[:, _F["text_similarity"]] = np.where(sims >= TEXT_MIN, sims, 0.0)
            X[:, _F["linked_similarity"]] = sims * X[:, _LINK_COLUMNS].max(axis=1)
        X[:, _F["text_match"]] = _text_matches(index, src, firms, direction, pool.query)
        # An open need is evidence only when its text matches what is offered, not just its industry code
        # (a need for 食品包装袋 classified like food machinery is no reason to send it a sterilizer maker).
        X[:, _F["open_need"]] *= X[:, _F["text_match"]] >= OPEN_NEED_TEXT
    return firms, X, pool


def score_candidates(
    index: MatchIndex, source: int | Source, direction: str, *, scope: str = "all", filters: Filters | None = None,
    weights: NDArray[np.float64] | None = None, exclude_known: bool = True, top: int | None = None,
) -> tuple[NDArray[np.int32], NDArray[np.float64], NDArray[np.float64], _Pool]:
    """The scorer: the candidates of one query with their scores (weights · features), best first.

    Recommendations, a need's candidates, the chain maps' recruitment targets and the evaluation all rank
    firms with this one function. Equal scores are ordered by product similarity, then by id, never by size
    or popularity. With ``top``, only the best ``top`` (all of them when fewer). Returns (firms, scores,
    features, pool) with ``pool.best`` in the same order; ``pool.considered`` counts every candidate.
    """
    w = weights if weights is not None else _default_vector()
    firms, X, pool = candidate_features(index, source, direction, scope=scope, filters=filters,
                                        exclude_known=exclude_known)
    pool.considered = len(firms)
    scores = X @ w
    head = np.arange(len(firms))
    if top is not None and len(firms) > top:
        kth = np.partition(-scores, top - 1)[top - 1]
        head = np.flatnonzero(-scores <= kth)  # the best ``top`` and every firm tied with the last of them
    order = head[np.lexsort((index.id_rank[firms[head]], -X[head, _F["text_similarity"]], -scores[head]))]
    if top is not None:
        order = order[:top]
    pool.best = pool.best[order]
    return firms[order], scores[order], X[order], pool


def _check(direction: str, scope: str, top: int) -> None:
    if direction not in DIRECTIONS:
        raise InvalidRequest(
            f"direction has value '{direction}'. It must be one of {', '.join(DIRECTIONS)} "
            "(buyers = 下游买家, suppliers = 上游供应商, partners = 同环节合作伙伴)."
        )
    if scope not in SCOPES:
        raise InvalidRequest(f"scope has value '{scope}'. It must be one of {', '.join(SCOPES)} (zone = 区内, outside = 区外, all = 全部).")
    if not 1 <= top <= 200:
        raise InvalidRequest(f"top has value {top}. It must be between 1 and 200.")


def recommend(
    index: MatchIndex, enterprise_id: str, *, direction: str = "buyers", scope: str = "all", top: int = 10,
    filters: Filters | None = None, weights: NDArray[np.float64] | None = None, model_name: str = "默认权重",
) -> Recommendations:
    """Rank partners for one firm, each with the path that links them, feature contributions and introducers.

    ``weights`` are a trained model's (see :func:`load_model`); by default :data:`DEFAULT_WEIGHTS`.
    A firm with no industry, products or trades gets no list and a ``reason`` saying which data
    would make one possible.
    """
    _check(direction, scope, top)
    pos = index.pos.get(enterprise_id)
    if pos is None:
        raise NotFound(f"No enterprise has the id '{enterprise_id}' in the match index.")
    src = source_of(index, pos)
    name = index.names[pos]
    if not src.codes and not src.trade_in.size and not src.trade_out.size and not src.segments:
        return Recommendations(
            enterprise_id, name, direction, scope, model_name, [], 0,
            f"{name} has no industry code, no product that could be classified, no known trade and no chain segment: "
            "add its products (主营产品) or GB/T 4754 industry code (industry_codes) to the data and load it again.",
        )
    return _rank(index, src, enterprise_id, name, direction, scope, top, filters, weights, model_name)


def recommend_for_text(
    index: MatchIndex, text: str, *, direction: str = "buyers", zone_id: str | None = None, scope: str = "all",
    top: int = 10, filters: Filters | None = None, weights: NDArray[np.float64] | None = None,
    model_name: str = "默认权重",
) -> Recommendations:
    """Rank buyers, suppliers or partners for a product text (e.g. a product a zone wants to place), not a firm.

    The text is classified into GB/T 4754; ``zone_id`` (optional) says where the product would be made,
    for the locality features and ``scope``.
    """
    from chainmatch.knowledge.classify import classify

    _check(direction, scope, top)
    result = classify(text, top=1)
    best = result.best
    if best is None:
        return Recommendations("", text, direction, scope, model_name, [], 0,
                               f"「{text}」 could not be classified ({result.reason}); name the product in Chinese, "
                               "e.g. 高压灭菌设备.")
    zone = index.zone_ids.index(zone_id) if zone_id in index.zone_ids else -1
    if zone_id is not None and zone < 0:
        raise NotFound(f"No zone has the id '{zone_id}'.", candidates=index.zone_ids[:8])
    empty = np.zeros(0, dtype=np.int32)
    src = Source(-1, f"「{text}」", (best.code,), {best.code: text}, (text,), (), (), empty, empty, zone, -1, -1,
                 math.nan)
    return _rank(index, src, "", text, direction, scope, top, filters, weights, model_name)


def need_source(
    index: MatchIndex, need_id: str, kind: str, product: str, title: str, poster_id: str | None,
    codes: tuple[str, ...] | None = None,
) -> Source:
    """A 找供应 or 找买家 need as a ranking source: its product text (classified here unless ``codes`` are
    given), the poster's place in the zone when the poster is in the index (a need posted after the index
    was built is ranked all the same)."""
    from chainmatch.matching.index import CLASSIFY_MIN_CONFIDENCE

    text = product or title
    if codes is None:
        from chainmatch.knowledge.classify import classify

        best = classify(text, top=1).best if text else None
        codes = (best.code,) if best is not None and best.confidence >= CLASSIFY_MIN_CONFIDENCE else ()
    need = FirmNeed(need_id, title, kind, product, codes)
    pos = index.pos.get(poster_id, -1) if poster_id else -1
    verb = "需要" if kind == "supply" else "销售"
    empty = np.zeros(0, dtype=np.int32)
    if pos < 0:
        return Source(-1, f"「{text}」", codes, {c: text for c in codes}, (text,), (need,), (), empty, empty,
                      -1, -1, -1, math.nan, verb)
    firm = source_of(index, pos)
    return Source(pos, firm.label, codes, {c: text for c in codes}, (text,), (need,), firm.segments,
                  firm.trade_out, firm.trade_in, firm.zone, firm.grid, firm.committee, firm.output, verb)


def recommend_for_need(
    index: MatchIndex, need_id: str, *, scope: str = "all", top: int = 10, filters: Filters | None = None,
    weights: NDArray[np.float64] | None = None, model_name: str = "默认权重",
) -> Recommendations:
    """Rank the firms that could answer an open need: suppliers for 找供应, buyers for 找买家.

    Other kinds (land, workers, finance, approvals) are answered by resources and departments, not
    by chain partners, and are refused with that reason.
    """
    for pos, needs in index.needs.items():
        for need in needs:
            if need.id == need_id:
                return recommend_need_source(index, need_source(
                    index, need.id, need.kind, need.product, need.title, index.ids[pos], need.codes),
                    scope=scope, top=top, filters=filters, weights=weights, model_name=model_name)
    raise NotFound(f"No open need has the id '{need_id}' in the match index (closed needs are not matched).")


def recommend_need_source(
    index: MatchIndex, src: Source, *, scope: str = "all", top: int = 10, filters: Filters | None = None,
    weights: NDArray[np.float64] | None = None, model_name: str = "默认权重",
) -> Recommendations:
    """Rank partners for a need made a source by :func:`need_source`."""
    need = src.needs[0]
    if need.kind not in ("supply", "buyers"):
        raise InvalidRequest(
            f"Need '{need.id}' is of kind '{need.kind}': only 找供应 (supply) and 找买家 (buyers) needs are "
            "matched with chain partners; match it with resources instead (GET /needs/{id}/candidates)."
        )
    direction = "suppliers" if need.kind == "supply" else "buyers"
    _check(direction, scope, top)
    if not need.codes and not index.text.text_vector([need.product or need.title]).nnz:
        return Recommendations(need.id, need.title, direction, scope, model_name, [], 0,
                               f"The need's product 「{need.product}」 could not be classified: name the "
                               "product in Chinese in the need, e.g. 食品包装袋.")
    return _rank(index, src, need.id, need.title, direction, scope, top, filters, weights, model_name)


def _rank(
    index: MatchIndex, src: Source, source_id: str, name: str, direction: str, scope: str, top: int,
    filters: Filters | None, weights: NDArray[np.float64] | None, model_name: str,
) -> Recommendations:
    w = weights if weights is not None else _default_vector()
    firms, scores, X, pool = score_candidates(index, src, direction, scope=scope, filters=filters, weights=w, top=top)
    if not len(firms):
        return Recommendations(
            source_id, name, direction, scope, model_name, [], 0,
            f"No firm in scope '{scope}' is linked to {name}'s industries ({', '.join(src.codes) or '—'}) "
            f"as {direction}; widen the scope (scope=all) or the filters, or load firms of the linked industries.",
        )
    order = np.arange(min(top, len(firms)))
    values = X[order]
    items = [
        _explain(index, src, c, x, part, score, rank, direction, pool.why(r),
                 _closest(index, pool, src, c) if x[_F["text_similarity"]] or x[_F["linked_similarity"]] else None,
                 _product_evidence(index, src, c, direction, x))
        for rank, (r, c, x, part, score) in enumerate(zip(
            order.tolist(), firms[order].tolist(), values.tolist(), (values * w).tolist(), scores[order].tolist(),
            strict=True), 1)
    ]
    return Recommendations(source_id, name, direction, scope, model_name, items, pool.considered)


def _label(index: MatchIndex, i: int) -> str:
    return index.short_names[i] or index.names[i]


_ROLES = {"buyers": "下游用户行业", "suppliers": "上游供给行业"}


def _closest(index: MatchIndex, pool: _Pool, src: Source, c: int) -> tuple[str, str, float] | None:
    """The pair of products, one the source makes (or asks for) and one the candidate makes, that are most
    alike, with the cosine of the candidate's whole product list: what ``text_similarity`` rests on."""
    if not index.products[c] or not src.products or pool.by_product is None or not len(pool.by_product):
        return None
    text = index.text
    fp = text.firm_products
    theirs = fp.indices[fp.indptr[c]:fp.indptr[c + 1]]
    if not len(theirs):
        return None
    sims = pool.by_product[theirs]
    best = int(theirs[int(np.argmax(sims))])
    if pool.by_product[best] <= 0:
        return None
    if pool.own is None:  # each of the source's products against every product, once per query
        own = sp.vstack([text.text_vector([p]) for p in src.products]).tocsr()
        pool.own = (own @ text.product_terms).toarray()
    mine = src.products[int(np.argmax(pool.own[:, best]))]
    norm = float(text.norms[c])
    return mine, text.product_names[best], float(sims.sum()) / norm if norm > 0 else 0.0


def _product_evidence(index: MatchIndex, src: Source, c: int, direction: str, x: list[float]
                      ) -> tuple[str, str, str] | None:
    """The product pair and knowledge link behind ``product_link`` (firm sources; None otherwise)."""
    if not x[_F["product_link"]] or _own_products(index, src) is None:
        return None
    return index.product_links.evidence(index.text, src.pos, c, direction)


def _explain(
    index: MatchIndex, src_: Source, c: int, x: list[float], part: list[float], score: float, rank: int,
    direction: str, why: tuple[float, str, str, str, str, str] | None, alike: tuple[str, str, float] | None,
    product: tuple[str, str, str] | None = None,
) -> Recommendation:
    """Candidate ``c`` as a recommendation: ``x`` holds its feature values, ``part`` each one's weight × value."""
    contributions = dict(sorted(((FEATURES[i], round(v, 4)) for i, v in enumerate(part) if v != 0),
                                key=lambda kv: -abs(kv[1])))
    src, cand = src_.label, _label(index, c)
    cand_codes = index.codes[c]
    cand_ind = f"{cand_codes[0]} {_industry_name(cand_codes[0])}" if cand_codes else "行业未知"
    link_part = sum(part[i] for i in _LINK_COLUMNS)
    text_part = part[_F["text_similarity"]] + part[_F["linked_similarity"]]
    need_part = part[_F["open_need"]]
    product_part = part[_F["product_link"]]
    if product is not None and product_part >= max(link_part if why is not None else 0.0, need_part, text_part):
        mine, theirs, knowledge = product
        if direction == "buyers":
            path = f"{src} 生产「{mine}」→ {cand} 生产「{theirs}」, 以前者为原料 [产品链: {knowledge}]"
        else:
            path = f"{cand} 生产「{theirs}」→ {src} 生产「{mine}」, 以前者为原料 [产品链: {knowledge}]"
    elif alike is not None and text_part > max(link_part if why is not None else 0.0, need_part):
        mine, theirs, sim = alike
        own = "" if src_.pos < 0 else f"{src_.verb}「{mine}」，"
        path = f"{src} {own}{cand} 生产「{theirs}」：产品相近 (相似度 {sim:.2f})".replace("  ", " ")
        if why is not None:
            _, _, code, _, other, evidence = why
            path += (f"，且 {code} {_industry_name(code)} → {other} {_industry_name(other)} 有供需关联 "
                     f"[{evidence.split('；')[0]}]")
    elif why is not None:
        _, _, code, basis, other, evidence = why
        if src_.pos < 0:
            own = ""  # a product text: the label already is the product
        elif basis and basis != "登记行业":
            own = f"{src_.verb}「{basis}」"
        else:
            own = "属于"
        role = _ROLES.get(direction, "相邻行业")
        path = (f"{src} {own} ({code} {_industry_name(code)}) → {role} {other} {_industry_name(other)} "
                f"[{evidence.split('；')[0]}] → {cand} ({cand_ind})").replace("  ", " ")
    elif x[_F["open_need"]]:
        code = src_.codes[0] if src_.codes else ""
        wanted = f"「{src_.basis.get(code, '')}」 ({code} {_industry_name(code)})" if code else ""
        if direction == "suppliers":
            path = f"{src} 需要{wanted} → {cand} ({cand_ind}) 正是这一行业"
        else:
            path = f"{cand} ({cand_ind}) 的待对接需求正要采购{wanted} ← {src}"
    elif x[_F["trade_neighbourhood"]]:
        verb = "采购" if direction == "buyers" else "供货给"
        path = f"{cand} 已从与 {src} 同行业的企业{verb}" if direction == "buyers" else f"{cand} 已{verb}与 {src} 同行业的企业"
    elif x[_F["chain_segment"]]:
        path = f"{src} 与 {cand} 位于同一产业链的相邻环节"
    else:
        path = f"{src} → {cand}"
    zone, grid, committee = int(index.zone[c]), int(index.grid[c]), int(index.committee[c])
    shown = [f for f, v in contributions.items() if not f.startswith("link_") and v > 0]
    if "linked_similarity" in shown and "text_similarity" in shown:
        shown.remove("text_similarity")  # one reason about the products, the stronger one
    reasons = [_reason(index, src_, c, feature, alike, product) for feature in shown]
    introducers = []
    if grid >= 0:
        grid_name = index.grid_names[grid]
        introducers += [f"网格长 {n} ({grid_name})" for n in index.grid_chiefs.get(grid, [])]
    if committee >= 0:
        introducers.append(f"党组织 {index.party_names[committee]}")
    if zone >= 0 and not introducers:
        introducers.append(f"{index.zone_names[zone]} 招商部门")
    if not introducers and src_.zone >= 0:  # a firm outside the zone: the source zone's staff recruit it
        introducers.append(f"{index.zone_names[src_.zone]} 招商部门 (以商招商: 经 {src} 引荐)" if src_.pos >= 0
                           else f"{index.zone_names[src_.zone]} 招商部门")
    return Recommendation(
        rank=rank, id=index.ids[c], name=index.names[c], short_name=index.short_names[c], score=round(score, 4),
        zone=index.zone_names[zone] if zone >= 0 else "区外", grid=index.grid_names[grid] if grid >= 0 else "",
        path=path, reasons=reasons, contributions=contributions, introducers=introducers,
        industries=[f"{k} {_industry_name(k)}" for k in cand_codes[:3]],
    )


def _reason(index: MatchIndex, src: Source, c: int, feature: str, alike: tuple[str, str, float] | None,
            product: tuple[str, str, str] | None = None) -> str:
    if feature == "product_link" and product is not None:
        return f"产品上下游: {product[2]}"
    if feature in ("text_similarity", "linked_similarity") and alike is not None:
        head = "产品相近" if feature == "text_similarity" else "产品相近且所在行业有供需关联"
        return f"{head}: 「{alike[0]}」与「{alike[1]}」"
    if feature == "same_zone":
        return f"同在 {index.zone_names[index.zone[c]]}"
    if feature == "same_grid":
        return f"同一网格 {index.grid_names[index.grid[c]]}"
    if feature == "party_channel":
        return f"同属 {index.party_names[index.committee[c]]}"
    if feature == "open_need":
        titles = [n.title for n in [*index.needs.get(c, []), *src.needs] if n.kind == "supply"]
        return "待对接需求: " + "、".join(titles[:2]) if titles else FEATURE_TITLES[feature]
    return FEATURE_TITLES[feature]


def score_firms(
    index: MatchIndex, source: int | Source, direction: str, firms: NDArray[np.int32], *,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """The scorer's score of given ``firms`` as candidates of one query, whatever brought them in (chain maps)."""
    w = weights if weights is not None else _default_vector()
    found, X, _ = candidate_features(index, source, direction, exclude_known=False, include=firms)
    rows = np.minimum(np.searchsorted(found, firms), max(len(found) - 1, 0))
    out = np.zeros(len(firms))
    if len(found):
        hit = found[rows] == firms
        out[hit] = X[rows[hit]] @ w
    return out


def feature_matrix(
    index: MatchIndex, pairs: Sequence[tuple[int, int]], direction: str = "buyers",
) -> NDArray[np.float64]:
    """Features of given (firm, candidate) pairs, as ranking would compute them (for training)."""
    X = np.zeros((len(pairs), len(FEATURES)), dtype=np.float64)
    by_source: dict[int, list[int]] = {}
    for row, (s, _) in enumerate(pairs):
        by_source.setdefault(s, []).append(row)
    for s, rows in by_source.items():
        wanted = np.array(sorted({pairs[r][1] for r in rows}), dtype=np.int32)
        firms, F, _ = candidate_features(index, s, direction, exclude_known=False, include=wanted)
        where = {int(f): r for r, f in enumerate(firms.tolist())}
        for row in rows:
            c = pairs[row][1]
            if c in where:
                X[row] = F[where[c]]
    return X
