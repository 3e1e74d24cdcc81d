"""Chain investment maps (产业链招商图谱): each chain's segments, local firms, strength, gaps and firms to recruit.

A map is computed from a store and a :class:`~chainmatch.matching.index.MatchIndex` (built once, passed in):

- the chain's segments from upstream to downstream, each with its categories (sub-segments) and industries;
- the zone's firms in each category: those declared in the chain's segments, and the zone's other firms whose
  GB/T codes fall under a category's industries (``membership="industry"``: capacity the zone has without
  having put it on the chain);
- each segment's strength: firms, output and share of the chain's local output;
- gaps: categories with no local firm (``missing``) or fewer firms / a smaller output share than
  :class:`Thresholds` asks (``weak``), each with a ranked list of firms outside the zone to recruit, and the
  reasons: supplies the chain leader (a known trade, or a supply-knowledge link from the gap's industry to the
  leader's), buys from local firms (a known trade, or the leader's industry supplies the gap's), supplies local
  firms, fills the segment;
- the known trades between the map's firms, the open needs along the chain and the party-organization coverage
  (chain firms with a party organization; members of the chain's comprehensive or industry committee).

Whatever leaves a map short (no chains in a zone, segments without industries, an empty recruitment pool)
is said in its ``notes``, never left as an empty map. Rendering (HTML/SVG, JSON, XLSX) is in
:mod:`chainmatch.maps.render`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.matching.index import MatchIndex, code_prefixes
from chainmatch.stores.base import Node, Store

__all__ = [
    "REASON_TITLES",
    "STAGE_TITLES",
    "Category",
    "ChainMap",
    "Committee",
    "CommitteeMember",
    "Gap",
    "Industry",
    "Link",
    "MapFirm",
    "MapNeed",
    "MapSegment",
    "MapsResult",
    "PartyCoverage",
    "Progress",
    "Reason",
    "Strength",
    "Target",
    "Thresholds",
    "ZoneMaps",
    "chain_map",
    "resolve_zones",
    "zone_maps",
]

STAGE_TITLES = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
_STAGE_RANK = {"upstream": 0, "midstream": 1, "downstream": 2}
REASON_TITLES = {
    "supplies_leader": "供应链主",
    "buys_from_local": "采购本地企业产品",
    "supplies_local": "供应本地企业",
    "fills_segment": "补齐环节",
}
_NEED_KINDS = {"buyers": "找买家", "supply": "找供应", "land": "用地厂房", "workers": "用工", "finance": "融资",
               "technology": "技术", "approval": "审批", "other": "其他"}
_KIND_TITLES = {"io": "投入产出表", "equipment_rule": "设备用户规则", "template": "产业链模板", "taxonomy": "产品分类"}
_EMPTY: NDArray[np.int32] = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class Thresholds:
    """When a category counts as a gap, and how many firms to name for each.

    A category with no local firm is a ``missing`` gap; one with fewer than ``min_firms`` firms or less than
    ``min_output_share`` of the chain's local output is a ``weak`` gap.
    """

    min_firms: int = 2
    min_output_share: float = 0.01
    targets_per_gap: int = 10
    pool_per_code: int = 2000
    """Outside firms examined per gap industry (largest output first), besides every firm that trades locally."""
    match_by_industry: bool = True
    """Also place the zone's firms that are not on the chain into the categories their industries fall under."""

    def __post_init__(self) -> None:
        if self.min_firms < 0 or not 0 <= self.min_output_share <= 1:
            raise InvalidRequest(
                f"Thresholds min_firms={self.min_firms!r}, min_output_share={self.min_output_share!r}: "
                "min_firms must be 0 or more and min_output_share between 0 and 1, e.g. 2 and 0.01.")
        if self.targets_per_gap < 0 or self.pool_per_code < 1:
            raise InvalidRequest(
                f"Thresholds targets_per_gap={self.targets_per_gap!r}, pool_per_code={self.pool_per_code!r}: "
                "targets_per_gap must be 0 or more and pool_per_code at least 1, e.g. 10 and 2000.")


@dataclass(frozen=True)
class Industry:
    code: str
    name: str


@dataclass(frozen=True)
class Strength:
    firms: int
    above_scale: int
    output: float
    """Sum of known output values, 万元."""
    output_share: float | None
    """Share of the chain's local output (None when no firm of the chain has a known output)."""


@dataclass(frozen=True)
class MapFirm:
    id: str
    name: str
    short_name: str
    leader: bool
    scale: str
    """'above' (规上) or 'below' (规下, also when unknown)."""
    output: float | None
    has_party: bool
    party: str | None
    """The comprehensive or industry committee the firm's party organization sits under, when known."""
    grid_id: str | None
    grid: str | None
    membership: str
    """'declared' (in the chain's segment) or 'industry' (a zone firm whose industry falls under the category)."""
    industries: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    """A sub-segment (or a segment without sub-segments): the unit a gap is found in."""

    id: str
    name: str
    stage: str
    order: int
    industries: tuple[Industry, ...]
    products: tuple[str, ...]
    firms: tuple[MapFirm, ...]
    strength: Strength
    gap: str | None
    """'missing', 'weak' or None."""


@dataclass(frozen=True)
class MapSegment:
    """A column of the map: a top-level segment with its categories, upstream to downstream."""

    id: str
    name: str
    stage: str
    order: int
    industries: tuple[Industry, ...]
    categories: tuple[Category, ...]
    """Its sub-segments; a segment without any is its own single category."""
    strength: Strength


@dataclass(frozen=True)
class Link:
    """A known trade between two firms of the map (supplier → buyer)."""

    supplier_id: str
    buyer_id: str


@dataclass(frozen=True)
class Reason:
    kind: str
    """'supplies_leader', 'buys_from_local', 'supplies_local' or 'fills_segment' (see REASON_TITLES)."""
    text: str
    evidence: str
    """'已知交易' for a known trade, else the supply-knowledge source."""


@dataclass(frozen=True)
class Target:
    rank: int
    id: str
    name: str
    short_name: str
    zone: str
    """The zone the firm is in, or '区外' (in no zone of the store)."""
    scale: str
    output: float | None
    industries: tuple[str, ...]
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Gap:
    segment_id: str
    segment: str
    category_id: str
    category: str
    stage: str
    kind: str
    """'missing' (no local firm) or 'weak' (below the thresholds)."""
    firms: int
    output_share: float | None
    industries: tuple[Industry, ...]
    targets: tuple[Target, ...]
    pool: int
    """Outside firms examined (under the gap's industries or trading with the chain's firms)."""
    note: str | None
    """Why there is no target, when there is none."""


@dataclass(frozen=True)
class MapNeed:
    id: str
    title: str
    kind: str
    kind_title: str
    product: str
    firm_id: str
    firm: str
    segments: tuple[str, ...]


@dataclass(frozen=True)
class CommitteeMember:
    org_id: str
    org: str
    firm_id: str | None
    firm: str | None
    on_map: bool


@dataclass(frozen=True)
class Committee:
    id: str
    name: str
    kind: str
    members: tuple[CommitteeMember, ...]


@dataclass(frozen=True)
class PartyCoverage:
    firms: int
    with_party: int
    rate: float | None
    committees: tuple[Committee, ...]
    """The comprehensive or industry committees that serve the chain (SERVES_CHAIN), with the organizations under them."""
    serving: tuple[str, ...]
    """Other party organizations that serve the chain (e.g. the chain firms' own committees)."""


@dataclass(frozen=True)
class ChainMap:
    chain_id: str
    chain: str
    template: str | None
    task_force: str | None
    zone_id: str | None
    zone: str | None
    leaders: tuple[MapFirm, ...]
    segments: tuple[MapSegment, ...]
    links: tuple[Link, ...]
    gaps: tuple[Gap, ...]
    needs: tuple[MapNeed, ...]
    party: PartyCoverage
    strength: Strength
    thresholds: Thresholds
    notes: tuple[str, ...]

    @property
    def targets(self) -> int:
        """How many recruitment targets the map names (a firm may be named for several gaps)."""
        return sum(len(g.targets) for g in self.gaps)


@dataclass(frozen=True)
class ZoneMaps:
    zone_id: str
    zone: str
    maps: tuple[ChainMap, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MapsResult:
    zones: tuple[ZoneMaps, ...]
    thresholds: Thresholds

    @property
    def maps(self) -> list[ChainMap]:
        return [m for z in self.zones for m in z.maps]

    @property
    def chains(self) -> int:
        return len(self.maps)

    @property
    def gaps(self) -> int:
        return sum(len(m.gaps) for m in self.maps)

    @property
    def targets(self) -> int:
        return sum(m.targets for m in self.maps)

    @property
    def notes(self) -> list[str]:
        """Every zone's and map's notes, each prefixed with where it comes from."""
        out = [f"{z.zone}: {n}" for z in self.zones for n in z.notes]
        out += [f"{m.zone or '（无开发区）'} · {m.chain}: {n}" for m in self.maps for n in m.notes]
        return out


Progress = Callable[[int, int, str], None]
"""Called after each chain with (chains done, chains in all, the chain's name)."""


# -- helpers -----------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _industry_name(code: str) -> str | None:
    from chainmatch.knowledge.industries import load_industries

    try:
        return load_industries().get(code).name
    except NotFound:
        return None


@lru_cache(maxsize=4096)
def _knowledge(code: str, direction: str) -> tuple[tuple[str, float, str, str], ...]:
    """(counterpart code, weight, kind, evidence) of the industries that supply (or buy from) ``code``."""
    from chainmatch.knowledge.supply import buyers_of, suppliers_of

    try:
        answer = (suppliers_of if direction == "suppliers" else buyers_of)(code, top=100)
    except NotFound:
        return ()
    return tuple(
        ((link.supplier_code if direction == "suppliers" else link.buyer_code), float(link.weight), link.kind,
         link.evidence.split("；")[0])
        for link in answer.links
    )


def _digits(code: str) -> str | None:
    """The GB/T code a segment names, without a 门类 letter (``C3531`` → ``3531``); None for a bare 门类."""
    prefixes = code_prefixes(code.strip())
    return prefixes[-1] if prefixes else None


def _related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _order_key(node: Node) -> tuple[int, int, str]:
    return (_STAGE_RANK.get(str(node.props.get("stage")), 9), int(node.props.get("order") or 0), node.id)


def _output(index: MatchIndex, i: int) -> float | None:
    v = float(index.output[i])
    return None if math.isnan(v) else v


def _label(index: MatchIndex, i: int) -> str:
    return index.short_names[i] or index.names[i]


_LOCAL_SOURCES = 20
"""Local trade partners of a gap's pool whose view of the pool counts, besides the leaders (bounds the work)."""


class _Chain:
    """The working state of one chain's map: positions of its firms and what they trade."""

    def __init__(self, index: MatchIndex, zone_pos: int | None, leaders: list[int]) -> None:
        self.index = index
        self.zone_pos = zone_pos
        self.leaders = leaders
        self.sources: list[int] = list(leaders)
        """Whose suppliers and buyers the recruitment targets are ranked as: the leaders, else the largest firms."""

    def local(self, firms: NDArray[np.int32]) -> NDArray[np.int32]:
        if self.zone_pos is None:
            return firms
        out: NDArray[np.int32] = firms[self.index.zone[firms] == self.zone_pos]
        return out

    def outside(self, firms: NDArray[np.int32]) -> NDArray[np.int32]:
        if self.zone_pos is None:
            return firms
        out: NDArray[np.int32] = firms[self.index.zone[firms] != self.zone_pos]
        return out


def _strength(index: MatchIndex, firms: NDArray[np.int32], total: float,
              share: dict[int, float] | None = None) -> Strength:
    """Firms, 规上 firms and output of ``firms``; a firm counted in several categories of the map adds
    ``share[firm]`` of its output to each, so that the categories' output shares add up to one."""
    out = np.nan_to_num(index.output[firms].astype(np.float64), nan=0.0) if len(firms) else np.zeros(0)
    if share:
        out = out * np.array([share.get(int(i), 1.0) for i in firms], dtype=np.float64)
    value = float(out.sum())
    return Strength(
        firms=len(firms), above_scale=int(index.above_scale[firms].sum()) if len(firms) else 0,
        output=round(value, 2), output_share=round(value / total, 4) if total > 0 else None,
    )


def _map_firm(index: MatchIndex, i: int, leaders: set[int], membership: str) -> MapFirm:
    g = int(index.grid[i])
    c = int(index.committee[i])
    return MapFirm(
        id=index.ids[i], name=index.names[i], short_name=index.short_names[i], leader=i in leaders,
        scale="above" if index.above_scale[i] else "below",
        output=_output(index, i), has_party=bool(index.has_party[i]),
        party=index.party_names[c] if c >= 0 else None,
        grid_id=index.grid_ids[g] if g >= 0 else None, grid=index.grid_names[g] if g >= 0 else None,
        membership=membership, industries=index.codes[i],
    )


def _sorted(index: MatchIndex, firms: NDArray[np.int32], leaders: set[int]) -> list[int]:
    """Leaders first, then by output (largest first, unknown last), then by id (index positions follow ids)."""
    if not len(firms):
        return []
    lead = np.isin(firms, np.fromiter(leaders, dtype=np.int32, count=len(leaders)))
    out = np.nan_to_num(index.output[firms].astype(np.float64), nan=-1.0)
    return [int(i) for i in firms[np.lexsort((firms, -out, ~lead))]]


def _segment_positions(index: MatchIndex) -> dict[tuple[int, int, str], int]:
    """Index segment position by (chain position, order, name), the key the index keeps per segment."""
    keys: dict[tuple[int, int, str], int] = {}
    dupes: set[tuple[int, int, str]] = set()
    for s, (c, order, _, name) in enumerate(index.segment_info):
        key = (c, order, name)
        if key in keys:
            dupes.add(key)
        keys[key] = s
    for key in dupes:
        del keys[key]
    return keys


# -- one chain ---------------------------------------------------------------------------------


def chain_map(store: Store, index: MatchIndex, chain_id: str, *, thresholds: Thresholds | None = None) -> ChainMap:
    """Compute the investment map of one chain: segments, local firms, strength, gaps, targets, needs, party.

    Parameters
    ----------
    store : Store
        The graph (read through the store interface only: chain, segments, zone, leaders, party committees).
    index : MatchIndex
        Every firm's industries, zone, grid, output, trades and needs (:func:`chainmatch.matching.index.build_index`).
    chain_id : str
        The chain's id.
    thresholds : Thresholds, optional
        When a category is a gap and how many firms to name per gap; the defaults when omitted.

    Returns
    -------
    ChainMap
        Segments upstream → downstream; ``notes`` says what is missing from the data.

    Raises
    ------
    NotFound
        If no chain has that id (with the closest ids).

    Examples
    --------
    >>> from chainmatch.matching.index import build_index
    >>> from chainmatch.loader import load_folder
    >>> from chainmatch.stores.sqlite import SQLiteStore
    >>> import tempfile, pathlib
    >>> files = {
    ...     "zones.csv": "id,name\\nZ,甲开发区",
    ...     "chains.csv": "id,name,zone_id,leader_ids\\nC,煤焦,Z,E1",
    ...     "segments.csv": "id,name,stage,order,industry_codes,chain_id\\n"
    ...                     "S1,煤炭,upstream,1,0610,C\\nS2,炼焦,midstream,2,2521,C",
    ...     "enterprises.csv": "id,name,output_value,zone_id,industry_codes,segment_ids\\n"
    ...                        "E1,焦化厂,900,Z,2521,S2\\nX1,外地煤矿,50,,0610,",
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, text in files.items():
    ...         _ = (pathlib.Path(tmp) / name).write_text(text + "\\n", encoding="utf-8")
    ...     store = SQLiteStore.open(pathlib.Path(tmp) / "x.db")
    ...     _ = load_folder(store, pathlib.Path(tmp))
    ...     m = chain_map(store, build_index(store, classify_many=lambda ts: [None] * len(ts)), "C")
    ...     store.close()
    >>> [s.name for s in m.segments], m.leaders[0].name
    (['煤炭', '炼焦'], '焦化厂')
    >>> gap = m.gaps[0]
    >>> gap.category, gap.kind, gap.targets[0].name, [r.kind for r in gap.targets[0].reasons]
    ('煤炭', 'missing', '外地煤矿', ['supplies_leader', 'fills_segment'])
    """
    th = thresholds or Thresholds()
    chain = store.get("Chain", [chain_id]).get(chain_id)
    if chain is None:
        raise NotFound(f"No chain has the id '{chain_id}'.",
                       candidates=[c.id for c in store.find("Chain", text=chain_id[:2] or None, limit=5)])
    zones = store.edges("Chain", [chain_id], "IN_ZONE")[chain_id]
    zone = zones[0].node if zones else None
    return _chain_map(store, index, chain, zone, th, _segment_positions(index))


def _chain_map(store: Store, index: MatchIndex, chain: Node, zone: Node | None, th: Thresholds,
               seg_pos: dict[tuple[int, int, str], int]) -> ChainMap:
    notes: list[str] = []
    cid = chain.id
    zone_pos = index.zone_ids.index(zone.id) if zone is not None and zone.id in index.zone_ids else None
    if zone is None:
        notes.append("该链没有关联开发区 (no IN_ZONE): 无法区分区内与区外企业, 只列出链上登记的企业; "
                     "在 chains.csv 的 zone_id 列填写开发区编号。")
    elif zone_pos is None:
        notes.append(f"开发区 {zone.id} 不在匹配索引中 (index built before the zone was loaded): 请重建索引。")
        zone_pos = -2  # matches no firm
    leader_nodes = [e.node for e in store.edges("Chain", [cid], "LEADS", "in")[cid]]
    leaders = [index.pos[n.id] for n in leader_nodes if n.id in index.pos]
    leader_set = set(leaders)
    if not leader_nodes:
        notes.append("该链没有链主企业 (no LEADS): 招商理由中不含“供应链主”; 在 chains.csv 的 leader_ids 列填写链主。")
    work = _Chain(index, zone_pos, leaders)

    # Segments: the top level (no parent in this chain) as columns, their sub-segments as categories.
    seg_nodes = sorted((e.node for e in store.edges("Chain", [cid], "SEGMENT_OF", "in", limit=100_000)[cid]),
                       key=_order_key)
    seg_ids = [s.id for s in seg_nodes]
    parents = store.edges("Segment", seg_ids, "SUBSEGMENT_OF") if seg_ids else {}
    in_chain = set(seg_ids)
    parent_of = {sid: es[0].node.id for sid, es in parents.items() if es and es[0].node.id in in_chain}
    children: dict[str, list[Node]] = defaultdict(list)
    for s in seg_nodes:
        if s.id in parent_of:
            children[parent_of[s.id]].append(s)
    # A sub-sub-segment is shown in its top-level column.
    def top_of(sid: str) -> str:
        hops = 0
        while sid in parent_of and hops < 8:
            sid, hops = parent_of[sid], hops + 1
        return sid

    tops = [s for s in seg_nodes if s.id not in parent_of]
    leaves_of: dict[str, list[Node]] = {t.id: [] for t in tops}
    for s in seg_nodes:
        if s.id in parent_of and s.id not in children:
            leaves_of[top_of(s.id)].append(s)
    if not seg_nodes:
        notes.append("该链没有环节 (no SEGMENT_OF): 在 segments.csv 中为它添加上中下游环节及其行业代码。")

    cpos = index.chain_ids.index(cid) if cid in index.chain_ids else -1

    def declared(s: Node) -> NDArray[np.int32]:
        key = (cpos, int(s.props.get("order") or 0), str(s.props.get("name", s.id)))
        if key in seg_pos:
            return work.local(index.segment_firms[seg_pos[key]])
        members = store.edges("Segment", [s.id], "IN_SEGMENT", "in", limit=10_000_000)[s.id]
        return work.local(np.array([index.pos[e.node.id] for e in members if e.node.id in index.pos],
                                   dtype=np.int32))

    def codes_of(s: Node) -> list[str]:
        out: list[str] = []
        for c in s.props.get("industry_codes") or []:
            d = _digits(str(c))
            if d and d not in out:
                out.append(d)
        return out

    unknown_codes: set[str] = set()

    def industries_of(codes: Sequence[str]) -> tuple[Industry, ...]:
        out = []
        for c in codes:
            name = _industry_name(c)
            if name is None:
                unknown_codes.add(c)
            out.append(Industry(c, name or "（不在 GB/T 4754-2017 中）"))
        return tuple(out)

    declared_by_seg = {s.id: declared(s) for s in seg_nodes}
    all_declared = np.unique(np.concatenate([*declared_by_seg.values(), _EMPTY])).astype(np.int32)
    declared_set = set(all_declared.tolist())

    # Each leaf's firms: declared in it (or below it), plus the zone's other firms under its industries.
    leaf_firms: dict[str, list[tuple[int, str]]] = {}
    no_codes: list[str] = []
    leaf_codes: dict[str, list[str]] = {}
    for t in tops:
        for leaf in leaves_of[t.id] or [t]:
            codes = codes_of(leaf)
            leaf_codes[leaf.id] = codes
            if not codes:
                no_codes.append(str(leaf.props.get("name", leaf.id)))
            firms = [(i, "declared") for i in declared_by_seg[leaf.id].tolist()]
            if th.match_by_industry and zone_pos is not None and codes:
                found = [work.local(index.firms_under(c)) for c in codes]
                extra = np.unique(np.concatenate([*found, _EMPTY])).astype(np.int32)
                extra = extra[~np.isin(extra, all_declared)]
                firms += [(i, "industry") for i in extra.tolist()]
            leaf_firms[leaf.id] = firms
    # Firms declared only on a top segment that has categories stay in that column, in a category of their own.
    direct: dict[str, NDArray[np.int32]] = {}
    for t in tops:
        if leaves_of[t.id]:
            below = set().union(*({i for i, _ in leaf_firms[lf.id]} for lf in leaves_of[t.id]))
            rest = np.array([i for i in declared_by_seg[t.id] if int(i) not in below], dtype=np.int32)
            if len(rest):
                direct[t.id] = rest
    on_map = sorted({i for fs in leaf_firms.values() for i, _ in fs} | {int(i) for r in direct.values() for i in r})
    on_map_arr = np.array(on_map, dtype=np.int32)
    out_known = index.output[on_map_arr] if len(on_map_arr) else np.zeros(0, dtype=np.float32)
    total = float(np.nansum(out_known.astype(np.float64))) if len(out_known) else 0.0
    places: dict[int, int] = defaultdict(int)
    for fs in leaf_firms.values():
        for i, _ in fs:
            places[i] += 1
    for r in direct.values():
        for i in r.tolist():
            places[i] += 1
    share = {i: 1.0 / k for i, k in places.items() if k > 1}
    for i in leaders:
        if i not in set(on_map):
            notes.append(f"链主 {index.names[i]} 不在本链任何环节中 (not in a segment of the chain nor under its "
                         "industries): 在 enterprises.csv 的 segment_ids 列登记它所在的环节。")

    if seg_nodes and len(no_codes) == len(leaf_firms):
        notes.append("该链的环节都没有行业代码 (no industry_codes): 无法按行业匹配区内企业, 也无法找出区外招商对象; "
                     "在 segments.csv 的 industry_codes 列填写 GB/T 4754-2017 代码。")
    elif no_codes:
        notes.append(f"环节 {'、'.join(no_codes)} 没有行业代码 (no industry_codes): 这些环节无法按行业匹配企业"
                     "或找出招商对象。")

    if not work.sources and len(on_map_arr):
        work.sources = on_map_arr[np.argsort(-np.nan_to_num(index.output[on_map_arr], nan=-1.0), kind="stable")][:3].tolist()
    # Trades with the chain's local firms, gathered once for every gap's pool.
    chain_firms = set(on_map)
    sup_local: dict[int, list[int]] = defaultdict(list)  # outside firm → local firms it supplies
    buy_local: dict[int, list[int]] = defaultdict(list)  # outside firm → local firms it buys from
    for f in on_map:
        for b in index.trade_out[f].tolist():
            if b not in chain_firms:
                buy_local[b].append(f)
        for s in index.trade_in[f].tolist():
            if s not in chain_firms:
                sup_local[s].append(f)
    traders = np.array(sorted(set(sup_local) | set(buy_local)), dtype=np.int32)
    traders = work.outside(traders) if len(traders) else traders

    segments: list[MapSegment] = []
    gaps: list[Gap] = []
    empty_pools: list[str] = []
    for t in tops:
        cats: list[Category] = []
        for leaf in leaves_of[t.id] or [t]:
            firms = leaf_firms[leaf.id]
            members = np.array([i for i, _ in firms], dtype=np.int32)
            how = dict(firms)
            strength = _strength(index, members, total, share)
            kind = None
            if strength.firms == 0:
                kind = "missing"
            elif strength.firms < th.min_firms or (
                    strength.output_share is not None and strength.output_share < th.min_output_share):
                kind = "weak"
            industries = industries_of(leaf_codes[leaf.id])
            cats.append(Category(
                id=leaf.id, name=str(leaf.props.get("name", leaf.id)), stage=str(leaf.props.get("stage", "")),
                order=int(leaf.props.get("order") or 0), industries=industries,
                products=tuple(str(p) for p in leaf.props.get("products") or []),
                firms=tuple(_map_firm(index, i, leader_set, how[i]) for i in _sorted(index, members, leader_set)),
                strength=strength, gap=kind,
            ))
            if kind is not None:
                gap = _gap(index, work, t, cats[-1], leaf_codes[leaf.id], th, traders, sup_local, buy_local,
                           leader_nodes)
                gaps.append(gap)
                if not gap.targets and leaf_codes[leaf.id]:
                    empty_pools.append(cats[-1].name)
        if t.id in direct:
            rest = direct[t.id]
            cats.append(Category(
                id=t.id, name=f"{t.props.get('name', t.id)}（未细分）", stage=str(t.props.get("stage", "")),
                order=int(t.props.get("order") or 0), industries=(), products=(),
                firms=tuple(_map_firm(index, i, leader_set, "declared") for i in _sorted(index, rest, leader_set)),
                strength=_strength(index, rest, total, share), gap=None,
            ))
        in_column: dict[int, int] = defaultdict(int)
        for lf in leaves_of[t.id] or [t]:
            for i, _ in leaf_firms[lf.id]:
                in_column[i] += 1
        for i in direct.get(t.id, _EMPTY).tolist():
            in_column[i] += 1
        col_firms = np.array(sorted(in_column), dtype=np.int32)
        segments.append(MapSegment(
            id=t.id, name=str(t.props.get("name", t.id)), stage=str(t.props.get("stage", "")),
            order=int(t.props.get("order") or 0), industries=industries_of(codes_of(t)), categories=tuple(cats),
            strength=_strength(index, col_firms, total, {i: k / places[i] for i, k in in_column.items()}),
        ))
    if empty_pools:
        notes.append(f"缺口 {'、'.join(empty_pools)} 没有可招商的区外企业 (empty recruitment pool): 库中没有区外企业"
                     "属于这些行业; 导入区外企业名录后再生成。")
    if unknown_codes:
        notes.append(f"行业代码 {'、'.join(sorted(unknown_codes))} 不在 GB/T 4754-2017 中: 请更正 segments.csv。")

    links = tuple(Link(index.ids[s], index.ids[b]) for s in on_map for b in index.trade_out[s].tolist()
                  if b in chain_firms)
    seg_names: dict[int, list[str]] = defaultdict(list)
    for seg in segments:
        for cat in seg.categories:
            for mf in cat.firms:
                seg_names[index.pos[mf.id]].append(cat.name)
    needs = tuple(
        MapNeed(n.id, n.title, n.kind, _NEED_KINDS.get(n.kind, n.kind), n.product, index.ids[i], index.names[i],
                tuple(dict.fromkeys(seg_names[i])))
        for i in on_map for n in index.needs.get(i, [])
    )
    party = _party(store, index, cid, on_map_arr, chain_firms)
    if not party.committees:
        notes.append("没有综合党委或行业党委服务该链 (no comprehensive or industry committee SERVES_CHAIN): "
                     "党建引领的牵线渠道缺失。")
    return ChainMap(
        chain_id=cid, chain=str(chain.props.get("name", cid)), template=chain.props.get("template"),
        task_force=chain.props.get("task_force"), zone_id=zone.id if zone else None,
        zone=str(zone.props.get("name", zone.id)) if zone else None,
        leaders=tuple(_map_firm(index, i, leader_set, "declared" if i in declared_set else "industry")
                      for i in leaders),
        segments=tuple(segments), links=links, gaps=tuple(gaps), needs=needs, party=party,
        strength=_strength(index, on_map_arr, total), thresholds=th, notes=tuple(notes),
    )


def _gap(index: MatchIndex, work: _Chain, top: Node, cat: Category, codes: list[str], th: Thresholds,
         traders: NDArray[np.int32], sup_local: dict[int, list[int]], buy_local: dict[int, list[int]],
         leader_nodes: list[Node]) -> Gap:
    def gap(targets: tuple[Target, ...], pool: int, note: str | None) -> Gap:
        return Gap(segment_id=top.id, segment=str(top.props.get("name", top.id)), category_id=cat.id,
                   category=cat.name, stage=cat.stage, kind=cat.gap or "", firms=cat.strength.firms,
                   output_share=cat.strength.output_share, industries=cat.industries, targets=targets, pool=pool,
                   note=note)

    if not codes:
        return gap((), 0, "该环节没有行业代码, 无法找出招商对象 (add industry_codes to the segment)")
    # The pool: the largest outside firms under each gap industry, and every outside firm trading with the
    # chain's firms whose industries fall under the gap.
    found = [work.outside(index.firms_under(c))[: th.pool_per_code] for c in codes]
    pool = set(np.concatenate([*found, _EMPTY]).tolist())
    for f in traders.tolist():
        if any(own.startswith(c) for own in index.codes[f] for c in codes):
            pool.add(f)
    if not pool:
        names = "、".join(f"{i.code} {i.name}" for i in cat.industries)
        return gap((), 0, f"库中没有区外企业属于 {names}: 无招商对象; 导入区外企业名录后再生成")

    # Supply knowledge between the gap's industries and the leaders' (same for every firm of the pool).
    leader_pos = [index.pos[n.id] for n in leader_nodes if n.id in index.pos]
    to_leader: dict[str, tuple[float, str]] = {}  # gap code → (weight, reason text)
    from_leader: dict[str, tuple[float, str]] = {}
    for li in leader_pos:
        for lc in index.codes[li]:
            for other, weight, kind, evidence in _knowledge(lc, "suppliers"):
                for c in codes:
                    if _related(c, other) and weight > to_leader.get(c, (0.0, ""))[0]:
                        to_leader[c] = (weight, (f"{c} {_industry_name(c) or c} 是链主{_label(index, li)}所在行业 "
                                                f"{lc} {_industry_name(lc) or lc} 的上游供给行业"
                                                f"（{_KIND_TITLES.get(kind, kind)}：{evidence}）"))
            for other, weight, kind, evidence in _knowledge(lc, "buyers"):
                for c in codes:
                    if _related(c, other) and weight > from_leader.get(c, (0.0, ""))[0]:
                        from_leader[c] = (weight, (f"链主{_label(index, li)}所在行业 {lc} {_industry_name(lc) or lc} "
                                                  f"供给 {c} {_industry_name(c) or c}"
                                                  f"（{_KIND_TITLES.get(kind, kind)}：{evidence}）"))
    leader_set = set(leader_pos)
    scored: list[tuple[float, int, list[Reason], list[str]]] = []
    for f in pool:
        reasons: list[Reason] = []
        own = [c for c in index.codes[f] if any(c.startswith(g) for g in codes)]
        matched = [g for g in codes if any(c.startswith(g) for c in index.codes[f])]
        supplied = sup_local.get(f, [])
        bought = buy_local.get(f, [])
        to_l = [b for b in supplied if b in leader_set]
        if to_l:
            reasons.append(Reason("supplies_leader", f"已向链主{'、'.join(_label(index, b) for b in to_l)}供货",
                                  "已知交易"))
        else:
            best = max((to_leader[g] for g in matched if g in to_leader), default=None)
            if best is not None:
                reasons.append(Reason("supplies_leader", best[1], "产业链知识"))
        if bought:
            names = "、".join(_label(index, b) for b in bought[:3])
            reasons.append(Reason("buys_from_local", f"已从本区链上企业{names}{'等' if len(bought) > 3 else ''}"
                                                     f" {len(bought)} 家采购", "已知交易"))
        else:
            best = max((from_leader[g] for g in matched if g in from_leader), default=None)
            if best is not None:
                reasons.append(Reason("buys_from_local", best[1], "产业链知识"))
        others = [b for b in supplied if b not in leader_set]
        if others:
            names = "、".join(_label(index, b) for b in others[:3])
            reasons.append(Reason("supplies_local", f"已向本区链上企业{names}{'等' if len(others) > 3 else ''}"
                                                    f" {len(others)} 家供货", "已知交易"))
        if matched:
            reasons.append(Reason("fills_segment", f"属于缺口环节「{cat.name}」的行业 "
                                                   + "、".join(f"{c} {_industry_name(c) or c}" for c in own[:3]),
                                  "企业行业代码"))
        else:
            continue  # trades with the chain but does not fill this gap
        scored.append((0.0, f, reasons, own))
    # Ranked by the ranking's one scorer: each pool firm as a supplier or a buyer of the chain's leaders (or, with none, its largest firms) and of the local firms it already trades with, the best.
    if scored:
        firms = np.array(sorted(f for _, f, _, _ in scored), dtype=np.int32)
        from chainmatch.matching.ranking import score_firms

        strongest = np.full(len(firms), -np.inf)
        directions = ("suppliers", "buyers")  # logistics, energy and services serve a chain from either side
        partners = sorted({b for f in firms.tolist() for b in (*sup_local.get(f, ()), *buy_local.get(f, ()))})
        for source in dict.fromkeys([*work.sources, *partners[:_LOCAL_SOURCES]]):
            for direction in directions:
                strongest = np.maximum(strongest, score_firms(index, source, direction, firms))
        by_firm = dict(zip(firms.tolist(), np.where(np.isfinite(strongest), strongest, 0.0).tolist()))
        scored = [(by_firm[f], f, reasons, own) for _, f, reasons, own in scored]
    scored.sort(key=lambda x: (-x[0], -(np.nan_to_num(index.output[x[1]], nan=-1.0)), index.ids[x[1]]))
    targets = tuple(
        Target(rank=r, id=index.ids[f], name=index.names[f], short_name=index.short_names[f],
               zone=index.zone_names[index.zone[f]] if index.zone[f] >= 0 else "区外",
               scale="above" if index.above_scale[f] else "below", output=_output(index, f),
               industries=tuple(own), score=round(score, 4), reasons=tuple(reasons))
        for r, (score, f, reasons, own) in enumerate(scored[: th.targets_per_gap], 1)
    )
    note = None
    if not targets:
        note = ("招商名额设为 0 (targets_per_gap=0)" if th.targets_per_gap == 0
                else "区外企业均不属于该环节行业: 无招商对象")
    return gap(targets, len(pool), note)


def _party(store: Store, index: MatchIndex, chain_id: str, firms: NDArray[np.int32], on_map: set[int]) -> PartyCoverage:
    with_party = int(index.has_party[firms].sum()) if len(firms) else 0
    orgs = [e.node for e in store.edges("Chain", [chain_id], "SERVES_CHAIN", "in", limit=10_000)[chain_id]]
    committees = [o for o in orgs if o.props.get("kind") in ("comprehensive", "industry")]
    serving = tuple(str(o.props.get("name", o.id)) for o in orgs if o not in committees)
    under = store.edges("PartyOrganization", [c.id for c in committees], "UNDER", "in", limit=100_000) \
        if committees else {}
    member_ids = [e.node.id for es in under.values() for e in es]
    sits = store.edges("PartyOrganization", member_ids, "SITS_IN", limit=1) if member_ids else {}
    out = []
    for c in committees:
        members = []
        for e in under.get(c.id, []):
            firm = sits.get(e.node.id, [])
            fid = firm[0].node.id if firm else None
            members.append(CommitteeMember(
                e.node.id, str(e.node.props.get("name", e.node.id)), fid,
                str(firm[0].node.props.get("name", fid)) if firm else None,
                fid is not None and index.pos.get(fid, -1) in on_map,
            ))
        out.append(Committee(c.id, str(c.props.get("name", c.id)), str(c.props.get("kind", "")), tuple(members)))
    return PartyCoverage(
        firms=len(firms), with_party=with_party,
        rate=round(with_party / len(firms), 4) if len(firms) else None, committees=tuple(out), serving=serving,
    )


# -- a zone, or every zone ---------------------------------------------------------------------


def resolve_zones(store: Store, zone_id: str) -> list[Node]:
    """The zone with that id, or every zone for ``"all"``; cheap, so callers can check before building an index.

    Raises
    ------
    NotFound
        If no zone has that id (with the zones' ids), or the store has no zone at all.
    """
    if zone_id == "all":
        zones = list(store.scan("Zone"))
        if not zones:
            raise NotFound("The store has no zone: load a data folder first (chainmatch load DIR).")
        return zones
    found = store.get("Zone", [zone_id]).get(zone_id)
    if found is None:
        raise NotFound(f"No zone has the id '{zone_id}'. Use a zone id or 'all'.",
                       candidates=[z.id for z in store.find("Zone", limit=20)])
    return [found]


def zone_maps(store: Store, index: MatchIndex, zone_id: str, *, thresholds: Thresholds | None = None,
              progress: Progress | None = None) -> MapsResult:
    """Compute the maps of every chain of a zone, or of every zone with ``zone_id="all"``.

    ``progress`` is called after each chain with (done, total, chain name). A zone without chains gets
    a note instead of maps.

    Raises
    ------
    NotFound
        If ``zone_id`` is neither ``"all"`` nor a zone's id (with the closest ids).
    """
    th = thresholds or Thresholds()
    zones = resolve_zones(store, zone_id)
    chains = list(store.scan("Chain"))
    chain_zone = store.edges("Chain", [c.id for c in chains], "IN_ZONE") if chains else {}
    by_zone: dict[str, list[Node]] = defaultdict(list)
    for c in chains:
        for e in chain_zone.get(c.id, []):
            by_zone[e.node.id].append(c)
    total = sum(len(by_zone[z.id]) for z in zones)
    seg_pos = _segment_positions(index)
    done = 0
    out = []
    for z in zones:
        maps = []
        for c in sorted(by_zone[z.id], key=lambda n: n.id):
            maps.append(_chain_map(store, index, c, z, th, seg_pos))
            done += 1
            if progress is not None:
                progress(done, total, str(c.props.get("name", c.id)))
        notes = () if maps else (
            "本区没有产业链 (no chains): 在 chains.csv 中添加 zone_id 为该区的产业链及其环节后再生成图谱。",)
        out.append(ZoneMaps(z.id, str(z.props.get("name", z.id)), tuple(maps), notes))
    return MapsResult(tuple(out), th)
