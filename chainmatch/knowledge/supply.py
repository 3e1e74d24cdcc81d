"""Who supplies whom between industries: ranked supplier and buyer industries with the evidence for each link.

Four sources, each shipped in ``chainmatch/data`` (see its README) and merged here:

``io``
    国家统计局 2017 年全国投入产出表 (149 sectors), through the hand-built concordance to GB/T 4754-2017.
    Materials and components bought as intermediate inputs.
``equipment_rule``
    Equipment → user industries: input-output tables book machines as investment, so these rules supply
    what the table cannot (3531 food machinery → 13/14/15).
``template``
    The zones' chain templates (煤—焦—氢, 食品, 液压科技 ...): segment → segment links.
``taxonomy``
    The OpenSPG/KAG product taxonomy (Apache-2.0): product → downstream product category.

How weights from different sources are made comparable: every link carries a weight in [0, 1] per direction.

- ``io``: for :func:`buyers_of`, the supplier's output share to that buyer divided by the supplier's largest
  output share in the shipped table (its top buyer scores 1.0); for :func:`suppliers_of`, the buyer's input share
  from that supplier divided by the buyer's largest input share (its top supplier scores 1.0). When the query is
  narrower than the IO sector (3531 inside sector 其他专用设备, which spans six 中类), the weight is divided by the
  number of GB/T codes the sector spans, since the table cannot tell them apart.
- ``equipment_rule``: the rule's curated weight (1.0 = users the standard names, 0.5–0.8 secondary, 0.2 catch-all).
- ``template``: 0.8 (a curated chain link, but with no measure of volume).
- ``taxonomy``: 0.5 (a curated product link, coarse and unweighted).

Links to the same counterpart industry are merged: the highest weight wins, ties go to measured before curated and
specific before coarse (``io`` > ``equipment_rule`` > ``template`` > ``taxonomy``), and the other sources' evidence
is appended to the winner's.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import networkx as nx

from chainmatch.errors import InvalidRequest
from chainmatch.knowledge.industries import Industries, load_industries, normalize_code

__all__ = [
    "KINDS",
    "SupplyAnswer",
    "SupplyKnowledge",
    "SupplyLink",
    "buyers_of",
    "load_supply_knowledge",
    "suppliers_of",
    "supply_graph",
]

_DATA = Path(__file__).parent.parent / "data"

#: The sources of a link in tie-break order: measured before curated, specific before coarse.
KINDS: tuple[str, ...] = ("io", "equipment_rule", "template", "taxonomy")
_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}
_TEMPLATE_WEIGHT = 0.8
_TAXONOMY_WEIGHT = 0.5
_IO_SOURCE = "国家统计局 2017 年全国投入产出表"
_KAG_SOURCE = "KAG 产品链分类 (OpenSPG/KAG, Apache-2.0)"
_CODE_LIKE = re.compile(r"[A-T]|\d{2,4}|[A-T]\d{2,4}")

Direction = Literal["suppliers", "buyers"]


@dataclass(frozen=True)
class SupplyLink:
    """One industry supplying another, with a weight in [0, 1] and the evidence naming its source.

    >>> link = SupplyLink("3531", "食品、酒、饮料及茶生产专用设备制造", "14", "食品制造业", 1.0,
    ...                   "equipment_rule", "设备用户规则 3531 → 13/14/15")
    >>> print(link)
    3531 食品、酒、饮料及茶生产专用设备制造 → 14 食品制造业  1.00  [equipment_rule] 设备用户规则 3531 → 13/14/15
    """

    supplier_code: str
    supplier_name: str
    buyer_code: str
    buyer_name: str
    weight: float
    kind: str
    evidence: str

    def __str__(self) -> str:
        return (
            f"{self.supplier_code} {self.supplier_name} → {self.buyer_code} {self.buyer_name}"
            f"  {self.weight:.2f}  [{self.kind}] {self.evidence}"
        )


@dataclass(frozen=True)
class SupplyAnswer:
    """The answer to :func:`suppliers_of` or :func:`buyers_of`.

    ``resolved_codes`` are the GB/T codes the query stood for (a code as given, or the classifier's best 小类 for a
    product text, with its ``confidence``); ``links`` are ranked best first. When nothing could be resolved,
    ``links`` is empty and ``reason`` says why. ``dataclasses.asdict`` turns it into JSON-ready data.
    """

    query: str
    direction: Direction
    resolved_codes: tuple[str, ...]
    resolved_names: tuple[str, ...]
    links: tuple[SupplyLink, ...]
    reason: str | None = None
    confidence: float | None = None

    def __str__(self) -> str:
        role = "供应方 (suppliers)" if self.direction == "suppliers" else "采购方 (buyers)"
        if not self.resolved_codes:
            return f"{self.query}: {self.reason}"
        resolved = ", ".join(f"{c} {n}" for c, n in zip(self.resolved_codes, self.resolved_names))
        if self.confidence is not None:
            resolved += f" (置信度 {self.confidence:.2f})"
        lines = [f"{self.query} → {resolved}: {role}"]
        for rank, link in enumerate(self.links, 1):
            code, name = (
                (link.supplier_code, link.supplier_name)
                if self.direction == "suppliers"
                else (link.buyer_code, link.buyer_name)
            )
            lines.append(f"{rank:>3}. {code} {name}  {link.weight:.2f}  [{link.kind}] {link.evidence}")
        if not self.links:
            lines.append(f"  {self.reason or '没有已知的链接 (no known links)'}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Edge:
    supplier: str
    buyer: str
    kind: str
    down: float  # importance of the buyer to the supplier (ranks buyers_of)
    up: float  # importance of the supplier to the buyer (ranks suppliers_of)
    evidence: str
    supplier_span: int = 1  # GB/T codes the source node was spread over (IO sectors)
    buyer_span: int = 1
    intra: bool = False  # a sector's purchases from itself (the IO table's diagonal)


@dataclass(frozen=True)
class SupplyKnowledge:
    """Every known industry → industry link, indexed both ways; build it with :func:`load_supply_knowledge`."""

    edges: tuple[_Edge, ...]
    names: dict[str, str]
    by_supplier: dict[str, tuple[_Edge, ...]]
    by_buyer: dict[str, tuple[_Edge, ...]]
    sections: dict[str, str]


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(_DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _io_edges() -> Iterable[_Edge]:
    concordance = {r["io_sector"]: r["gbt_codes"].split() for r in _read_csv("io_concordance.csv")}
    rows = _read_csv("io_links.csv")
    top_out: dict[str, float] = defaultdict(float)
    top_in: dict[str, float] = defaultdict(float)
    for r in rows:
        top_out[r["supplier_sector"]] = max(top_out[r["supplier_sector"]], float(r["output_share"]))
        top_in[r["buyer_sector"]] = max(top_in[r["buyer_sector"]], float(r["input_share"]))
    for r in rows:
        s, b = r["supplier_sector"], r["buyer_sector"]
        out_share, in_share = float(r["output_share"]), float(r["input_share"])
        intra = s == b
        a = float(r["direct_input_coef"])
        if intra:
            evidence = (f"{_IO_SOURCE}: {r['supplier_name']}部门内部投入, 其中间产品的 {out_share:.0%} 由本部门企业购买"
                        f" (每百元投入中约 {a * 100:.0f} 元来自本部门)")
        else:
            evidence = (f"{_IO_SOURCE}: {r['supplier_name']} → {r['buyer_name']}, "
                        f"{r['buyer_name']}每百元投入中约 {a * 100:.1f} 元来自{r['supplier_name']}, "
                        f"{r['supplier_name']}中间产品的 {out_share:.0%} 供给{r['buyer_name']}")
        for sc in concordance[s]:
            for bc in concordance[b]:
                yield _Edge(
                    sc,
                    bc,
                    "io",
                    out_share / top_out[s],
                    in_share / top_in[b],
                    evidence,
                    len(concordance[s]),
                    len(concordance[b]),
                    intra,
                )


def _rule_edges() -> Iterable[_Edge]:
    for r in _read_csv("equipment_rules.csv"):
        users = r["user_codes"].split()
        evidence = f"设备用户规则 {r['equipment_code']} → {'/'.join(users)}: {r['note']}"
        weight = float(r["weight"])
        for user in users:
            yield _Edge(r["equipment_code"], user, "equipment_rule", weight, weight, evidence)


def _template_edges() -> Iterable[_Edge]:
    doc = json.loads((_DATA / "chain_templates.json").read_text(encoding="utf-8"))
    for t in doc["templates"]:
        segments = {s["id"]: s for s in t["segments"]}
        for s in t["segments"]:
            for target_id in s["supplies_to"]:
                target = segments[target_id]
                evidence = f"产业链模板 {t['name']}: {s['name']} → {target['name']}"
                for sc in s["codes"]:
                    for bc in target["codes"]:
                        if sc != bc:
                            yield _Edge(sc, bc, "template", _TEMPLATE_WEIGHT, _TEMPLATE_WEIGHT, evidence)


def _taxonomy_edges() -> Iterable[_Edge]:
    for r in _read_csv("kag_product_links.csv"):
        s, b = r["product_gbt"], r["downstream_gbt"]
        if s and b and s != b:
            evidence = f"{_KAG_SOURCE}: {r['product']} → {r['downstream_category']}"
            yield _Edge(s, b, "taxonomy", _TAXONOMY_WEIGHT, _TAXONOMY_WEIGHT, evidence)


@functools.cache
def load_supply_knowledge() -> SupplyKnowledge:
    """Read the four shipped sources once and index them (cached; nothing is read at import).

    Returns
    -------
    SupplyKnowledge
        Every link, indexed by supplier and by buyer code, with the GB/T names of every code used.

    Examples
    --------
    >>> k = load_supply_knowledge()
    >>> sorted({e.kind for e in k.edges}) == sorted(KINDS)
    True
    >>> k.names["2521"]
    '炼焦'
    """
    industries = load_industries()
    edges: dict[tuple[str, str, str, str], _Edge] = {}
    for source in (_io_edges(), _rule_edges(), _template_edges(), _taxonomy_edges()):
        for e in source:
            key = (e.supplier, e.buyer, e.kind, e.evidence)
            edges.setdefault(key, e)
    by_supplier: dict[str, list[_Edge]] = defaultdict(list)
    by_buyer: dict[str, list[_Edge]] = defaultdict(list)
    for e in edges.values():
        by_supplier[e.supplier].append(e)
        by_buyer[e.buyer].append(e)
    codes = set(by_supplier) | set(by_buyer)
    return SupplyKnowledge(
        edges=tuple(edges.values()),
        names={c: industries.get(c).name for c in codes},
        by_supplier={c: tuple(v) for c, v in by_supplier.items()},
        by_buyer={c: tuple(v) for c, v in by_buyer.items()},
        sections={c: industries.section_of(c).code for c in codes},
    )


def _relation(query: str, node: str, sections: dict[str, str], query_section: str) -> str | None:
    """How a knowledge node relates to the query code: 'self', 'ancestor' (node is broader) or 'descendant'."""
    if node == query:
        return "self"
    if node.isalpha():
        return "ancestor" if query_section == node else None
    if query.isalpha():
        return "descendant" if sections.get(node) == query else None
    if query.startswith(node):
        return "ancestor"
    if node.startswith(query):
        return "descendant"
    return None


def _resolve(x: str, industries: Industries) -> tuple[tuple[str, ...], float | None, str | None]:
    """The GB/T codes a query stands for, the classifier's confidence (texts only) and a reason if none."""
    text = x.strip()
    if not text:
        return (), None, "查询为空 (empty query)"
    normalized = normalize_code(text)
    if _CODE_LIKE.fullmatch(normalized):
        return (industries.get(normalized).code,), None, None  # UnknownIndustryCode with the nearest codes
    from chainmatch.knowledge.classify import (
        classify,  # fitting the classifier is costly: only for text queries
    )

    result = classify(text, top=1)
    if result.best is None:
        return (), None, result.reason
    return (result.best.code,), result.best.confidence, None


def _query(x: str, direction: Direction, top: int, knowledge: SupplyKnowledge | None) -> SupplyAnswer:
    if top < 1:
        raise InvalidRequest(f"top has value {top!r}. It must be a positive integer, e.g. top=20.")
    k = knowledge if knowledge is not None else load_supply_knowledge()
    industries = load_industries()
    codes, confidence, reason = _resolve(x, industries)
    if not codes:
        return SupplyAnswer(x, direction, (), (), (), reason)
    query = codes[0]
    query_section = industries.section_of(query).code
    index = k.by_buyer if direction == "suppliers" else k.by_supplier
    # best[counterpart] = (weight, -priority, edge); evidence[counterpart][kind] = (weight, text)
    best: dict[str, tuple[float, int, _Edge]] = {}
    evidence: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
    for node, edges in index.items():
        relation = _relation(query, node, k.sections, query_section)
        if relation is None:
            continue
        for e in edges:
            other = e.supplier if direction == "suppliers" else e.buyer
            if not e.intra and (other == query or (
                other.isdigit() and _relation(query, other, k.sections, query_section) == "ancestor"
            )):
                continue  # a link inside the queried industry says nothing about its partners (a 门类 may stay),
                # unless it is the IO table's measure of how much the industry buys from itself
            weight = e.up if direction == "suppliers" else e.down
            span = e.buyer_span if direction == "suppliers" else e.supplier_span
            if relation == "ancestor" and span > 1:
                weight /= span
            seen = evidence[other].get(e.kind)
            if seen is None or weight > seen[0]:
                evidence[other][e.kind] = (weight, e.evidence)
            candidate = (weight, -_PRIORITY[e.kind], e)
            current = best.get(other)
            if current is None or candidate[:2] > current[:2]:
                best[other] = candidate
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:top]
    links = []
    for other, (weight, _, e) in ranked:
        others = [
            ev
            for kind, (_, ev) in sorted(evidence[other].items(), key=lambda i: _PRIORITY[i[0]])
            if kind != e.kind
        ]
        text = e.evidence + "".join(f"；另见 {ev}" for ev in others)
        links.append(
            SupplyLink(
                e.supplier, k.names[e.supplier], e.buyer, k.names[e.buyer], round(weight, 4), e.kind, text
            )
        )
    return SupplyAnswer(
        x,
        direction,
        codes,
        tuple(industries.get(c).name for c in codes),
        tuple(links),
        None if links else "没有已知的供需链接 (no known supply links for this industry)",
        None if confidence is None else round(confidence, 4),
    )


def suppliers_of(x: str, *, top: int = 20, knowledge: SupplyKnowledge | None = None) -> SupplyAnswer:
    """Rank the industries that supply ``x``, each with its weight and evidence.

    Parameters
    ----------
    x : str
        A GB/T 4754-2017 code of any level (``"2521"``, ``"C2521"``, ``"25"``, ``"C"``) or a product text
        (``"焦炭"``), which is classified first; its best 小类 is used.
    top : int
        Number of supplier industries to return at most.
    knowledge : SupplyKnowledge, optional
        The links to use; by default the shipped ones (:func:`load_supply_knowledge`).

    Returns
    -------
    SupplyAnswer
        Links best first; empty with a ``reason`` when a text cannot be classified.

    Raises
    ------
    UnknownIndustryCode
        If ``x`` looks like a code but is not in GB/T 4754-2017 (with the nearest valid codes).

    Examples
    --------
    >>> answer = suppliers_of("2521", top=3)
    >>> [(link.supplier_code, link.kind) for link in answer.links]
    [('06', 'io'), ('3521', 'equipment_rule'), ('0610', 'template')]
    """
    return _query(x, "suppliers", top, knowledge)


def buyers_of(x: str, *, top: int = 20, knowledge: SupplyKnowledge | None = None) -> SupplyAnswer:
    """Rank the industries that buy from ``x``, each with its weight and evidence.

    Parameters and errors as in :func:`suppliers_of`.

    Examples
    --------
    >>> answer = buyers_of("3531", top=3)
    >>> [link.buyer_code for link in answer.links]
    ['13', '14', '15']
    >>> answer.links[0].evidence[:22]
    '设备用户规则 3531 → 13/14/15'
    >>> buyers_of("hello").reason
    '没有中文产品词 (no Chinese product words)'
    """
    return _query(x, "buyers", top, knowledge)


def supply_graph(knowledge: SupplyKnowledge | None = None) -> nx.DiGraph:
    """Return every link as a directed industry graph, supplier → buyer.

    Nodes are GB/T codes with a ``name``; each edge keeps its best source: ``weight`` (the larger of its two
    directional weights), ``weight_down`` (how much the buyer matters to the supplier), ``weight_up`` (how much the
    supplier matters to the buyer), ``kind`` and ``evidence``; ``kinds`` lists every source that has the link.

    Examples
    --------
    >>> G = supply_graph()
    >>> G.nodes["3531"]["name"]
    '食品、酒、饮料及茶生产专用设备制造'
    >>> G.edges["3531", "14"]["kind"], G.edges["3531", "14"]["weight"]
    ('equipment_rule', 1.0)
    """
    k = knowledge if knowledge is not None else load_supply_knowledge()
    G = nx.DiGraph()
    G.add_nodes_from((code, {"name": name}) for code, name in k.names.items())
    for e in k.edges:
        weight = max(e.down, e.up)
        if G.has_edge(e.supplier, e.buyer):
            data = G.edges[e.supplier, e.buyer]
            data["kinds"] = sorted(set(data["kinds"]) | {e.kind}, key=_PRIORITY.__getitem__)
            if (weight, -_PRIORITY[e.kind]) <= (data["weight"], -_PRIORITY[data["kind"]]):
                continue
            G.add_edge(
                e.supplier,
                e.buyer,
                weight=weight,
                weight_down=e.down,
                weight_up=e.up,
                kind=e.kind,
                evidence=e.evidence,
                kinds=data["kinds"],
            )
        else:
            G.add_edge(
                e.supplier,
                e.buyer,
                weight=weight,
                weight_down=e.down,
                weight_up=e.up,
                kind=e.kind,
                evidence=e.evidence,
                kinds=[e.kind],
            )
    return G
