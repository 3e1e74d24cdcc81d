"""The match index: every firm's attributes and links, read once from a store into compact in-memory tables.

Recommendations must answer in milliseconds for a million firms, which no per-candidate store
query allows. The index holds what ranking needs, built in one pass over the store (a few scans,
no per-firm query): industries (from GB/T codes and from classifying product names), products,
zone, grid, scale, chain segments and leadership, party committees, known trades and open needs.
Build it once (at start-up or in a batch job) and pass it to :func:`chainmatch.matching.ranking.recommend`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from chainmatch.knowledge.text import TextMeasure
from chainmatch.stores.base import Store

if TYPE_CHECKING:
    from chainmatch.knowledge.product_links import ProductLinks

__all__ = ["CLASSIFY_MIN_CONFIDENCE", "FirmNeed", "MatchIndex", "build_index", "code_prefixes"]

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
        """The grids and every grid below them, like :func:`chainmatch.auth.expand_grids` but from memory
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
        majors = np.array([len({code_prefixes(c)[0] for c in cs if code_prefixes(c)}) for cs in self.codes],
                          dtype=np.float64)
        return np.asarray(np.minimum(1.0, np.log1p(np.maximum(majors - 1, 0)) / np.log1p(10)), dtype=np.float64)

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


def build_index(store: Store, *, classify_many: ClassifyMany | None = None) -> MatchIndex:
    """Read every firm and the links ranking needs from ``store`` into a :class:`MatchIndex`.

    ``classify_many`` turns product names into (GB/T code, confidence); by default the shipped
    classifier. Only distinct product names are classified, once each.
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

    codes: list[list[str]] = [[] for _ in range(n)]
    basis: list[dict[str, str]] = [{} for _ in range(n)]
    for r in store.scan_rels("IN_INDUSTRY"):
        if r.src_label == "Enterprise" and r.src in pos:
            i = pos[r.src]
            if r.dst not in basis[i]:
                codes[i].append(r.dst)
                basis[i][r.dst] = "登记行业"
    products: list[list[str]] = [[] for _ in range(n)]
    for r in store.scan_rels("PRODUCES"):
        if r.src in pos:
            products[pos[r.src]].append(r.dst)
    product_codes = _classify_products({p for ps in products for p in ps}, store, classify_many)
    for i, ps in enumerate(products):
        for p in ps:
            code = product_codes.get(p)
            if not code:
                continue
            if code not in basis[i]:
                codes[i].append(code)
                basis[i][code] = p
            elif basis[i][code] == "登记行业":
                basis[i][code] = p  # a product name explains a registered code better

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
    seg_members: list[list[int]] = [[] for _ in seg_ids]
    for i, segs in enumerate(segments):
        for s in segs:
            seg_members[s].append(i)
    leader = np.zeros(n, dtype=np.bool_)
    for r in store.scan_rels("LEADS"):
        if r.src in pos:
            leader[pos[r.src]] = True

    # Party organizations: a firm's own organization, climbed to its comprehensive or industry committee.
    party_nodes = list(store.scan("PartyOrganization"))
    party_kind = {node.id: node.props.get("kind") for node in party_nodes}
    party_name = {node.id: str(node.props.get("name", node.id)) for node in party_nodes}
    parent = {r.src: r.dst for r in store.scan_rels("UNDER")}
    party_ids: list[str] = []
    ppos: dict[str, int] = {}
    committee = np.full(n, -1, dtype=np.int32)
    has_party = np.zeros(n, dtype=np.bool_)
    for r in store.scan_rels("SITS_IN"):
        if r.dst not in pos:
            continue
        i = pos[r.dst]
        has_party[i] = True
        org, hops = r.src, 0
        while org and party_kind.get(org) not in ("comprehensive", "industry") and hops < 6:
            org, hops = parent.get(org, ""), hops + 1
        if org and party_kind.get(org) in ("comprehensive", "industry"):
            if org not in ppos:
                ppos[org] = len(party_ids)
                party_ids.append(org)
            committee[i] = ppos[org]
    # Firms in a grid a committee covers also have that channel.
    covers: dict[str, list[str]] = defaultdict(list)
    for r in store.scan_rels("COVERS"):
        covers[r.dst].append(r.src)
    for i in range(n):
        if committee[i] >= 0 or grid[i] < 0:
            continue
        for org in covers.get(grid_ids[grid[i]], []):
            has_party[i] = True
            if party_kind.get(org) in ("comprehensive", "industry"):
                if org not in ppos:
                    ppos[org] = len(party_ids)
                    party_ids.append(org)
                committee[i] = ppos[org]
                break

    # Known trades.
    out_lists: list[list[int]] = [[] for _ in range(n)]
    in_lists: list[list[int]] = [[] for _ in range(n)]
    for r in store.scan_rels("SUPPLIES"):
        if r.src in pos and r.dst in pos:
            out_lists[pos[r.src]].append(pos[r.dst])
            in_lists[pos[r.dst]].append(pos[r.src])

    # Open needs.
    need_props = {node.id: node.props for node in store.scan("Need") if node.props.get("status") == "open"}
    need_texts = {str(p.get("product") or p.get("title") or "") for p in need_props.values()}
    need_codes = _classify_products(need_texts - {""}, None, classify_many)
    needs: dict[int, list[FirmNeed]] = defaultdict(list)
    supply_need_lists: dict[str, list[int]] = defaultdict(list)
    for r in store.scan_rels("POSTED"):
        np_ = need_props.get(r.dst)
        if np_ is None or r.src not in pos:
            continue
        i = pos[r.src]
        text = str(np_.get("product") or np_.get("title") or "")
        need_code = need_codes.get(text)
        need = FirmNeed(r.dst, str(np_.get("title", "")), str(np_.get("kind", "")), text,
                        (need_code,) if need_code else ())
        needs[i].append(need)
        if need.kind == "supply" and need_code:
            for prefix in code_prefixes(need_code):
                supply_need_lists[prefix].append(i)

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
    for i, cs in enumerate(codes):
        seen: set[str] = set()
        for firm_code in cs:
            for prefix in code_prefixes(firm_code):
                if prefix not in seen:
                    seen.add(prefix)
                    prefix_lists[prefix].append(i)
    by_prefix = {k: _by_prior(v, prior) for k, v in prefix_lists.items()}

    return MatchIndex(
        ids=ids, names=names, short_names=short, zone=zone, zone_ids=zone_ids, zone_names=zone_names,
        grid=grid, grid_ids=grid_ids, grid_names=grid_names, output=output,
        above_scale=np.array([x == "above" for x in scales], dtype=np.bool_), leader=leader, committee=committee, has_party=has_party,
        party_names=[party_name.get(p, p) for p in party_ids],
        codes=[tuple(c) for c in codes], code_basis=basis, products=[tuple(p) for p in products],
        segments=[tuple(s) for s in segments], segment_info=segment_info, chain_ids=chain_ids,
        chain_names=chain_names, segment_supplies=segment_supplies,
        segment_firms=[np.array(m, dtype=np.int32) for m in seg_members], by_prefix=by_prefix,
        trade_out=[np.array(x, dtype=np.int32) for x in out_lists],
        trade_in=[np.array(x, dtype=np.int32) for x in in_lists],
        needs=dict(needs),
        supply_needs_by_prefix={k: np.array(sorted(set(v)), dtype=np.int32) for k, v in supply_need_lists.items()},
        grid_chiefs=grid_chiefs, pos=pos, grid_children={g: tuple(cs) for g, cs in children.items()}, scales=scales,
    )


def _by_prior(firms: list[int], prior: NDArray[np.float32]) -> NDArray[np.int32]:
    arr = np.array(firms, dtype=np.int32)
    order = np.argsort(-prior[arr], kind="stable")
    return arr[order]


def _classify_products(texts: set[str], store: Store | None, classify_many: ClassifyMany | None) -> dict[str, str]:
    """GB/T code per product name: the code a Product node declares, else the classifier's confident best."""
    found: dict[str, str] = {}
    if store is not None:
        for r in store.scan_rels("IN_INDUSTRY"):
            if r.src_label == "Product" and r.src in texts:
                found.setdefault(r.src, r.dst)
    todo = sorted(t for t in texts if t not in found)
    if todo:
        many = classify_many or _default_classify_many()
        for text, result in zip(todo, many(todo)):
            if result is not None and result[1] >= CLASSIFY_MIN_CONFIDENCE:
                found[text] = result[0]
    return found
