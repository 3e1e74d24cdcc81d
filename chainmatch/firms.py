"""Firms in lists: search by name, short name, alias, 统一社会信用代码 or product, and the short form lists show.

A grid chief sees the details of the firms in their grids; any other firm appears by id and name
only (``restricted``). Search text is normalised (NFKC: full-width letters and digits become
ASCII, spaces collapse) before it reaches the store, which matches it as a literal substring.

>>> normalize_text("  ＡＢＣ　高压  灭菌 ")
'ABC 高压 灭菌'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from chainmatch.access.auth import Principal, expand_grids, require, require_firms, visible_firms
from chainmatch.enterprises import Profile, display_name, profile, resolve
from chainmatch.errors import InvalidRequest, NotFound
from chainmatch.matching.index import MatchIndex
from chainmatch.pages import Page, check_page, collect
from chainmatch.stores.base import Node, Store
from graph_schema import load_schema

__all__ = ["Firm", "describe", "describe_indexed", "firm_profile", "normalize_text", "search"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
MAX_QUERY = 100


@dataclass(frozen=True)
class Firm:
    """A firm as lists show it; ``restricted`` firms carry only their id and name."""

    id: str
    name: str
    short_name: str | None = None
    zone_id: str | None = None
    grid_id: str | None = None
    scale: str | None = None
    products: tuple[str, ...] = ()
    note: str = ""
    restricted: bool = False
    scale_label: str | None = field(init=False)
    """The scale in Chinese (规上, 规下)."""

    def __post_init__(self) -> None:
        scale = self.scale
        object.__setattr__(self, "scale_label",
                           None if scale is None else load_schema().enums["scale"].get(scale, scale))


def normalize_text(text: str) -> str:
    """NFKC-normalise, drop control characters and lone surrogates, collapse whitespace."""
    text = text.encode("utf-8", "ignore").decode("utf-8") if _has_surrogate(text) else text
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    return " ".join(text.split())


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def describe(store: Store, who: Principal, nodes: Sequence[Node], notes: dict[str, str] | None = None) -> list[Firm]:
    """The short form of ``nodes`` (Enterprise nodes), detailed where ``who`` may see them."""
    ids = [n.id for n in nodes]
    seen = visible_firms(store, who, ids)
    detailed = [i for i in ids if i in seen]
    zones = store.edges("Enterprise", detailed, "IN_ZONE") if detailed else {}
    grids = store.edges("Enterprise", detailed, "IN_GRID") if detailed else {}
    products = store.edges("Enterprise", detailed, "PRODUCES") if detailed else {}
    out = []
    for n in nodes:
        note = (notes or {}).get(n.id, "")
        if n.id not in seen:
            out.append(Firm(n.id, display_name(n), note=note, restricted=True))
            continue
        z, g = zones.get(n.id) or [], grids.get(n.id) or []
        out.append(Firm(
            n.id, display_name(n), n.props.get("short_name"), z[0].node.id if z else None,
            g[0].node.id if g else None, n.props.get("scale"),
            tuple(e.node.id for e in products.get(n.id) or []), note,
        ))
    return out


def describe_indexed(index: MatchIndex, who: Principal, positions: Iterable[int]) -> list[Firm]:
    """The short form of the firms at ``positions`` of the match index, as :func:`describe` gives it from
    the store, without a store query (for lists computed from the index: neighbours, a grid's firms)."""
    at = np.fromiter(positions, dtype=np.int64)
    out = []
    for i, g, z in zip(at.tolist(), index.grid[at].tolist(), index.zone[at].tolist(), strict=True):
        grid_id = index.grid_ids[g] if g >= 0 else None
        name = index.names[i]
        if who.grids is not None and (grid_id is None or grid_id not in who.grids):
            out.append(Firm(index.ids[i], name, restricted=True))
            continue
        out.append(Firm(index.ids[i], name, index.short_names[i] or None, index.zone_ids[z] if z >= 0 else None,
                        grid_id, index.scales[i], index.products[i]))
    return out


def search(store: Store, who: Principal, q: str | None = None, *, zone_id: str | None = None,
           grid_id: str | None = None, scale: str | None = None, limit: int = 50, offset: int = 0) -> Page[Firm]:
    """Firms whose name, short name, alias, id, 统一社会信用代码 or product contains ``q``, filtered by zone,
    grid (with the grids below it) and scale; name matches first (by id), then product matches."""
    require(who, "read")
    text = normalize_text(q or "")
    if len(text) > MAX_QUERY:
        raise InvalidRequest(f"q is {len(text)} characters long. Search with at most {MAX_QUERY} characters.")
    grids: frozenset[str] | None = None
    if grid_id:
        if grid_id not in store.get("Grid", [grid_id]):
            raise NotFound(f"No grid has the id '{grid_id}'.")
        grids = expand_grids(store, [grid_id])
    if zone_id and zone_id not in store.get("Zone", [zone_id]):
        raise NotFound(f"No zone has the id '{zone_id}'.",
                       candidates=[z.id for z in store.find("Zone", limit=10)])
    where = {"scale": scale} if scale else {}

    def keep(batch: Sequence[Node]) -> list[Node]:
        ids = [n.id for n in batch]
        if zone_id:
            in_zone = store.edges("Enterprise", ids, "IN_ZONE")
            batch = [n for n in batch if any(e.node.id == zone_id for e in in_zone[n.id])]
        if grids is not None:
            in_grid = store.edges("Enterprise", [n.id for n in batch], "IN_GRID")
            batch = [n for n in batch if any(e.node.id in grids for e in in_grid[n.id])]
        return list(batch)

    seen: set[str] = set()

    def unique(nodes: Iterable[Node]) -> list[Node]:
        out = [n for n in nodes if n.id not in seen]
        seen.update(n.id for n in out)
        return out

    def fetch(n: int, o: int) -> list[Node]:
        return store.find("Enterprise", text=text or None, where=where, limit=n, offset=o)

    extra: list[Node] = []
    if text and _USCC.match(text.upper()):
        extra += store.find("Enterprise", where={**where, "uscc": text.upper()}, limit=1)
    if text:
        products = store.find("Product", text=text, limit=50)
        makers = store.edges("Product", [p.id for p in products], "PRODUCES", "in", limit=1000)
        extra += [e.node for p in products for e in makers[p.id]
                  if not scale or e.node.props.get("scale") == scale]
    check_page(limit, offset)
    nodes, complete = collect(fetch, lambda b: unique(keep(b)), offset + limit + 1)
    if complete:  # every name match is in hand: product matches follow them
        nodes = nodes + unique(keep(extra))
    page = nodes[offset: offset + limit]
    total = len(nodes) if complete else None
    notes = {n.id: "产品匹配" for n in extra}
    return Page(describe(store, who, page, notes), limit, offset, total)


def firm_profile(store: Store, who: Principal, query: str) -> tuple[str, Profile]:
    """The profile of the firm ``query`` names (id, name, short name or alias) and how it was matched;
    a grid chief may open only the firms in their grids."""
    require(who, "read")
    text = normalize_text(query)
    if not text:  # only spaces or control characters: no firm has such a name
        raise NotFound(f"No enterprise is called {query!r}.")
    found = resolve(store, text)
    require_firms(store, who, [found.node.id])
    return found.matched_by, profile(store, found.node.id)
