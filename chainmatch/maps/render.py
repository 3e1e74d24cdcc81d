"""Chain maps written to files: an HTML page with the map as inline SVG, JSON and an XLSX workbook per chain.

Layout of ``out_dir`` (see :func:`write_maps`)::

    index.html                     every zone with its chains, gaps and targets, and every note
    summary.json                   the same for machines
    <zone>/index.html              the zone's chains, linking their pages
    <zone>/<chain>.html            the map (segments as columns, firms as nodes, known trades as arrows), strength,
                                   gaps with recruitment targets, open needs, party coverage
    <zone>/<chain>.json            the whole :class:`~chainmatch.maps.build.ChainMap`
    <zone>/<chain>.xlsx            sheets 概览, 环节企业, 缺口, 招商目标, 需求, 党建

Pages are self-contained (inline CSS and SVG, no script, no font or file fetched) and every text from the data
is escaped. File names come from ids; ids with characters outside ``[A-Za-z0-9._-]`` get a safe name with a hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainmatch.maps.build import (
    REASON_TITLES,
    STAGE_TITLES,
    Category,
    ChainMap,
    MapFirm,
    MapsResult,
    Progress,
    ZoneMaps,
)

__all__ = [
    "FONT_STACK",
    "WrittenMaps",
    "chain_bands",
    "chain_html",
    "chain_json",
    "chain_svg",
    "money",
    "pct",
    "safe_name",
    "svg_size",
    "write_chain_xlsx",
    "write_maps",
]

FONT_STACK = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif'
GAP_TITLES = {"missing": "缺失", "weak": "薄弱"}
FIRMS_DRAWN = 10
"""Firms drawn per category in the SVG (the chain leader always; the rest by output); all are in JSON and XLSX."""
TARGETS_DRAWN = 3
XLSX_FIRMS = 300
"""Firms listed per category in the workbook by default (largest first); JSON always holds every firm."""
ARROWS_DRAWN = 400

_REASON_TAGS = {"supplies_leader": "供链主", "buys_from_local": "采本地", "supplies_local": "供本地"}
_COL_W, _GAP_X, _MARGIN, _HEAD_H, _CAT_HEAD, _ROW_H, _PAD = 260, 70, 20, 62, 44, 20, 10
_STAGE_COLOURS = {"upstream": "#2f6db5", "midstream": "#2e8b57", "downstream": "#c26a1b"}
_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")

_CSS = f"""
body {{ font-family: {FONT_STACK}; margin: 24px; color: #1d2630; background: #fbfbfc; }}
h1 {{ font-size: 24px; margin: 0 0 6px; }} h2 {{ font-size: 18px; margin: 28px 0 8px; }}
.meta {{ color: #4a5662; margin: 2px 0; }}
.notes {{ border-left: 4px solid #c0392b; background: #fdf0ee; padding: 8px 12px; margin: 12px 0; }}
.notes li {{ margin: 3px 0; }}
.map {{ overflow-x: auto; border: 1px solid #d8dde3; background: #fff; padding: 6px; }}
table {{ border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }}
th, td {{ border: 1px solid #d8dde3; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #eef2f6; }} td.num {{ text-align: right; }}
.gap-missing {{ color: #c0392b; font-weight: bold; }} .gap-weak {{ color: #b9770e; font-weight: bold; }}
a {{ color: #1f5fa8; }}
"""


@dataclass(frozen=True)
class WrittenMaps:
    out_dir: Path
    files: list[Path]
    index_page: Path


def safe_name(id_: str) -> str:
    """A file name for an id: the id itself when it is plain ASCII, else a cleaned form with a short hash.

    >>> safe_name("LZ-C-CCH"), safe_name("食品/链")
    ('LZ-C-CCH', '_-a16b6a37')
    """
    if _SAFE.fullmatch(id_) and len(id_) <= 100:
        return id_
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", id_)[:60]
    return f"{clean}-{hashlib.sha1(id_.encode('utf-8')).hexdigest()[:8]}"


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _money(v: float | None) -> str:
    """Output in 万元 as people read it: 亿 above 10,000 万元."""
    if v is None:
        return "—"
    if v >= 10_000:
        return f"{v / 10_000:,.1f} 亿元"
    return f"{v:,.0f} 万元"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


money, pct = _money, _pct  # for the 产业链图谱 page (api/web/maps.py)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _firm_label(f: MapFirm) -> str:
    return f.short_name or f.name


# -- JSON ---------------------------------------------------------------------------------------


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _plain(x: Any) -> Any:
    """Dataclasses, tuples and lists as JSON-ready data; like ``dataclasses.asdict`` without its deep copies."""
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    if isinstance(x, (tuple, list)):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return {name: _plain(getattr(x, name)) for name in _field_names(type(x))}


def chain_json(m: ChainMap) -> dict[str, Any]:
    """The map as JSON-ready data (every firm, gap, target, link and note), with its summary counts."""
    data: dict[str, Any] = _plain(m)
    data["summary"] = {"firms": m.strength.firms, "segments": len(m.segments),
                       "categories": sum(len(s.categories) for s in m.segments), "gaps": len(m.gaps),
                       "targets": m.targets, "links": len(m.links), "needs": len(m.needs)}
    return data


# -- SVG ----------------------------------------------------------------------------------------


def _cat_height(c: Category) -> int:
    shown = min(len(c.firms), FIRMS_DRAWN)
    h = _CAT_HEAD + shown * _ROW_H
    if len(c.firms) > shown:
        h += 18
    if c.gap is not None:
        h += 22 + TARGETS_DRAWN * 18
    return h + _PAD


def svg_size(m: ChainMap) -> tuple[int, int]:
    """The drawing's width and height (in CSS pixels at scale 1) of :func:`chain_svg`."""
    cols = max(1, len(m.segments))
    heights = [_HEAD_H + sum(_cat_height(c) + 12 for c in s.categories) for s in m.segments] or [_HEAD_H]
    return 2 * _MARGIN + cols * _COL_W + (cols - 1) * _GAP_X, 2 * _MARGIN + max(heights) + 70


def _boxes(m: ChainMap) -> list[tuple[int, int]]:
    """(top, bottom) of what a cut across the drawing should not go through: the column heads, the category
    boxes and the legend."""
    _, height = svg_size(m)
    boxes = [(_MARGIN, _MARGIN + _HEAD_H - 8), (height - 70, height - 20)]
    for seg in m.segments:
        y = _MARGIN + _HEAD_H
        for cat in seg.categories:
            h = _cat_height(cat)
            boxes.append((y, y + h))
            y += h + 12
    return boxes


def chain_bands(m: ChainMap, first: float, rest: float) -> list[tuple[int, int]]:
    """The drawing cut across into bands, top to bottom, for printing a tall map over several pages: (top, bottom)
    in drawing units, the first band at most ``first`` high and the others at most ``rest``.

    Each cut is placed in the lower half of its band where it goes through the fewest column heads, category
    boxes and the legend (columns stack their boxes independently, so a clean cut is not always there), the lowest
    of those places. A map that fits in ``first`` is one band.
    """
    if first <= 0 or rest <= 0:
        raise ValueError("bands must be higher than 0")
    _, height = svg_size(m)
    boxes = _boxes(m)
    # Candidate cuts: the middle of the 12-pixel gap above and below each box.
    candidates = sorted({b + 6 for _, b in boxes} | {t - 6 for t, _ in boxes})
    bands: list[tuple[int, int]] = []
    top = 0
    while True:
        limit = int(top + (first if not bands else rest))
        if limit >= height:
            bands.append((top, height))
            return bands
        places = [y for y in candidates if top + (limit - top) / 2 <= y <= limit] + [limit]
        cut = min(places, key=lambda y: (sum(t < y < b for t, b in boxes), -y))
        bands.append((top, cut))
        top = cut


def chain_svg(m: ChainMap, *, band: tuple[int, int] | None = None, scale: float = 1.0, ids: str = "") -> str:
    """The map as an SVG drawing: segments as columns, firms as nodes, known trades as arrows.

    With ``band`` (top, bottom), only that slice of the drawing is shown (its viewBox), ``scale`` times its size;
    ``ids`` is added to the drawing's element ids (several drawings in one page: each its own arrow heads).
    """
    gaps = {g.category_id: g for g in m.gaps}
    width, height = svg_size(m)
    top, bottom = band or (0, height)
    shown_w, shown_h = round(width * scale), round((bottom - top) * scale)
    out: list[str] = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{shown_w}" height="{shown_h}" '
        f'viewBox="0 {top} {width} {bottom - top}" '
        f'role="img" aria-label="{_e(m.chain)} 产业链招商图谱" font-family=\'{FONT_STACK}\' font-size="12">'),
        (f"<defs><marker id=\"arrow{ids}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
        "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#5b6b7b\"/></marker>"
        f"<marker id=\"arrow-lead{ids}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
        "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#b8860b\"/></marker></defs>"),
    ]
    nodes: dict[str, tuple[int, int, int]] = {}  # firm id → (column, x of its dot, y)
    body: list[str] = []
    for k, seg in enumerate(m.segments):
        x = _MARGIN + k * (_COL_W + _GAP_X)
        colour = _STAGE_COLOURS.get(seg.stage, "#59636e")
        y = _MARGIN
        body.append(f'<g class="segment"><rect x="{x}" y="{y}" width="{_COL_W}" height="{_HEAD_H - 8}" rx="6" '
                    f'fill="{colour}"/>')
        stage = STAGE_TITLES.get(seg.stage, seg.stage)
        title = seg.name if seg.name.startswith(stage) else f"{stage} · {seg.name}"
        body.append(f'<text x="{x + 10}" y="{y + 20}" fill="#fff" font-size="14" font-weight="bold">'
                    f'{_e(_clip(title, 17))}</text>')
        s = seg.strength
        body.append(f'<text x="{x + 10}" y="{y + 42}" fill="#fff">{s.firms} 家 · {_e(_money(s.output))} · '
                    f'占 {_e(_pct(s.output_share))}</text><title>{_e(seg.name)}</title></g>')
        y += _HEAD_H
        for cat in seg.categories:
            h = _cat_height(cat)
            gap = gaps.get(cat.id)
            stroke = {"missing": "#c0392b", "weak": "#d68910"}.get(cat.gap or "", "#b8c2cc")
            dash = ' stroke-dasharray="6 4"' if cat.gap else ""
            fill = {"missing": "#fdecea", "weak": "#fef5e7"}.get(cat.gap or "", "#f7f9fb")
            body.append(f'<g class="category{" gap" if cat.gap else ""}" data-id="{_e(cat.id)}">'
                        f'<rect x="{x}" y="{y}" width="{_COL_W}" height="{h}" rx="5" fill="{fill}" stroke="{stroke}" '
                        f'stroke-width="1.5"{dash}/>')
            body.append(f'<text x="{x + 10}" y="{y + 18}" font-size="13" font-weight="bold">{_e(_clip(cat.name, 13))}'
                        "</text>")
            if cat.gap:
                body.append(f'<text x="{x + _COL_W - 10}" y="{y + 18}" text-anchor="end" fill="{stroke}" '
                            f'font-weight="bold">缺口·{_e(GAP_TITLES.get(cat.gap, cat.gap))}</text>')
            codes = " ".join(i.code for i in cat.industries) or "无行业代码"
            body.append(f'<text x="{x + 10}" y="{y + 35}" fill="#5b6b7b" font-size="11">'
                        f'{cat.strength.firms} 家 · 占 {_e(_pct(cat.strength.output_share))} · {_e(_clip(codes, 24))}'
                        f'</text><title>{_e(cat.name)}: '
                        f'{_e("、".join(f"{i.code} {i.name}" for i in cat.industries) or "无行业代码")}</title>')
            ry = y + _CAT_HEAD + 4
            for f in cat.firms[:FIRMS_DRAWN]:
                cx = x + 14
                if f.leader:
                    dot = (f'<path d="M{cx},{ry - 8} L{cx + 2.4},{ry - 2.5} L{cx + 8},{ry - 2.5} L{cx + 3.5},{ry + 1} '
                           f'L{cx + 5},{ry + 7} L{cx},{ry + 3.5} L{cx - 5},{ry + 7} L{cx - 3.5},{ry + 1} '
                           f'L{cx - 8},{ry - 2.5} L{cx - 2.4},{ry - 2.5} z" fill="#d4a017" stroke="#8a6508"/>')
                elif f.membership == "declared":
                    dot = f'<circle cx="{cx}" cy="{ry}" r="5" fill="{colour}"/>'
                else:
                    dot = f'<circle cx="{cx}" cy="{ry}" r="4.5" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
                label = _clip(_firm_label(f), 12) + ("（链主）" if f.leader else "")
                weight = ' font-weight="bold"' if f.leader else ""
                tip = (f"{f.name} · {'规上' if f.scale == 'above' else '规下'} · 产值 {_money(f.output)} · "
                       f"网格 {f.grid or '—'} · 党组织 {f.party or ('有' if f.has_party else '无')}"
                       + (" · 按行业归入" if f.membership == "industry" else ""))
                body.append(f'<g class="firm{" leader" if f.leader else ""}" data-id="{_e(f.id)}">{dot}'
                            f'<text x="{x + 26}" y="{ry + 4}"{weight}>{_e(label)}</text>'
                            f'<text x="{x + _COL_W - 10}" y="{ry + 4}" text-anchor="end" fill="#5b6b7b" '
                            f'font-size="11">{_e(_money(f.output))}</text><title>{_e(tip)}</title></g>')
                nodes.setdefault(f.id, (k, cx, ry))
                ry += _ROW_H
            if len(cat.firms) > FIRMS_DRAWN:
                body.append(f'<text x="{x + 26}" y="{ry + 2}" fill="#5b6b7b" font-size="11">另有 '
                            f'{len(cat.firms) - FIRMS_DRAWN} 家（见 XLSX/JSON）</text>')
                ry += 18
            if gap is not None:
                body.append(f'<text x="{x + 10}" y="{ry + 6}" fill="#c0392b" font-size="12" font-weight="bold">'
                            f'招商目标</text>')
                ry += 22
                if not gap.targets:
                    body.append(f'<text x="{x + 10}" y="{ry}" fill="#7b2c20" font-size="11">'
                                f'{_e(_clip(gap.note or "无", 22))}</text><title>{_e(gap.note or "")}</title>')
                for t in gap.targets[:TARGETS_DRAWN]:
                    why = "/".join(dict.fromkeys(_REASON_TAGS[r.kind] for r in t.reasons if r.kind in _REASON_TAGS))
                    body.append(f'<g class="target"><text x="{x + 14}" y="{ry}" fill="#7b2c20" font-size="11">'
                                f'{t.rank}. {_e(_clip(t.short_name or t.name, 9))}</text>'
                                f'<text x="{x + _COL_W - 10}" y="{ry}" text-anchor="end" fill="#7b2c20" '
                                f'font-size="10">{_e(why or "补环节")}</text>'
                                f'<title>{_e(t.name)}（{_e(t.zone)}）: {_e("；".join(r.text for r in t.reasons))}</title>'
                                "</g>")
                    ry += 18
            body.append("</g>")
            y += h + 12
    # Known trades between drawn firms, as arrows supplier → buyer.
    arrows: list[str] = []
    drawn = 0
    leaders = {f.id for f in m.leaders}
    for link in m.links:
        a, b = nodes.get(link.supplier_id), nodes.get(link.buyer_id)
        if a is None or b is None or link.supplier_id == link.buyer_id:
            continue
        if drawn >= ARROWS_DRAWN:
            break
        drawn += 1
        (ka, xa, ya), (kb, xb, yb) = a, b
        right_a = _MARGIN + ka * (_COL_W + _GAP_X) + _COL_W
        right_b = _MARGIN + kb * (_COL_W + _GAP_X) + _COL_W
        if ka < kb:
            d = f"M{right_a},{ya} C{right_a + 45},{ya} {xb - 55},{yb} {xb - 8},{yb}"
        elif ka > kb:
            d = f"M{xa - 8},{ya} C{xa - 55},{ya} {right_b + 45},{yb} {right_b},{yb}"
        else:
            d = f"M{right_a},{ya} C{right_a + 40},{ya} {right_b + 40},{yb} {right_b + 2},{yb}"
        lead = link.supplier_id in leaders or link.buyer_id in leaders
        arrows.append(f'<path class="trade" d="{d}" fill="none" stroke="{"#b8860b" if lead else "#5b6b7b"}" '
                      f'stroke-opacity="{0.85 if lead else 0.45}" stroke-width="{1.6 if lead else 1.1}" '
                      f'marker-end="url(#{"arrow-lead" if lead else "arrow"}{ids})"/>')
    out += arrows + body
    ly = height - 50
    out.append(f'<g class="legend" font-size="12"><text x="{_MARGIN}" y="{ly}" font-weight="bold">图例</text>'
               f'<path d="M{_MARGIN + 50},{ly - 12} l2.4,5.5 h5.6 l-4.5,3.5 l1.5,6 l-5,-3.5 l-5,3.5 l1.5,-6 '
               f'l-4.5,-3.5 h5.6 z" fill="#d4a017" stroke="#8a6508"/><text x="{_MARGIN + 62}" y="{ly}">链主企业</text>'
               f'<circle cx="{_MARGIN + 140}" cy="{ly - 4}" r="5" fill="#2f6db5"/>'
               f'<text x="{_MARGIN + 150}" y="{ly}">链上登记企业</text>'
               f'<circle cx="{_MARGIN + 250}" cy="{ly - 4}" r="4.5" fill="#fff" stroke="#2f6db5" stroke-width="1.5"/>'
               f'<text x="{_MARGIN + 260}" y="{ly}">按行业归入的区内企业</text>'
               f'<rect x="{_MARGIN + 400}" y="{ly - 12}" width="26" height="14" fill="#fdecea" stroke="#c0392b" '
               f'stroke-dasharray="6 4"/><text x="{_MARGIN + 432}" y="{ly}">缺口环节（附招商目标）</text>'
               f'<path d="M{_MARGIN + 580},{ly - 4} h34" stroke="#5b6b7b" marker-end="url(#arrow{ids})"/>'
               f'<text x="{_MARGIN + 620}" y="{ly}">已知供货（供方 → 买方）</text></g>')
    if drawn < sum(1 for _ in m.links):
        out.append(f'<text x="{_MARGIN}" y="{ly + 22}" fill="#5b6b7b" font-size="11">图中画出 {drawn} 条供货关系'
                   f'（共 {len(m.links)} 条，未画出的涉及未显示的企业或超出上限）</text>')
    out.append("</svg>")
    return "\n".join(out)


# -- HTML ---------------------------------------------------------------------------------------


def _page(title: str, body: Iterable[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], num: Sequence[int] = ()) -> str:
    """A table; cells are already-escaped HTML."""
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return '<div class="notes"><b>说明</b><ul>' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul></div>"


def chain_html(m: ChainMap, *, zone_index: str = "index.html") -> str:
    """The chain's page: the map as inline SVG, then strength, gaps with targets, needs and party coverage."""
    leaders = "、".join(f.name for f in m.leaders) or "（未设链主）"
    p = m.party
    body = [
        f'<p class="meta"><a href="{_e(zone_index)}">← {_e(m.zone or "开发区")} 全部产业链</a></p>',
        f"<h1>{_e(m.chain)} 产业链招商图谱</h1>",
        f'<p class="meta">开发区：{_e(m.zone or "—")} · 链主：{_e(leaders)} · 工作专班：{_e(m.task_force or "—")}</p>',
        (f'<p class="meta">区内链上企业 {m.strength.firms} 家（规上 {m.strength.above_scale} 家），产值 '
        f'{_e(_money(m.strength.output))} · 缺口 {len(m.gaps)} 个 · 招商目标 {m.targets} 家次 · '
        f'党组织覆盖 {p.with_party}/{p.firms}（{_e(_pct(p.rate))}）</p>'),
        _notes(m.notes),
        f'<div class="map">{chain_svg(m)}</div>',
        "<h2>环节实力</h2>",
        _table(["环节", "细分", "上中下游", "行业", "企业数", "规上", "产值", "产值占比", "缺口"], (
            [_e(s.name), _e(c.name), _e(STAGE_TITLES.get(c.stage, c.stage)),
             _e("、".join(f"{i.code} {i.name}" for i in c.industries) or "无行业代码"), str(c.strength.firms),
             str(c.strength.above_scale), _e(_money(c.strength.output)), _e(_pct(c.strength.output_share)),
             f'<span class="gap-{_e(c.gap)}">{_e(GAP_TITLES.get(c.gap, c.gap))}</span>' if c.gap else ""]
            for s in m.segments for c in s.categories), num=(4, 5, 6, 7)),
        (f"<h2>缺口与招商目标</h2><p class=\"meta\">缺口标准：本地企业少于 {m.thresholds.min_firms} 家或产值占比低于 "
        f"{_e(_pct(m.thresholds.min_output_share))}；每个缺口列出至多 {m.thresholds.targets_per_gap} 家区外企业。</p>"),
    ]
    if not m.gaps:
        body.append("<p>本链各环节均有本地企业覆盖，未发现缺口。</p>")
    for g in m.gaps:
        body.append(f'<h3>{_e(g.segment)} · {_e(g.category)} <span class="gap-{_e(g.kind)}">'
                    f'{_e(GAP_TITLES.get(g.kind, g.kind))}</span></h3>')
        body.append(f'<p class="meta">本地企业 {g.firms} 家，产值占比 {_e(_pct(g.output_share))}；行业 '
                    f'{_e("、".join(f"{i.code} {i.name}" for i in g.industries) or "无")}；考察区外企业 {g.pool} 家。</p>')
        if g.note:
            body.append(f"<p>{_e(g.note)}</p>")
        if g.targets:
            body.append(_table(["#", "企业", "所在地", "行业", "规模", "产值", "理由", "得分"], (
                [str(t.rank), _e(t.name), _e(t.zone), _e("、".join(t.industries)),
                 "规上" if t.scale == "above" else "规下", _e(_money(t.output)),
                 "<br>".join(f"<b>{_e(REASON_TITLES[r.kind])}</b>：{_e(r.text)}" for r in t.reasons),
                 f"{t.score:.2f}"] for t in g.targets), num=(0, 5, 7)))
    body.append("<h2>链上待对接需求</h2>")
    if m.needs:
        body.append(_table(["需求", "类别", "产品", "企业", "环节"], (
            [_e(n.title), _e(n.kind_title), _e(n.product), _e(n.firm), _e("、".join(n.segments))] for n in m.needs)))
    else:
        body.append("<p>链上企业没有待对接的需求。</p>")
    body.append("<h2>党建覆盖</h2>")
    body.append(f"<p>链上企业 {p.firms} 家，其中 {p.with_party} 家有党组织（{_e(_pct(p.rate))}）。</p>")
    for c in p.committees:
        body.append(f"<p><b>{_e(c.name)}</b>：下设 {len(c.members)} 个党组织</p>")
        if c.members:
            body.append(_table(["党组织", "所在企业", "在本图谱中"], (
                [_e(x.org), _e(x.firm or "—"), "是" if x.on_map else "否"] for x in c.members)))
    if not p.committees:
        body.append("<p>没有综合党委或行业党委服务该链。</p>")
    if p.serving:
        body.append(f"<p>服务该链的其他党组织：{_e('、'.join(p.serving))}</p>")
    body.append(f'<p class="meta">数据文件：<a href="{_e(safe_name(m.chain_id))}.json">JSON</a> · '
                f'<a href="{_e(safe_name(m.chain_id))}.xlsx">XLSX</a></p>')
    return _page(f"{m.chain} 产业链招商图谱 · {m.zone or ''}", body)


def zone_html(z: ZoneMaps) -> str:
    """The zone's index page: its chains with leaders, firms, gaps and targets, linking each map."""
    body = ['<p class="meta"><a href="../index.html">← 全部开发区</a></p>',
            f"<h1>{_e(z.zone)} 产业链招商图谱</h1>", _notes(z.notes)]
    if z.maps:
        body.append(_table(["产业链", "链主", "环节", "企业", "缺口", "招商目标", "说明", "数据"], (
            [f'<a href="{_e(safe_name(m.chain_id))}.html">{_e(m.chain)}</a>', _e("、".join(f.name for f in m.leaders)),
             str(len(m.segments)), str(m.strength.firms), str(len(m.gaps)), str(m.targets),
             "<br>".join(_e(n) for n in m.notes),
             f'<a href="{_e(safe_name(m.chain_id))}.json">JSON</a> · <a href="{_e(safe_name(m.chain_id))}.xlsx">XLSX</a>']
            for m in z.maps), num=(2, 3, 4, 5)))
    return _page(f"{z.zone} 产业链招商图谱", body)


def _root_html(result: MapsResult) -> str:
    body = ["<h1>产业链招商图谱</h1>",
            (f'<p class="meta">{len(result.zones)} 个开发区 · {result.chains} 条产业链 · 缺口 {result.gaps} 个 · '
            f"招商目标 {result.targets} 家次</p>"),
            _table(["开发区", "产业链", "缺口", "招商目标"], (
                [f'<a href="{_e(safe_name(z.zone_id))}/index.html">{_e(z.zone)}</a>', str(len(z.maps)),
                 str(sum(len(m.gaps) for m in z.maps)), str(sum(m.targets for m in z.maps))]
                for z in result.zones), num=(1, 2, 3)),
            _notes(result.notes)]
    return _page("产业链招商图谱", body)


# -- XLSX ---------------------------------------------------------------------------------------


def _firm_rows(m: ChainMap, per_category: int | None) -> Iterable[list[object]]:
    for s in m.segments:
        for c in s.categories:
            shown = c.firms if per_category is None else c.firms[:per_category]
            for f in shown:
                yield [s.name, c.name, STAGE_TITLES.get(c.stage, c.stage), f.id, f.name, f.short_name,
                       "是" if f.leader else "", "规上" if f.scale == "above" else "规下", f.output, f.grid or "",
                       f.party or ("有" if f.has_party else "无"),
                       "链上登记" if f.membership == "declared" else "按行业归入", " ".join(f.industries)]
            if len(c.firms) > len(shown):
                yield [s.name, c.name, STAGE_TITLES.get(c.stage, c.stage), "",
                       f"另有 {len(c.firms) - len(shown)} 家（产值较小，完整名单见 JSON）"]


def write_chain_xlsx(m: ChainMap, path: Path, *, firms_per_category: int | None = XLSX_FIRMS) -> None:
    """The workbook for staff: 概览, 环节企业, 缺口, 招商目标, 需求, 党建.

    环节企业 lists each category's firms, the chain leader first and then by output, at most
    ``firms_per_category`` of them (None: all) and a row saying how many more the JSON holds.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, head: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int]) -> None:
        ws = wb.create_sheet(title)
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"
        header = []
        for h in head:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for r in rows:
            cells: list[object] = []
            for v in r:
                if isinstance(v, str):
                    v = ILLEGAL_CHARACTERS_RE.sub("", v)
                    if v.startswith("="):  # data, never a formula
                        cell = WriteOnlyCell(ws, value=v)
                        cell.data_type = "s"
                        cells.append(cell)
                        continue
                cells.append(v)
            ws.append(cells)

    p = m.party
    sheet("概览", ["项目", "内容"], [
        ["产业链", m.chain], ["开发区", m.zone or ""], ["链主", "、".join(f.name for f in m.leaders)],
        ["工作专班", m.task_force or ""], ["区内链上企业", m.strength.firms], ["规上企业", m.strength.above_scale],
        ["产值(万元)", m.strength.output], ["缺口", len(m.gaps)], ["招商目标(家次)", m.targets],
        ["党组织覆盖", f"{p.with_party}/{p.firms}"],
        ["缺口标准", f"企业少于 {m.thresholds.min_firms} 家或产值占比低于 {_pct(m.thresholds.min_output_share)}"],
        *[["说明", n] for n in m.notes],
    ], [16, 100])
    sheet("环节企业", ["环节", "细分环节", "上中下游", "企业编号", "企业名称", "简称", "链主", "规模", "产值(万元)",
                     "网格", "党组织", "归入方式", "行业代码"], _firm_rows(m, firms_per_category),
          [22, 16, 8, 22, 34, 14, 6, 6, 12, 18, 28, 10, 16])
    sheet("缺口", ["环节", "细分环节", "上中下游", "缺口类型", "本地企业数", "产值占比", "行业", "考察区外企业",
                 "招商目标数", "说明"], (
        [g.segment, g.category, STAGE_TITLES.get(g.stage, g.stage), GAP_TITLES.get(g.kind, g.kind), g.firms,
         g.output_share, "、".join(f"{i.code} {i.name}" for i in g.industries), g.pool, len(g.targets), g.note or ""]
        for g in m.gaps), [22, 16, 8, 8, 10, 10, 50, 12, 10, 50])
    sheet("招商目标", ["细分环节", "排名", "企业编号", "企业名称", "所在地", "规模", "产值(万元)", "行业", "得分",
                   "供应链主", "采购本地企业产品", "供应本地企业", "补齐环节"], (
        [g.category, t.rank, t.id, t.name, t.zone, "规上" if t.scale == "above" else "规下", t.output,
         " ".join(t.industries), t.score,
         *["；".join(r.text for r in t.reasons if r.kind == k) for k in REASON_TITLES]]
        for g in m.gaps for t in g.targets), [16, 6, 22, 34, 22, 6, 12, 12, 8, 50, 50, 40, 40])
    sheet("需求", ["需求编号", "需求", "类别", "产品", "企业编号", "企业", "环节"], (
        [n.id, n.title, n.kind_title, n.product, n.firm_id, n.firm, "、".join(n.segments)] for n in m.needs),
        [16, 40, 10, 16, 22, 34, 24])
    sheet("党建", ["党委", "类型", "下属党组织", "所在企业", "在本图谱中"], [
        *([c.name, c.kind, x.org, x.firm or "", "是" if x.on_map else "否"] for c in p.committees for x in c.members),
        *([c.name, c.kind, "", "", ""] for c in p.committees if not c.members),
        ["链上企业有党组织", "", f"{p.with_party}/{p.firms}", _pct(p.rate), ""],
    ], [30, 14, 34, 34, 10])
    wb.save(path)


# -- everything ---------------------------------------------------------------------------------


def write_maps(result: MapsResult, out_dir: Path, *, xlsx_firms: int | None = XLSX_FIRMS,
               progress: Progress | None = None) -> WrittenMaps:
    """Write every map of ``result`` under ``out_dir`` (created if missing): pages, JSON, XLSX and index pages.

    ``xlsx_firms`` bounds the firms listed per category in each workbook (None: all of them); ``progress`` is
    called after each chain's files with (done, total, chain name).
    """
    done = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        files.append(path)

    for z in result.zones:
        folder = out_dir / safe_name(z.zone_id)
        folder.mkdir(exist_ok=True)
        for m in z.maps:
            stem = safe_name(m.chain_id)
            write(folder / f"{stem}.html", chain_html(m))
            write(folder / f"{stem}.json", json.dumps(chain_json(m), ensure_ascii=False))
            write_chain_xlsx(m, folder / f"{stem}.xlsx", firms_per_category=xlsx_firms)
            files.append(folder / f"{stem}.xlsx")
            done += 1
            if progress is not None:
                progress(done, result.chains, m.chain)
        write(folder / "index.html", zone_html(z))
    summary = {
        "zones": [{"id": z.zone_id, "name": z.zone, "notes": list(z.notes), "chains": [
            {"id": m.chain_id, "name": m.chain, "leaders": [f.name for f in m.leaders], "firms": m.strength.firms,
             "gaps": len(m.gaps), "targets": m.targets, "notes": list(m.notes),
             "files": {k: f"{safe_name(z.zone_id)}/{safe_name(m.chain_id)}.{k}" for k in ("html", "json", "xlsx")}}
            for m in z.maps]} for z in result.zones],
        "chains": result.chains, "gaps": result.gaps, "targets": result.targets,
        "thresholds": dataclasses.asdict(result.thresholds),
    }
    write(out_dir / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2))
    index = out_dir / "index.html"
    write(index, _root_html(result))
    return WrittenMaps(out_dir, files, index)
