"""The match index: every firm's attributes and links, read once from a store into compact in-memory tables.

Recommendations must answer in milliseconds for a million firms, which no per-candidate store
query allows. The index holds what ranking needs, built in one pass over the store (a few scans,
no per-firm query): industries (from GB/T codes and from classifying product names), products,
zone, grid, scale, chain segments and leadership, party committees, known trades and open needs.
Build it once (at start-up or in a batch job) and pass it to :func:`chainmatch.matching.ranking.recommend`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from chainmatch.knowledge.text import TextMeasure
from chainmatch.stores.base import Store, Touch

if TYPE_CHECKING:
    from chainmatch.knowledge.product_links import ProductLinks

__all__ = [
    "CLASSIFY_MIN_CONFIDENCE",
    "FirmNeed",
    "IndexContext",
    "MatchIndex",
    "build_index",
    "code_prefixes",
    "firms_to_update",
    "update_index",
]

CLASSIFY_MIN_CONFIDENCE = 0.35
"""Product names whose best industry is less certain than this add no industry to their firm."""

ClassifyMany = Callable[[list[str]], "list[tuple[str, float] | None]"]


def code_prefixes(code: str) -> list[str]:
    """The GB/T codes a code sits under, itself included (大类 and deeper; 门类 letters are left out).

    >>> code_prefixes("3531")
    ['35', '353', '3531']
    >>> code_prefixes("C")
    []
    >>> code_prefixes("ickg:电商行业")
    ['ickg:电商行业']
    """
    if ":" in code:
        return [code]  # a label outside GB/T: only itself
    code = code.lstrip("ABCDEFGHIJKLMNOPQRST") if len(code) > 1 else ("" if code.isalpha() else code)
    return [code[:n] for n in range(2, len(code) + 1)]


@dataclass(frozen=True)
class FirmNeed:
    """An open need a firm posted, reduced to what matching uses."""

    id: str
    title: str
    kind: str
    product: str
    codes: tuple[str, ...]


@dataclass
class MatchIndex:
    """In-memory tables over all firms; positions (0..n-1) stand for firms in every array."""

    ids: list[str]
    names: list[str]
    short_names: list[str]
    zone: NDArray[np.int32]
    """Zone position per firm, -1 for firms outside every zone."""
    zone_ids: list[str]
    zone_names: list[str]
    grid: NDArray[np.int32]
    grid_ids: list[str]
    grid_names: list[str]
    output: NDArray[np.float32]
    """Annual output in 10k yuan (万元), NaN when unknown."""
    above_scale: NDArray[np.bool_]
    leader: NDArray[np.bool_]
    committee: NDArray[np.int32]
    """The comprehensive or industry party committee a firm's party organization sits under (-1 none)."""
    has_party: NDArray[np.bool_]
    party_names: list[str]
    codes: list[tuple[str, ...]]
    """Each firm's GB/T codes: registered ones first, then those of its products."""
    code_basis: list[dict[str, str]]
    """For each firm and code, where the code came from (a product name, or '登记行业')."""
    products: list[tuple[str, ...]]
    segments: list[tuple[int, ...]]
    segment_info: list[tuple[int, int, str, str]]
    """Per segment: (chain position, order, stage, name)."""
    chain_ids: list[str]
    chain_names: list[str]
    segment_supplies: dict[int, tuple[int, ...]]
    """Segment → the segments of the same chain it feeds (next order)."""
    segment_firms: list[NDArray[np.int32]]
    by_prefix: dict[str, NDArray[np.int32]]
    """GB/T code prefix → firms under it, largest output first."""
    trade_out: list[NDArray[np.int32]]
    """Known buyers of each firm (SUPPLIES edges)."""
    trade_in: list[NDArray[np.int32]]
    needs: dict[int, list[FirmNeed]]
    supply_needs_by_prefix: dict[str, NDArray[np.int32]]
    """Code prefix → firms with an open 'supply' need (找供应) for it."""
    grid_chiefs: dict[int, list[str]]
    """Grid position → names of its grid chiefs (the grid's own, else its parents')."""
    grid_children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Grid id → the ids of the grids directly below it (PART_OF)."""
    scales: list[str | None] = field(default_factory=list)
    """Each firm's ``scale`` as loaded ('above' 规上, 'below' 规下, None unknown)."""
    pos: dict[str, int] = field(default_factory=dict)
    extra_links: dict[str, dict[str, list[tuple[str, float, str, str]]]] = field(default_factory=dict)
    """Industry links beyond the shipped knowledge: direction → code → (other code, weight, kind, evidence).
    Codes here may be any label (e.g. a dataset's own industry names), not only GB/T codes."""
    text_measure: TextMeasure | None = field(default=None, repr=False, compare=False)
    """The product-text vectors (:mod:`chainmatch.knowledge.text`); built from ``products`` on first use when not given."""
    context: IndexContext | None = field(default=None, repr=False, compare=False)
    """What the build read besides the firms' rows, for :func:`update_index` (None: the index cannot be updated)."""
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Answers derived from the tables, kept by the functions that compute them (they live as long as the index)."""

    def __post_init__(self) -> None:
        if not self.pos:
            self.pos = {id_: i for i, id_ in enumerate(self.ids)}
        self.buyer_activity = _activity(self.trade_in)
        """Per firm: log-scaled count of its known suppliers (how actively it buys), in [0, 1]."""
        self.supplier_activity = _activity(self.trade_out)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def text(self) -> TextMeasure:
        """The one text measure over the firms' products (fitted once, when first needed)."""
        if self.text_measure is None:
            self.text_measure = TextMeasure.fit(self.products)
        return self.text_measure

    @property
    def product_links(self) -> ProductLinks:
        """The shipped product chains laid over this index's products (built once, when first needed)."""
        found = self.memo.get("product_links")
        if found is None:
            from chainmatch.knowledge.product_links import ProductLinks

            found = self.memo.setdefault("product_links", ProductLinks.build(self.text))
        return found  # type: ignore[no-any-return]

    def firms_under(self, code: str) -> NDArray[np.int32]:
        return self.by_prefix.get(code, _EMPTY)

    def grid_firms(self, grid: int) -> NDArray[np.int32]:
        """The firms registered in grid position ``grid`` (not the grids below it), in id order."""
        return self._grid_members[grid] if 0 <= grid < len(self._grid_members) else _EMPTY

    @cached_property
    def _grid_members(self) -> list[NDArray[np.int32]]:
        order = np.argsort(self.grid, kind="stable").astype(np.int32)  # firms by grid, id order within
        bounds = np.searchsorted(self.grid[order], np.arange(len(self.grid_ids) + 1))
        return [order[bounds[g]:bounds[g + 1]] for g in range(len(self.grid_ids))]

    def grids_below(self, grid_ids: Iterable[str], max_depth: int = 5) -> frozenset[str]:
        """The grids and every grid below them, like :func:`chainmatch.access.auth.expand_grids` but from memory
        (and remembered: a grid chief asks for the same grids on every request)."""
        key = (frozenset(grid_ids), max_depth)
        known: dict[tuple[frozenset[str], int], frozenset[str]] = self.memo.setdefault("grids_below", {})
        found = known.get(key)
        if found is None:
            if len(known) >= 10_000:
                known.clear()
            found = known[key] = self._grids_below(key[0], max_depth)
        return found

    def _grids_below(self, grid_ids: frozenset[str], max_depth: int) -> frozenset[str]:
        seen = set(grid_ids)
        frontier = list(seen)
        for _ in range(max_depth):
            frontier = [c for g in frontier for c in self.grid_children.get(g, ()) if c not in seen]
            if not frontier:
                break
            seen.update(frontier)
        return frozenset(seen)

    def chain_segments(self, chain: int) -> tuple[int, ...]:
        """The segment positions of chain position ``chain``."""
        return self._chain_segments.get(chain, ())

    @cached_property
    def _chain_segments(self) -> dict[int, tuple[int, ...]]:
        by_chain: dict[int, list[int]] = defaultdict(list)
        for s, info in enumerate(self.segment_info):
            if info[0] >= 0:
                by_chain[info[0]].append(s)
        return {c: tuple(segs) for c, segs in by_chain.items()}

    @cached_property
    def diffuse(self) -> NDArray[np.float64]:
        """Per firm, how many different 大类 its industries span, in [0, 1]: 0 for one, 1 for eleven or more
        (a conglomerate classified by its side lines matches everything a little)."""
        return _diffuse(self.codes)

    @cached_property
    def id_rank(self) -> NDArray[np.int64]:
        """Each firm's place in the order of firm ids (positions already follow it when the store scans by id)."""
        if all(a < b for a, b in zip(self.ids, self.ids[1:])):
            return np.arange(self.n, dtype=np.int64)
        rank = np.empty(self.n, dtype=np.int64)
        rank[sorted(range(self.n), key=self.ids.__getitem__)] = np.arange(self.n)
        return rank

    def without_trades(self, pairs: Iterable[tuple[int, int]]) -> MatchIndex:
        """A copy in which the given supplier → buyer trades are unknown (for evaluation)."""
        hidden: dict[int, set[int]] = defaultdict(set)
        hidden_in: dict[int, set[int]] = defaultdict(set)
        for s, b in pairs:
            hidden[s].add(b)
            hidden_in[b].add(s)
        out = list(self.trade_out)
        inn = list(self.trade_in)
        for s, bs in hidden.items():
            out[s] = np.array([b for b in out[s] if b not in bs], dtype=np.int32)
        for b, ss in hidden_in.items():
            inn[b] = np.array([s for s in inn[b] if s not in ss], dtype=np.int32)
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return MatchIndex(**{**values, "trade_out": out, "trade_in": inn, "memo": {}})


_EMPTY: NDArray[np.int32] = np.zeros(0, dtype=np.int32)


def _activity(lists: list[NDArray[np.int32]]) -> NDArray[np.float64]:
    counts = np.log1p(np.array([len(x) for x in lists], dtype=np.float64))
    top = counts.max() if len(counts) else 0.0
    return counts / top if top > 0 else counts


def _default_classify_many() -> ClassifyMany:
    from chainmatch.knowledge.classify import classify_many

    def many(texts: list[str]) -> list[tuple[str, float] | None]:
        return [(r.best.code, r.best.confidence) if r.best else None for r in classify_many(texts, top=1)]

    return many


FIRM_RELS = frozenset({"IN_ZONE", "IN_GRID", "IN_INDUSTRY", "PRODUCES", "IN_SEGMENT", "LEADS", "SITS_IN", "SUPPLIES",
                       "POSTED"})
"""Relationships of a firm that the index reads: a write touching a firm through one of them changes its row."""
CONTEXT_LABELS = frozenset({"Zone", "Grid", "Chain", "Segment", "PartyOrganization", "Person"})
"""Labels whose own properties (names, segment order, party kinds, chiefs' names) the index holds beside the firms."""
CONTEXT_RELS = frozenset({"SEGMENT_OF", "UNDER", "COVERS", "PART_OF", "CHIEF_OF"})
"""Relationships between context nodes that the index reads (grid tree, chiefs, party tree, chain segments)."""
UPDATE_MAX_FIRMS = 5000
"""Above this many changed firms (or a quarter of the index) :func:`update_index` declines: a rebuild is cheaper."""
_COMMITTEES = ("comprehensive", "industry")
_ALL = 1 << 30  # no limit on a firm's edges of one type when re-reading it


@dataclass
class IndexContext:
    """What a build read besides the firms' own rows, kept so that :func:`update_index` can derive a changed firm's
    row exactly as the build did (positions of zones, grids and segments, the party tree, classified texts)."""

    zpos: dict[str, int]
    gpos: dict[str, int]
    spos: dict[str, int]
    ppos: dict[str, int]
    party_kind: dict[str, Any]
    party_parent: dict[str, str]
    covers: dict[str, list[str]]
    """Grid id → the party organizations covering it, in id order."""
    product_codes: dict[str, str | None]
    """Every product name looked up so far → its code (declared by its Product node, else classified), or None."""
    need_codes: dict[str, str | None]


def _firm_codes(registered: Iterable[str], products: Sequence[str], product_codes: dict[str, str | None],
                ) -> tuple[tuple[str, ...], dict[str, str]]:
    """A firm's codes (registered ones first, then its products') and where each came from."""
    codes: list[str] = []
    basis: dict[str, str] = {}
    for code in registered:
        if code not in basis:
            codes.append(code)
            basis[code] = "登记行业"
    for p in products:
        made = product_codes.get(p)
        if not made:
            continue
        if made not in basis:
            codes.append(made)
            basis[made] = p
        elif basis[made] == "登记行业":
            basis[made] = p  # a product name explains a registered code better
    return tuple(codes), basis


def _firm_party(orgs: Iterable[str], grid_id: str | None, ctx: IndexContext) -> tuple[bool, int]:
    """(has a party channel, committee position or -1): the firm's own organizations (in id order, the last one
    reaching a committee wins), climbed to their comprehensive or industry committee; else the committee
    covering its grid."""
    has_party, committee = False, -1
    for org in orgs:
        has_party = True
        at, hops = org, 0
        while at and ctx.party_kind.get(at) not in _COMMITTEES and hops < 6:
            at, hops = ctx.party_parent.get(at, ""), hops + 1
        if at and ctx.party_kind.get(at) in _COMMITTEES:
            committee = ctx.ppos[at]
    if committee < 0 and grid_id is not None:
        for org in ctx.covers.get(grid_id, []):
            has_party = True
            if ctx.party_kind.get(org) in _COMMITTEES:
                committee = ctx.ppos[org]
                break
    return has_party, committee


def _need_text(props: Mapping[str, Any]) -> str:
    return str(props.get("product") or props.get("title") or "")


def _firm_need(need_id: str, props: Mapping[str, Any], need_codes: dict[str, str | None]) -> FirmNeed | None:
    """The need as matching sees it, or None unless it is open."""
    if props.get("status") != "open":
        return None
    text = _need_text(props)
    code = need_codes.get(text)
    return FirmNeed(need_id, str(props.get("title", "")), str(props.get("kind", "")), text, (code,) if code else ())


def _diffuse(codes: Sequence[Sequence[str]]) -> NDArray[np.float64]:
    """Per firm of ``codes``, how many different 大类 its industries span, in [0, 1] (see MatchIndex.diffuse)."""
    majors = np.array([len({code_prefixes(c)[0] for c in cs if code_prefixes(c)}) for cs in codes], dtype=np.float64)
    return np.asarray(np.minimum(1.0, np.log1p(np.maximum(majors - 1, 0)) / np.log1p(10)), dtype=np.float64)


def _segment_members(segments: Sequence[tuple[int, ...]], count: int) -> list[NDArray[np.int32]]:
    members: list[list[int]] = [[] for _ in range(count)]
    for i, segs in enumerate(segments):
        for s in segs:
            members[s].append(i)
    return [np.array(m, dtype=np.int32) for m in members]


def _supply_needs(needs: Mapping[int, list[FirmNeed]]) -> dict[str, NDArray[np.int32]]:
    lists: dict[str, set[int]] = defaultdict(set)
    for i, firm_needs in needs.items():
        for need in firm_needs:
            if need.kind == "supply" and need.codes:
                for prefix in code_prefixes(need.codes[0]):
                    lists[prefix].add(i)
    return {k: np.array(sorted(v), dtype=np.int32) for k, v in lists.items()}


def _prefixes(codes: Iterable[str]) -> set[str]:
    return {prefix for code in codes for prefix in code_prefixes(code)}


def build_index(store: Store, *, classify_many: ClassifyMany | None = None) -> MatchIndex:
    """Read every firm and the links ranking needs from ``store`` into a :class:`MatchIndex`.

    ``classify_many`` turns product names into (GB/T code, confidence); by default the shipped
    classifier. Only distinct product names are classified, once each. Every per-firm value is derived by the
    same functions :func:`update_index` uses, from the firm's relationships in id order.
    """
    ids: list[str] = []
    names: list[str] = []
    short: list[str] = []
    outputs: list[float] = []
    scales: list[str | None] = []
    for node in store.scan("Enterprise"):
        ids.append(node.id)
        names.append(str(node.props.get("name", node.id)))
        short.append(str(node.props.get("short_name") or ""))
        ov = node.props.get("output_value")
        outputs.append(float(ov) if isinstance(ov, (int, float)) else math.nan)
        scale = node.props.get("scale")
        scales.append(str(scale) if scale else None)
    pos = {id_: i for i, id_ in enumerate(ids)}
    n = len(ids)

    def lookup(label: str) -> tuple[list[str], list[str], dict[str, int]]:
        lids, lnames = [], []
        for node in store.scan(label):
            lids.append(node.id)
            lnames.append(str(node.props.get("name", node.id)))
        return lids, lnames, {x: i for i, x in enumerate(lids)}

    zone_ids, zone_names, zpos = lookup("Zone")
    grid_ids, grid_names, gpos = lookup("Grid")
    chain_ids, chain_names, cpos = lookup("Chain")

    zone = np.full(n, -1, dtype=np.int32)
    for r in store.scan_rels("IN_ZONE"):
        if r.src_label == "Enterprise" and r.src in pos and r.dst in zpos:
            zone[pos[r.src]] = zpos[r.dst]
    grid = np.full(n, -1, dtype=np.int32)
    for r in store.scan_rels("IN_GRID"):
        if r.src in pos and r.dst in gpos:
            grid[pos[r.src]] = gpos[r.dst]

    registered: list[list[str]] = [[] for _ in range(n)]
    declared: dict[str, str] = {}
    for r in store.scan_rels("IN_INDUSTRY"):
        if r.src_label == "Enterprise" and r.src in pos:
            registered[pos[r.src]].append(r.dst)
        elif r.src_label == "Product":
            declared.setdefault(r.src, r.dst)
    products: list[list[str]] = [[] for _ in range(n)]
    for r in store.scan_rels("PRODUCES"):
        if r.src in pos:
            products[pos[r.src]].append(r.dst)
    product_codes = _product_codes({p for ps in products for p in ps}, declared, classify_many)
    firm_codes = [_firm_codes(registered[i], products[i], product_codes) for i in range(n)]
    del registered

    # Segments and chain leaders.
    seg_props = {node.id: node.props for node in store.scan("Segment")}
    seg_ids = list(seg_props)
    seg_names = [str(seg_props[s].get("name", s)) for s in seg_ids]
    spos = {s: i for i, s in enumerate(seg_ids)}
    seg_chain = {r.src: r.dst for r in store.scan_rels("SEGMENT_OF")}
    segment_info = []
    for sid in seg_ids:
        sp = seg_props.get(sid, {})
        chain = cpos.get(seg_chain.get(sid, ""), -1)
        segment_info.append((chain, int(sp.get("order", 0)), str(sp.get("stage", "")), seg_names[spos[sid]]))
    by_chain: dict[int, list[int]] = defaultdict(list)
    for s, (c, _, _, _) in enumerate(segment_info):
        by_chain[c].append(s)
    segment_supplies: dict[int, tuple[int, ...]] = {}
    for c, segs in by_chain.items():
        orders = sorted({segment_info[s][1] for s in segs})
        for s in segs:
            later = [o for o in orders if o > segment_info[s][1]]
            nxt = later[0] if later else None
            segment_supplies[s] = tuple(t for t in segs if segment_info[t][1] == nxt)
    segments: list[list[int]] = [[] for _ in range(n)]
    for r in store.scan_rels("IN_SEGMENT"):
        if r.src in pos and r.dst in spos:
            segments[pos[r.src]].append(spos[r.dst])
    leader = np.zeros(n, dtype=np.bool_)
    for r in store.scan_rels("LEADS"):
        if r.src in pos:
            leader[pos[r.src]] = True

    # Party organizations: a firm's own organization, climbed to its comprehensive or industry committee.
    party_nodes = list(store.scan("PartyOrganization"))
    party_kind = {node.id: node.props.get("kind") for node in party_nodes}
    party_name = {node.id: str(node.props.get("name", node.id)) for node in party_nodes}
    party_ids = sorted(p for p, kind in party_kind.items() if kind in _COMMITTEES)
    covers: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("COVERS"):
        covers[r.dst].append(r.src)
    ctx = IndexContext(zpos=zpos, gpos=gpos, spos=spos, ppos={p: i for i, p in enumerate(party_ids)},
                       party_kind=party_kind, party_parent={r.src: r.dst for r in store.scan_rels("UNDER")},
                       covers={g: sorted(orgs) for g, orgs in covers.items()}, product_codes=product_codes,
                       need_codes={})
    orgs: dict[int, list[str]] = defaultdict(list)
    for r in store.scan_rels("SITS_IN"):
        if r.dst in pos:
            orgs[pos[r.dst]].append(r.src)
    committee = np.full(n, -1, dtype=np.int32)
    has_party = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        own = orgs.get(i)
        if own or grid[i] >= 0:
            has_party[i], committee[i] = _firm_party(sorted(own or ()), grid_ids[grid[i]] if grid[i] >= 0 else None,
                                                     ctx)

    # Known trades.
    out_lists: list[list[int]] = [[] for _ in range(n)]
    in_lists: list[list[int]] = [[] for _ in range(n)]
    for r in store.scan_rels("SUPPLIES"):
        if r.src in pos and r.dst in pos:
            out_lists[pos[r.src]].append(pos[r.dst])
            in_lists[pos[r.dst]].append(pos[r.src])

    # Open needs.
    need_props = {node.id: node.props for node in store.scan("Need") if node.props.get("status") == "open"}
    ctx.need_codes = _product_codes({_need_text(p) for p in need_props.values()} - {""}, {}, classify_many)
    needs: dict[int, list[FirmNeed]] = defaultdict(list)
    for r in store.scan_rels("POSTED"):
        np_ = need_props.get(r.dst)
        if np_ is None or r.src not in pos:
            continue
        need = _firm_need(r.dst, np_, ctx.need_codes)
        if need is not None:
            needs[pos[r.src]].append(need)

    # Grid chiefs, inherited from parent grids when a grid has none of its own.
    grid_parent = {r.src: r.dst for r in store.scan_rels("PART_OF")}
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent_grid in sorted(grid_parent.items()):
        children[parent_grid].append(child)
    chief_names = {node.id: str(node.props.get("name", node.id)) for node in store.scan("Person")}
    chiefs_by_grid: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("CHIEF_OF"):
        chiefs_by_grid[r.dst].append(chief_names.get(r.src, r.src))
    grid_chiefs: dict[int, list[str]] = {}
    for g, gid in enumerate(grid_ids):
        at, hops = gid, 0
        while at and not chiefs_by_grid.get(at) and hops < 4:
            at, hops = grid_parent.get(at, ""), hops + 1
        if at and chiefs_by_grid.get(at):
            grid_chiefs[g] = chiefs_by_grid[at]

    output = np.array(outputs, dtype=np.float32)
    prior = np.nan_to_num(output, nan=0.0)
    prefix_lists: dict[str, list[int]] = defaultdict(list)
    for i, (cs, _) in enumerate(firm_codes):
        for prefix in _prefixes(cs):
            prefix_lists[prefix].append(i)
    by_prefix = {k: _by_prior(v, prior) for k, v in prefix_lists.items()}
    seg_tuples = [tuple(s) for s in segments]

    return MatchIndex(
        ids=ids, names=names, short_names=short, zone=zone, zone_ids=zone_ids, zone_names=zone_names,
        grid=grid, grid_ids=grid_ids, grid_names=grid_names, output=output,
        above_scale=np.array([x == "above" for x in scales], dtype=np.bool_), leader=leader, committee=committee, has_party=has_party,
        party_names=[party_name.get(p, p) for p in party_ids],
        codes=[c for c, _ in firm_codes], code_basis=[b for _, b in firm_codes], products=[tuple(p) for p in products],
        segments=seg_tuples, segment_info=segment_info, chain_ids=chain_ids,
        chain_names=chain_names, segment_supplies=segment_supplies,
        segment_firms=_segment_members(seg_tuples, len(seg_ids)), by_prefix=by_prefix,
        trade_out=[np.array(x, dtype=np.int32) for x in out_lists],
        trade_in=[np.array(x, dtype=np.int32) for x in in_lists],
        needs=dict(needs), supply_needs_by_prefix=_supply_needs(needs),
        grid_chiefs=grid_chiefs, pos=pos, grid_children={g: tuple(cs) for g, cs in children.items()}, scales=scales,
        context=ctx,
    )


def _by_prior(firms: list[int], prior: NDArray[np.float32]) -> NDArray[np.int32]:
    arr = np.array(firms, dtype=np.int32)
    order = np.argsort(-prior[arr], kind="stable")
    return arr[order]


def _product_codes(texts: set[str], declared: Mapping[str, str], classify_many: ClassifyMany | None,
                   ) -> dict[str, str | None]:
    """GB/T code per text: the code its Product node declares (``declared``), else the classifier's confident
    best, else None."""
    found: dict[str, str | None] = {t: declared[t] for t in texts if t in declared}
    todo = sorted(t for t in texts if t not in found)
    if todo:
        many = classify_many or _default_classify_many()
        for text, result in zip(todo, many(todo)):
            found[text] = result[0] if result is not None and result[1] >= CLASSIFY_MIN_CONFIDENCE else None
    return found


def firms_to_update(index: MatchIndex, store: Store, touched: Iterable[Touch]) -> set[str] | None:
    """The ids of the firms whose rows in ``index`` the touches may have changed (firms written, their
    relationships, their needs), or None when something beyond firms changed (a grid, a chain, a party
    organization, a product's declared industry …): then only a rebuild is exact."""
    ctx = index.context
    if ctx is None:
        return None
    firms: set[str] = set()
    needs: set[str] = set()
    products: set[str] = set()
    for t in touched:
        if t.label == "Enterprise":
            if not t.via or t.via in FIRM_RELS:
                firms.add(t.id)
        elif t.label == "Need":
            if not t.via or t.via == "POSTED":
                needs.add(t.id)
        elif t.label == "Product":
            if t.via == "IN_INDUSTRY":
                products.add(t.id)
        elif t.label in CONTEXT_LABELS and (not t.via or t.via in CONTEXT_RELS):
            return None
    if products:
        known = sorted(p for p in products if p in ctx.product_codes)
        now = store.edges("Product", known, "IN_INDUSTRY", "out", limit=1)
        for p in known:
            code = now[p][0].rel.dst if now[p] else None
            if code is None or code != ctx.product_codes[p]:
                return None  # a product's industry changed: every maker's codes and the classification may
    if needs:
        for i, firm_needs in index.needs.items():
            if any(need.id in needs for need in firm_needs):
                firms.add(index.ids[i])
        for edges in store.edges("Need", sorted(needs), "POSTED", "in", limit=_ALL).values():
            firms.update(e.node.id for e in edges if e.node.label == "Enterprise")
    return firms


def update_index(index: MatchIndex, store: Store, touched: Iterable[Touch], *,
                 classify_many: ClassifyMany | None = None) -> MatchIndex | None:
    """A new index equal to ``build_index(store)`` after writes that touched only ``touched``, made by re-reading
    just the changed firms (their node and relationships, through the store interface) and patching copies of
    the tables; ``index`` itself is not changed (requests may be reading it). Returns None when the touches go
    beyond firms and their needs, or when too many firms changed: rebuild instead.

    Positions stay in id order (a new firm is inserted at its place, the others move up by a monotone renumbering),
    so every order that positions decide (ties, makers of a product, candidates by output) is the one a build gives.
    """
    ctx = index.context
    changed = firms_to_update(index, store, touched)
    if ctx is None or changed is None or len(changed) > min(UPDATE_MAX_FIRMS, max(50, index.n // 4)):
        return None
    if not changed:
        return index
    if any(a >= b for a, b in zip(index.ids, index.ids[1:])):
        return None  # positions not in id order (an index made by hand): nothing to patch
    ids_changed = sorted(changed)
    nodes = store.get("Enterprise", ids_changed)
    out_edges = {t: store.edges("Enterprise", ids_changed, t, "out", limit=_ALL)
                 for t in ("IN_ZONE", "IN_GRID", "IN_INDUSTRY", "PRODUCES", "IN_SEGMENT", "LEADS", "SUPPLIES",
                           "POSTED")}
    in_edges = {t: store.edges("Enterprise", ids_changed, t, "in", limit=_ALL) for t in ("SUPPLIES", "SITS_IN")}

    # New positions: the old firms less the deleted ones, plus the new ones, in id order.
    deleted = {i for i in ids_changed if i not in nodes and i in index.pos}
    added = [i for i in ids_changed if i in nodes and i not in index.pos]
    if deleted or added:
        kept = [i for i in index.ids if i not in deleted] if deleted else index.ids
        ids = list(kept)
        for i in reversed(added):  # `added` is sorted: insert each at its place
            ids.insert(bisect_left(ids, i), i)
        pos = {x: k for k, x in enumerate(ids)}
        remap = np.array([pos.get(x, -1) for x in index.ids], dtype=np.int32)
    else:
        ids, pos, remap = index.ids, index.pos, None
    n = len(ids)
    here = sorted(pos[i] for i in ids_changed if i in nodes)  # new positions of the changed firms still there
    here_set = set(here)
    old_changed = [index.pos[i] for i in ids_changed if i in index.pos]

    # The renumbering is monotone: the kept firms in their order, the new ones inserted at their places.
    keep = remap >= 0 if remap is not None else None
    slots = [pos[i] - j for j, i in enumerate(added)]  # where each new firm goes among the kept ones

    def moved(values: list[Any], empty: Any) -> list[Any]:
        if keep is None:
            return list(values)
        out = [v for v, k in zip(values, keep) if k] if deleted else list(values)
        for j, at in enumerate(slots):
            out.insert(at + j, empty)
        return out

    def moved_array(values: NDArray[Any], fill: Any) -> NDArray[Any]:
        if keep is None:
            return values.copy()
        return np.insert(values[keep], slots, fill) if slots else values[keep]

    names, short, scales = moved(index.names, ""), moved(index.short_names, ""), moved(index.scales, None)
    codes, basis = moved(index.codes, ()), moved(index.code_basis, {})
    products, segments = moved(index.products, ()), moved(index.segments, ())
    zone, grid = moved_array(index.zone, -1), moved_array(index.grid, -1)
    output, above = moved_array(index.output, np.nan), moved_array(index.above_scale, False)
    leader, committee = moved_array(index.leader, False), moved_array(index.committee, -1)
    has_party = moved_array(index.has_party, False)
    diffuse = moved_array(index.diffuse, 0.0)

    new_products = {e.node.id for i in nodes for e in out_edges["PRODUCES"][i]} - set(ctx.product_codes)
    if new_products:
        declared = {}
        for p, edges in store.edges("Product", sorted(new_products), "IN_INDUSTRY", "out", limit=1).items():
            if edges:
                declared[p] = edges[0].rel.dst
        ctx.product_codes.update(_product_codes(new_products, declared, classify_many))
    posted = {i: [e for e in out_edges["POSTED"][i] if e.node.label == "Need"] for i in nodes}
    texts = {_need_text(e.node.props) for es in posted.values() for e in es if e.node.props.get("status") == "open"}
    texts -= {""} | set(ctx.need_codes)
    if texts:
        ctx.need_codes.update(_product_codes(texts, {}, classify_many))

    old_prefixes: set[str] = set()
    for k in old_changed:
        old_prefixes |= _prefixes(index.codes[k])
    for i in ids_changed:
        if i not in nodes:
            continue
        k, props = pos[i], nodes[i].props
        names[k] = str(props.get("name", i))
        short[k] = str(props.get("short_name") or "")
        ov = props.get("output_value")
        output[k] = float(ov) if isinstance(ov, (int, float)) else math.nan
        scale = props.get("scale")
        scales[k] = str(scale) if scale else None
        above[k] = scales[k] == "above"
        z = [e.node.id for e in out_edges["IN_ZONE"][i] if e.node.id in ctx.zpos]
        zone[k] = ctx.zpos[z[-1]] if z else -1
        g = [e.node.id for e in out_edges["IN_GRID"][i] if e.node.id in ctx.gpos]
        if len(g) < len(out_edges["IN_GRID"][i]) or len(z) < len(out_edges["IN_ZONE"][i]):
            return None  # a grid or zone the index has not read
        grid[k] = ctx.gpos[g[-1]] if g else -1
        products[k] = tuple(e.node.id for e in out_edges["PRODUCES"][i])
        codes[k], basis[k] = _firm_codes([e.node.id for e in out_edges["IN_INDUSTRY"][i]], products[k],
                                         ctx.product_codes)
        segs = out_edges["IN_SEGMENT"][i]
        if any(e.node.id not in ctx.spos for e in segs):
            return None
        segments[k] = tuple(ctx.spos[e.node.id] for e in segs)
        leader[k] = bool(out_edges["LEADS"][i])
        orgs = [e.node.id for e in in_edges["SITS_IN"][i]]
        if any(o not in ctx.party_kind for o in orgs):
            return None  # a party organization the index has not read
        has_party[k], committee[k] = _firm_party(orgs, index.grid_ids[grid[k]] if grid[k] >= 0 else None, ctx)
    if here:
        diffuse[here] = _diffuse([codes[k] for k in here])

    # Trades: the changed firms' lists as read; a firm that is not changed keeps its list, renumbered, less the
    # changed firms, plus the changed firms that now trade with it (a trade between two firms touches both).
    new_out = {pos[i]: sorted(pos[e.node.id] for e in out_edges["SUPPLIES"][i] if e.node.id in pos)
               for i in nodes}
    new_in = {pos[i]: sorted(pos[e.node.id] for e in in_edges["SUPPLIES"][i] if e.node.id in pos) for i in nodes}
    trade_out = moved(index.trade_out, _EMPTY)
    trade_in = moved(index.trade_in, _EMPTY)
    affected: set[int] = set()
    for k in old_changed:
        for arr in (index.trade_out[k], index.trade_in[k]):
            affected.update(int(x) for x in (remap[arr] if remap is not None else arr))
    for lists in (new_out, new_in):
        for partners in lists.values():
            affected.update(partners)
    affected = {k for k in affected if k >= 0} - here_set
    if remap is not None:
        for k in range(n):
            if k not in here_set and len(trade_out[k]):
                trade_out[k] = remap[trade_out[k]]
            if k not in here_set and len(trade_in[k]):
                trade_in[k] = remap[trade_in[k]]
    for k in here:
        trade_out[k] = np.array(new_out[k], dtype=np.int32)
        trade_in[k] = np.array(new_in[k], dtype=np.int32)
    for b in affected:
        for mine, theirs in ((trade_out, new_in), (trade_in, new_out)):
            rest = [int(x) for x in mine[b] if x >= 0 and int(x) not in here_set]
            rest += [c for c in here if b in theirs[c]]
            mine[b] = np.array(sorted(rest), dtype=np.int32)

    # Needs, renumbered; the changed firms' read again.
    needs: dict[int, list[FirmNeed]] = {}
    for k, firm_needs in index.needs.items():
        at = int(remap[k]) if remap is not None else k
        if at >= 0 and at not in here_set:
            needs[at] = firm_needs
    for i in nodes:
        found = [need for e in posted[i] if (need := _firm_need(e.node.id, e.node.props, ctx.need_codes))]
        if found:
            needs[pos[i]] = found
    needs = dict(sorted(needs.items()))

    # Firms per code prefix, largest output first (ties in position order): renumbered, and the prefixes of the
    # changed firms' old and new codes made again.
    prior = np.nan_to_num(output, nan=0.0)
    by_prefix: dict[str, NDArray[np.int32]] = {}
    touched_prefixes = set(old_prefixes)
    for k in here:
        touched_prefixes |= _prefixes(codes[k])
    for prefix, arr in index.by_prefix.items():
        if prefix not in touched_prefixes:
            by_prefix[prefix] = remap[arr] if remap is not None else arr
    for prefix in touched_prefixes:
        old = index.by_prefix.get(prefix, _EMPTY)
        members = {int(x) for x in (remap[old] if remap is not None else old)} - here_set
        members |= {k for k in here if prefix in _prefixes(codes[k])}
        members.discard(-1)
        if members:
            by_prefix[prefix] = _by_prior(sorted(members), prior)

    same_text = remap is None and all(products[k] == index.products[k] for k in here)
    memo: dict[str, Any] = {}
    if same_text and "product_links" in index.memo:
        memo["product_links"] = index.memo["product_links"]
    values = {f.name: getattr(index, f.name) for f in fields(index)}
    updated = MatchIndex(**{
        **values, "ids": ids, "names": names, "short_names": short, "zone": zone, "grid": grid, "output": output,
        "above_scale": above, "leader": leader, "committee": committee, "has_party": has_party, "codes": codes,
        "code_basis": basis, "products": products, "segments": segments,
        "segment_firms": _segment_members(segments, len(index.segment_info)), "by_prefix": by_prefix,
        "trade_out": trade_out, "trade_in": trade_in, "needs": needs, "supply_needs_by_prefix": _supply_needs(needs),
        "scales": scales, "pos": pos, "text_measure": index.text_measure if same_text else None, "memo": memo,
    })
    updated.__dict__["diffuse"] = diffuse  # the cached property, patched for the changed firms only
    return updated

