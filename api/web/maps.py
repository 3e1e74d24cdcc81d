"""产业链图谱 ``/pages/maps``: the chains of the zones in the caller's scope, and one chain's investment map in the
page (the SVG of :func:`chainmatch.maps.render.chain_svg`, the segments' strength, the gaps with their recruitment
targets, the chain's open needs and its party coverage), computed on the match index as ``chainmatch maps`` does.

It prints on A3 or A4 landscape (``?paper=a3``, default A4: the style sheets ``print-a3.css`` and ``print-a4.css``):
the map is scaled to the page's width (never above its size), so no column is cut; a map taller than the page is
printed in bands (:func:`chainmatch.maps.render.chain_bands`, cut between category boxes), one page each, the
continuation pages headed （续）; no page is left blank, and the zone, the chain and the date are repeated at the top
of every page. Maps show every firm of a zone: grid chiefs are refused,
as they are by ``/maps/runs``; a zone-limited account sees its zones' chains only.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.deps import RankingDep, StoreDep
from api.web.session import PageUserDep, error_page, render
from api.web.views import today, zones_of
from chainmatch.access.auth import authorize
from chainmatch.enterprises import display_name
from chainmatch.errors import NotFound
from chainmatch.maps.build import REASON_TITLES, STAGE_TITLES, ChainMap, chain_map
from chainmatch.maps.render import GAP_TITLES, chain_bands, chain_svg, money, pct, svg_size
from chainmatch.stores.base import Node

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PAPERS = {"a4": "A4 横向", "a3": "A3 横向"}
PRINTABLE_MM = {"a4": (297 - 20, 210 - 20), "a3": (420 - 24, 297 - 24)}
"""Width and height of the paper less the margins of print-a4.css and print-a3.css (10 mm and 12 mm)."""
_PX_PER_MM = 96 / 25.4
# Heights kept free on a printed page besides the map band: the running header, and the title and the two lines of
# figures on the first page or the （续） line on the others, with a little slack for the fonts.
_HEADER_MM, _TITLE_MM, _CONTINUED_MM, _SLACK_MM = 9, 30, 7, 5


def print_bands(m: ChainMap, paper: str) -> tuple[float, list[tuple[int, int]]]:
    """The scale of the printed map (the page's width over the drawing's, at most 1) and its bands on ``paper``."""
    width_mm, height_mm = PRINTABLE_MM[paper]
    width, _ = svg_size(m)
    scale = min(1.0, width_mm * _PX_PER_MM / width)
    room = (height_mm - _HEADER_MM - _SLACK_MM) * _PX_PER_MM / scale
    first, rest = room - _TITLE_MM * _PX_PER_MM / scale, room - _CONTINUED_MM * _PX_PER_MM / scale
    return scale, chain_bands(m, first, rest)


def _chains_by_zone(nodes: list[Node], zone_of: dict[str, str | None]) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = defaultdict(list)
    for c in sorted(nodes, key=lambda n: n.id):
        z = zone_of.get(c.id)
        if z:
            out[z].append(c)
    return out


@router.get("/pages/maps", response_class=HTMLResponse)
def map_list(request: Request, store: StoreDep, user: PageUserDep) -> HTMLResponse:
    """产业链图谱: the chains of my zones, each linking its map."""
    zones = zones_of(store, user.who)
    authorize(store, user.who, "read", zones=zones)  # a whole zone's firms: not for a grid chief
    chains = list(store.scan("Chain"))
    edges = store.edges("Chain", [c.id for c in chains], "IN_ZONE") if chains else {}
    zone_of = {c.id: (edges[c.id][0].node.id if edges.get(c.id) else None) for c in chains}
    by_zone = _chains_by_zone(chains, zone_of)
    names = store.get("Zone", zones) if zones else {}
    listed = [(names[z], by_zone.get(z, [])) for z in zones if z in names]
    return render(request, "maps.html", user=user, zones=listed, display_name=display_name)


@router.get("/pages/maps/{chain_id}", response_class=HTMLResponse)
def map_page(request: Request, store: StoreDep, ranking: RankingDep, user: PageUserDep, chain_id: str) -> HTMLResponse:
    """One chain's investment map, on screen and on paper."""
    paper = request.query_params.get("paper", "a4")
    if paper not in PAPERS:
        return error_page(request, 422, "输入有误", "纸张只能是 A4 横向（paper=a4）或 A3 横向（paper=a3）。")
    chain = store.get("Chain", [chain_id]).get(chain_id)
    if chain is None:
        raise NotFound(f"No chain has the id '{chain_id}'.")
    zone = store.edges("Chain", [chain_id], "IN_ZONE")[chain_id]
    authorize(store, user.who, "read", zones=[zone[0].node.id] if zone else ["(none)"])
    m = chain_map(store, ranking.index, chain_id)
    scale, bands = print_bands(m, paper)
    printed = [Markup(chain_svg(m, band=b, scale=scale, ids=f"-p{k}")) for k, b in enumerate(bands, start=1)]
    return render(request, "map.html", user=user, m=m, svg=Markup(chain_svg(m)), bands=printed, day=today().isoformat(),
                  paper=paper, papers=PAPERS, money=money, pct=pct, stages=STAGE_TITLES, gap_titles=GAP_TITLES,
                  reason_titles=REASON_TITLES)
