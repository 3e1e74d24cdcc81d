"""Write seeds/demo: the five zones of the source reports, their named firms and mechanisms, plus synthetic firms.

Run from the repository root: ``.venv/bin/python tools/make_demo_synthetic.py``. The output is deterministic
(one ``random.Random(2024)``); the CSVs it writes are committed, so the demo never depends on this script at
run time. Real records (named in the reports) have ``synthetic=false``; everything invented has ``synthetic=true``.
"""

from __future__ import annotations

import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chainmatch.synth import CHAIN_BY_KEY
from chainmatch.synth import COLUMNS as SYNTH_COLUMNS

# The files of the zones' workflows (problems, matchmaking events), beside those chainmatch.synth writes.
COLUMNS: dict[str, tuple[str, ...]] = {
    **SYNTH_COLUMNS,
    "problems.csv": ("id", "title", "category", "description", "status", "level", "raised_on", "due_on", "closed_on",
                     "on_time", "feedback_due_on", "evaluation", "evaluation_note", "evaluated_on", "evaluated_by",
                     "escalations", "reopened", "steps", "grid", "departments", "synthetic", "source",
                     "enterprise_id", "grid_id", "zone_id", "reporter_id", "handler_id"),
    "problem_steps.csv": ("id", "status", "action", "level", "at", "by", "department_id", "note", "problem_id"),
    "problem_departments.csv": ("from_id", "to_id", "on", "acknowledged_on"),
    "match_events.csv": ("id", "title", "product", "held_on", "status", "direction", "changes", "synthetic", "source",
                         "host_id", "need_id", "chain_id", "zone_id"),
    "event_invitees.csv": ("from_id", "to_id", "rank", "score", "reasons", "origin", "attended", "project_id"),
}

OUT = ROOT / "seeds" / "demo"
rng = random.Random(2024)

A000 = "seed-articles/000_52b5b9f07f4d903c.txt"
A001 = "seed-articles/001_e9487d9b9003e1a9.txt"
A002 = "seed-articles/002_d2f444cb934b8765.txt"
A003 = "seed-articles/003_b1a15777e30e6558.txt"
A004 = "seed-articles/004_992aaebfb3c9a04f.txt"
ASSUMED = "；企业全称为推定，未核对工商登记"
SYN = "合成数据"

rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
_ids: set[str] = set()
_names: set[str] = set()
# firm id -> (short name, products, segment names) for later lookups
firms: dict[str, dict[str, Any]] = {}


def add(file: str, **row: Any) -> dict[str, Any]:
    if "id" in row:
        assert row["id"] not in _ids, row["id"]
        _ids.add(row["id"])
    for k in row:
        assert k in COLUMNS[file], (file, k)
    rows[file].append(row)
    return row


def b(flag: bool) -> str:
    return "true" if flag else "false"


# ------------------------------------------------------------------------------------------------ names

SYL = ("鑫华宏盛达恒瑞丰源泰兴隆昌荣腾飞祥和顺通利康安信德诚中天正大金宝龙嘉佳美新创科宇豪博远航明辉光耀"
       "星润泽晨阳乐福永久长青松柏锦绣江山川河湖泉林森鼎立铭志启迪智英杰俊卓越优品尚精工良匠汇聚合众万方百千禾")
SURN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建国志文斌宁浩鹏飞凯欣悦晨宇航思雨"


def person_name() -> str:
    return rng.choice(SURN) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def firm_name(place: str, word: str, form: str = "有限公司") -> tuple[str, str]:
    while True:
        zihao = rng.choice(SYL) + rng.choice(SYL)
        if zihao[0] == zihao[1]:
            continue
        name = f"{place}{zihao}{word}{form}"
        if name not in _names:
            _names.add(name)
            return name, f"{zihao}{word}"


# ------------------------------------------------------------------------------------------------ builders


@dataclass
class Chain:
    id: str
    template: str
    seg: dict[str, str] = field(default_factory=dict)  # leaf name -> segment id


def chain(zone: str, cid: str, name: str, template: str, leaders: list[str], task_force: str,
          only: list[str] | None = None) -> Chain:
    """A chain row and its segments from a synth template (``only`` keeps a subset of the leaves)."""
    t = CHAIN_BY_KEY[template]
    add("chains.csv", id=cid, name=name, template=template, task_force=task_force, zone_id=zone,
        leader_ids=";".join(leaders))
    ch = Chain(cid, template)
    stages = ("upstream", "midstream", "downstream")
    for s, title in enumerate(t.stages):
        leaves = [g for g in t.segments if g.stage == stages[s] and (only is None or g.name in only)]
        if not leaves:
            continue
        pid = f"{cid}-S{s + 1}"
        add("segments.csv", id=pid, name=f"{('上游', '中游', '下游')[s]}：{title}", stage=stages[s], order=s + 1,
            industry_codes=";".join(dict.fromkeys(c for g in leaves for c in g.codes)), products="",
            chain_id=cid, parent_id="")
    for i, g in enumerate(t.segments):
        if only is not None and g.name not in only:
            continue
        sid = f"{cid}-S{stages.index(g.stage) + 1}-{i + 1:02d}"
        add("segments.csv", id=sid, name=g.name, stage=g.stage, order=10 + i, industry_codes=";".join(g.codes),
            products=";".join(p for p, _ in g.products), chain_id=cid, parent_id=f"{cid}-S{stages.index(g.stage) + 1}")
        ch.seg[g.name] = sid
    return ch


def firm(fid: str, name: str, short: str, zone: str, grid: str, products: list[str], codes: list[str] | None,
         segs: list[str], *, scale: str, output: float, employees: int, synthetic: bool, source: str,
         aliases: list[str] | None = None, scope: str = "") -> str:
    _names.add(name)
    add("enterprises.csv", id=fid, uscc="", name=name, short_name=short, aliases=";".join(aliases or []),
        scope=scope or f"{'、'.join(products)}的研发、生产和销售", scale=scale, output_value=output,
        employees=employees, synthetic=b(synthetic), source=source, zone_id=zone, grid_id=grid,
        products=";".join(products), industry_codes=";".join(codes) if codes else "", segment_ids=";".join(segs))
    firms[fid] = {"short": short, "products": products, "zone": zone, "name": name}
    return fid


def synth_firms(prefix: str, start: int, count: int, zone: str, ch: Chain | None, template: str, leaf: str,
                place: str, grids: list[str], *, above_share: float = 0.3, no_code_share: float = 0.12,
                words: tuple[str, ...] | None = None) -> list[str]:
    """``count`` synthetic firms of one template segment, spread round-robin over ``grids``."""
    g = next(s for s in CHAIN_BY_KEY[template].segments if s.name == leaf)
    out = []
    for k in range(count):
        fid = f"{prefix}-E-{start + k:03d}"
        name, short = firm_name(place, rng.choice(words or g.words),
                                rng.choice(("有限公司", "有限公司", "有限公司", "有限责任公司")))
        n = rng.choice((1, 1, 2, 2, 3))
        prods = list(dict.fromkeys(rng.choice(g.products) for _ in range(n)))
        above = rng.random() < above_share
        codes = None if rng.random() < no_code_share else list(dict.fromkeys(c for p, c in prods))
        firm(fid, name, short, zone, grids[(start + k) % len(grids)] if grids else "", [p for p, _ in prods], codes,
             [ch.seg[leaf]] if ch and leaf in ch.seg else [],
             scale="above" if above else "below",
             output=rng.randint(2500, 90000) if above else rng.randint(150, 1950),
             employees=rng.randint(80, 1200) if above else rng.randint(8, 120), synthetic=True, source=SYN)
        out.append(fid)
    return out


def grid(gid: str, name: str, level: int, kind: str, type_: str, zone: str, parent: str, synthetic: bool = True) -> str:
    add("grids.csv", id=gid, name=name, level=level, kind=kind, type=type_, synthetic=b(synthetic), zone_id=zone,
        parent_id=parent)
    return gid


def person(pid: str, name: str, role: str, organ: str, zone: str, synthetic: bool = True) -> str:
    add("people.csv", id=pid, name=name, role=role, organ=organ, synthetic=b(synthetic), zone_id=zone)
    return pid


def party(poid: str, name: str, kind: str, zone: str, parent: str = "", grids: list[str] | None = None,
          enterprise: str = "", chains: list[str] | None = None, members: int | None = None,
          synthetic: bool = True) -> str:
    add("party_organizations.csv", id=poid, name=name, kind=kind,
        members=members if members is not None else rng.randint(5, 60), synthetic=b(synthetic), zone_id=zone,
        parent_id=parent, grid_ids=";".join(grids or []), enterprise_id=enterprise, chain_ids=";".join(chains or []))
    return poid


def post(pid: str, to: str, title: str) -> None:
    add("posts.csv", from_id=pid, to_id=to, title=title)


def chief_of(pid: str, gid: str, since: str) -> None:
    add("grid_staff.csv", from_id=pid, to_id=gid, since=since)


def member_of(pid: str, gid: str) -> None:
    add("grid_members.csv", from_id=pid, to_id=gid)


def liaison(frm: str, to: str, note: str) -> None:
    add("liaisons.csv", from_id=frm, to_id=to, note=note)


def trade(frm: str, to: str, product: str, since: str, source: str) -> None:
    add("trades.csv", from_id=frm, to_id=to, product=product, since=since, source=source)


def need(nid: str, title: str, kind: str, status: str, posted: str, zone: str, enterprise: str, *,
         product: str = "", description: str = "", due: str = "", synthetic: bool = True) -> str:
    add("needs.csv", id=nid, title=title, kind=kind, product=product, description=description, status=status,
        posted_on=posted, due_on=due, synthetic=b(synthetic), zone_id=zone, enterprise_id=enterprise)
    return nid


def resource(rid: str, title: str, kind: str, zone: str, provider: str, *, product: str = "",
             description: str = "", synthetic: bool = True) -> str:
    add("resources.csv", id=rid, title=title, kind=kind, product=product, description=description,
        synthetic=b(synthetic), zone_id=zone, provider_id=provider)
    return rid


def project(pjid: str, title: str, zone: str, owner: str, parties: list[tuple[str, str]],
            steps: list[tuple[str, str, str]], *, event: str = "", need_id: str = "", resource_id: str = "",
            due: str = "", synthetic: bool = True) -> str:
    """A project; its status is the last step's; ``steps`` are (status, YYYY-MM-DD, note)."""
    add("projects.csv", id=pjid, title=title, status=steps[-1][0], event=event, created_on=steps[0][1],
        due_on=due, synthetic=b(synthetic), zone_id=zone, owner_id=owner, need_id=need_id,
        resource_id=resource_id)
    for frm, role in parties:
        add("project_parties.csv", from_id=frm, to_id=pjid, role=role)
    for i, (status, day, note) in enumerate(steps):
        add("project_steps.csv", id=f"{pjid}-{i + 1}", status=status, at=f"{day}T{9 + i % 8:02d}:30:00+08:00",
            by=owner, note=note, project_id=pjid)
    return pjid


def day(start: str, plus: int) -> str:
    import datetime as dt
    return (dt.date.fromisoformat(start) + dt.timedelta(days=plus)).isoformat()


def products_of(fid: str) -> list[str]:
    return list(firms[fid]["products"])


# ================================================================================================ 漯河 (000)


def luohe() -> None:
    z = "LH"
    add("zones.csv", id=z, name="漯河经济技术开发区", short_name="漯河经开区", kind="etdz", province="河南",
        city="漯河市", source=f"{A000}：党建+网格+大数据；390个专属网格、210名区直机关干部任网格长、新建党支部32个")
    depts = {
        "jf": "经济发展局", "zs": "招商局", "zr": "自然资源和规划分局", "rs": "人力资源和社会保障局",
        "sj": "市场监督管理分局", "yj": "应急管理局", "kj": "科技和工业信息化局", "cz": "财政金融局",
        "zj": "住房和城乡建设局",
    }
    for k, name in depts.items():
        add("departments.csv", id=f"LH-D-{k}", name=name, zone_id=z)
    organs = [f"漯河经开区{n}" for n in depts.values()] + ["漯河经开区党政办公室", "漯河经开区党群工作部"]
    # ---- grids: 3 片区 → 6 单元 → exclusive grids (a representative subset of the 390)
    areas = [("1", "食品产业片区"), ("2", "智能装备产业片区"), ("3", "液压科技产业片区")]
    l2: dict[str, list[str]] = {}
    for a, aname in areas:
        grid(f"LH-G-{a}", aname, 1, "exclusive", "block", z, "")
        l2[a] = [grid(f"LH-G-{a}-0{u}", f"{aname}第{u}单元", 2, "exclusive", "area", z, f"LH-G-{a}") for u in (1, 2)]
    l3: dict[str, list[str]] = {"1": [], "2": [], "3": []}
    counter = {"1": 0, "2": 0, "3": 0}

    def l3grid(a: str, name: str, point: bool) -> str:
        counter[a] += 1
        parent = l2[a][(counter[a] - 1) % 2]
        gid = grid(f"{parent}-{counter[a]:02d}", name, 3, "exclusive", "point" if point else "area", z, parent)
        l3[a].append(gid)
        return gid

    g_sh = l3grid("1", "双汇专属网格", True)
    g_zl = l3grid("1", "中粮专属网格", True)
    g_wl = l3grid("1", "卫龙专属网格", True)
    g_yjx = l3grid("1", "亿家馨专属网格", True)
    g_lt = l3grid("3", "利通科技专属网格", True)
    g_hl = l3grid("3", "汇龙液压专属网格", True)
    g_mz = l3grid("2", "铭智新能源专属网格", True)
    food_grids = [l3grid("1", f"食品企业第{i}专属网格", False) for i in range(1, 16)]
    equip_grids = [l3grid("2", f"装备企业第{i}专属网格", False) for i in range(1, 5)]
    hyd_grids = [l3grid("3", f"液压企业第{i}专属网格", False) for i in range(1, 5)]
    # ---- chains
    food = chain(z, "LH-C-FOOD", "食品", "food", ["LH-E-001", "LH-E-003"], "漯河经开区食品产业链工作专班")
    equip = chain(z, "LH-C-EQUIP", "智能装备", "equipment", ["LH-E-008"], "漯河经开区智能装备产业链工作专班")
    hyd = chain(z, "LH-C-HYD", "液压科技", "hydraulics", ["LH-E-004"], "漯河经开区液压科技产业链工作专班")
    # ---- named firms
    src = f"{A000}"
    firm("LH-E-001", "漯河双汇实业集团有限责任公司", "双汇", z, g_sh, ["冷鲜肉", "火腿肠", "低温肉制品", "肉罐头"],
         ["1351", "1353", "1451"], [food.seg["屠宰及肉制品"]], scale="above", output=3200000, employees=12000,
         synthetic=False, source=src + "；产值、人数为示意", aliases=["双汇集团", "双汇实业"])
    firm("LH-E-002", "中粮（漯河）粮油工业有限公司", "中粮", z, g_zl, ["小麦粉", "食用植物油"], ["1312", "1331"],
         [food.seg["粮油加工"]], scale="above", output=450000, employees=900, synthetic=False,
         source=src + "；报道只称“中粮”，当地子公司全称为推定", aliases=["中粮漯河", "中粮集团"])
    firm("LH-E-003", "漯河卫龙食品有限公司", "卫龙", z, g_wl, ["调味面制品", "魔芋制品", "休闲豆制品"],
         ["1439", "1392"], [food.seg["休闲及方便食品"]], scale="above", output=600000, employees=6000,
         synthetic=False, source=src + ASSUMED, aliases=["卫龙食品", "卫龙美味"])
    firm("LH-E-004", "漯河利通液压科技股份有限公司", "利通", z, g_lt,
         ["超高压液压胶管", "钢丝编织胶管", "胶管总成", "液压管件", "高压灭菌设备", "超高压清洗设备"],
         ["2912", "3444", "3531", "3499"],
         [hyd.seg["液压胶管"], hyd.seg["液压管件"], hyd.seg["超高压装备"], food.seg["食品装备"]],
         scale="above", output=120000, employees=1500, synthetic=False,
         source=src + "；新型高压灭菌设备见报道；产值、人数为示意", aliases=["利通科技", "利通液压"])
    firm("LH-E-005", "漯河市汇龙液压科技有限公司", "汇龙液压", z, g_hl, ["液压管接头", "快速接头", "液压油缸"],
         ["3444"], [hyd.seg["液压管件"], hyd.seg["液压泵阀缸"]], scale="above", output=18000, employees=260,
         synthetic=False, source=src + "；报道只称“汇龙液压”" + ASSUMED, aliases=["汇龙"])
    firm("LH-E-006", "铭智新能源科技股份有限公司漯河生产基地", "铭智新能源", z, g_mz, ["储能电池模组"], None, [],
         scale="below", output=1500, employees=150, synthetic=False,
         source=src + "；签约后纳入专属网格管理，两个月投产；产品为推定", aliases=["铭智新能源科技", "铭智"])
    firm("LH-E-007", "漯河亿家馨食品有限公司", "亿家馨", z, g_yjx, ["卤制肉制品", "即食食品"], ["1353"],
         [food.seg["屠宰及肉制品"]], scale="below", output=1800, employees=90, synthetic=False,
         source=src + "；签约采购高压灭菌设备见报道；产品为推定", aliases=["亿家馨食品"])
    # ---- synthetic firms
    firm("LH-E-008", "漯河金鼎智能装备有限公司", "金鼎智能", z, equip_grids[0], ["食品加工设备", "包装机械"],
         ["3531", "3467"], [equip.seg["专用整机"]], scale="above", output=65000, employees=700, synthetic=True,
         source=SYN)
    n = 9
    fg = food_grids
    meat = synth_firms(z, n, 24, z, food, "food", "屠宰及肉制品", "漯河", fg); n += 24
    snack = synth_firms(z, n, 26, z, food, "food", "休闲及方便食品", "漯河", fg); n += 26
    cond = synth_firms(z, n, 10, z, food, "food", "调味品", "漯河", fg); n += 10
    drink = synth_firms(z, n, 10, z, food, "food", "饮料及酒", "漯河", fg); n += 10
    dairy = synth_firms(z, n, 4, z, food, "food", "乳制品", "漯河", fg); n += 4
    grain = synth_firms(z, n, 3, z, food, "food", "粮油加工", "漯河", fg); n += 3
    farm = synth_firms(z, n, 2, z, food, "food", "畜禽养殖", "漯河", fg); n += 2
    pack = synth_firms(z, n, 4, z, food, "food", "食品包装", "漯河", fg); n += 4
    cold = synth_firms(z, n, 2, z, food, "food", "冷链物流", "漯河", fg); n += 2
    eq = []
    for leaf, k in (("传动部件", 3), ("电机电控", 3), ("结构件加工", 3), ("专用整机", 3), ("机器人与物流装备", 2),
                    ("系统集成", 1)):
        eq += synth_firms(z, n, k, z, equip, "equipment", leaf, "漯河", equip_grids); n += k
    hy = []
    for leaf, k in (("钢管钢丝", 3), ("橡胶与密封", 3), ("液压胶管", 2), ("液压管件", 2), ("液压泵阀缸", 3),
                    ("工程与矿山机械", 1)):
        hy += synth_firms(z, n, k, z, hyd, "hydraulics", leaf, "漯河", hyd_grids); n += k
    # ---- people: grid chiefs from district organs, grid members from the firms
    all_l3 = l3["1"] + l3["2"] + l3["3"]
    firms_in: dict[str, list[str]] = {}
    for r in rows["enterprises.csv"]:
        if r["zone_id"] == z:
            firms_in.setdefault(r["grid_id"], []).append(r["id"])
    chiefs = []
    for i in range(20):
        chiefs.append(person(f"LH-P-C{i + 1:02d}", person_name(), "grid_chief", organs[i % len(organs)], z))
    lt_chief = chiefs[6]
    for i, gid in enumerate(all_l3):
        c = lt_chief if gid == g_lt else chiefs[i % len(chiefs)]
        chief_of(c, gid, "2025-02-20")
        if gid == g_lt:
            m = person("LH-P-M-LT", "谢恒", "grid_member", "漯河利通液压科技股份有限公司", z, synthetic=False)
            post(m, "LH-E-004", "行政部长")
        else:
            ent = firms_in[gid][0]
            m = person(f"LH-P-M{i + 1:02d}", person_name(), "grid_member", firms[ent]["name"], z)
            post(m, ent, rng.choice(("行政经理", "办公室主任", "生产副总", "人事经理")))
        member_of(m, gid)
    for a, _ in areas:
        chief_of(person(f"LH-P-A{a}", person_name(), "area_head", "漯河经开区党群工作部", z), f"LH-G-{a}", "2025-02-20")
    post(person("LH-P-S1", "孙华伟", "party_secretary", "漯河经开区党工委", z, synthetic=False), "LH-PO-0", "党工委副书记")
    # ---- party organizations
    party("LH-PO-0", "中共漯河经济技术开发区工作委员会", "working_committee", z, members=120)
    party("LH-PO-SH", "漯河双汇实业集团有限责任公司党委", "committee", z, "LH-PO-0", [g_sh], "LH-E-001",
          [food.id], members=900, synthetic=True)
    party("LH-PO-WL", "漯河卫龙食品有限公司党委", "committee", z, "LH-PO-0", [g_wl], "LH-E-003", [food.id],
          members=260, synthetic=True)
    party("LH-PO-ZL", "中粮（漯河）粮油工业有限公司党支部", "branch", z, "LH-PO-0", [g_zl], "LH-E-002",
          members=45, synthetic=True)
    party("LH-PO-LT", "漯河利通液压科技股份有限公司党委", "committee", z, "LH-PO-0", [g_lt], "LH-E-004",
          [hyd.id], members=110, synthetic=True)
    party("LH-PO-LT-1", "利通科技超高压装备车间党支部", "branch", z, "LH-PO-LT", [], "LH-E-004", members=28,
          synthetic=True)
    # the 32 new branches (新建党支部): in firms and across clusters so every exclusive grid is covered
    covered = {g_sh, g_wl, g_zl, g_lt}
    uncovered = [g for g in all_l3 if g not in covered]
    named_new = [(g_hl, "LH-E-005"), (g_mz, "LH-E-006"), (g_yjx, "LH-E-007")]
    k = 0
    for gid, ent in named_new:
        k += 1
        party(f"LH-PO-N{k:02d}", f"{firms[ent]['name']}党支部", "branch", z, "LH-PO-0", [gid], ent, members=rng.randint(3, 15))
    rest = [g for g in uncovered if g not in {g_hl, g_mz, g_yjx}]
    for gid in rest:
        k += 1
        ent = firms_in[gid][0]
        party(f"LH-PO-N{k:02d}", f"{firms[ent]['name']}党支部", "branch", z, "LH-PO-0", [gid], ent, members=rng.randint(3, 20))
    for ent in (meat + snack)[5:5 + (32 - k)]:
        k += 1
        party(f"LH-PO-N{k:02d}", f"{firms[ent]['name']}党支部", "branch", z, "LH-PO-0", [], ent, members=rng.randint(3, 12))
    assert k == 32, k
    # ---- the sterilizer whistle: need, event, 80+ contacted food firms, 9 signed
    need("LH-N-001", "利通新型高压灭菌设备寻找食品企业买家（需求哨）", "buyers", "matched", "2025-04-08", z, "LH-E-004",
         product="高压灭菌设备", due="2025-04-13", synthetic=False,
         description="利通研制出新型高压灭菌设备，吹响打开销路的需求哨；专属网格长上报区党工委、管委会，由区里组织食品企业对接")
    resource("LH-R-001", "利通高压灭菌设备", "supply", z, "LH-E-004", product="高压灭菌设备", synthetic=False,
             description="新型高压灭菌设备，适用于肉制品、即食食品、调味品等杀菌工序")
    event = "高压灭菌设备供需对接会"
    contacted = ["LH-E-007", "LH-E-001", "LH-E-003", "LH-E-002"] + meat + snack + cond + drink + dairy + grain
    signed = {"LH-E-007"} | set(meat[:5]) | set(snack[:2]) | {cond[0]}
    assert len(signed) == 9 and len(contacted) >= 80
    for i, ent in enumerate(contacted):
        start = "2025-05-16"
        steps = [("proposed", "2025-05-09", "专属网格长上报，列入对接会邀请名单"), ("contacted", start, f"参加{event}")]
        if ent in signed:
            steps += [("negotiating", day(start, 7 + i % 10), "试机、报价"), ("signed", day(start, 25 + i % 20), "签订采购合同")]
        elif i % 5 == 1:
            steps += [("declined", day(start, 12 + i % 9), "现有杀菌设备可满足需要")]
        elif i % 5 == 3:
            steps += [("dropped", day(start, 30 + i % 11), "暂无技改预算，暂缓")]
        project(f"LH-PJ-S{i + 1:03d}", f"高压灭菌设备对接：利通—{firms[ent]['short']}", z, lt_chief,
                [("LH-E-004", "supplier"), (ent, "buyer")], steps, event=event, need_id="LH-N-001",
                resource_id="LH-R-001", due="2025-07-31", synthetic=ent not in {"LH-E-007"})
        if ent in signed:
            trade("LH-E-004", ent, "高压灭菌设备", day(start, 25 + i % 20),
                  A000 + "（亿家馨签约见报道）" if ent == "LH-E-007" else SYN + "：对接会签约")
    # ---- 铭智新能源: plant, hiring and living needs solved by its grid chief
    mz_chief = chiefs[all_l3.index(g_mz) % len(chiefs)]
    r_plant = resource("LH-R-002", "标准化厂房", "land", z, "LH-D-zr", description="经开区标准化厂房，可拎包入驻")
    r_hire = resource("LH-R-003", "经开区专场招聘会", "workers", z, "LH-D-rs", description="人社部门组织专场招聘")
    r_live = resource("LH-R-004", "职工公寓与通勤配套", "other", z, "LH-D-zj", description="人才公寓、职工食堂与通勤班车")
    resource("LH-R-005", "科技贷与订单贷", "finance", z, "LH-D-cz", description="合作银行对接经开区企业融资")
    for nid, title, kind, res, d0 in (("LH-N-002", "铭智新能源生产基地厂房", "land", r_plant, "2025-03-03"),
                                      ("LH-N-003", "铭智新能源投产招工", "workers", r_hire, "2025-03-05"),
                                      ("LH-N-004", "铭智新能源职工生活配套", "other", r_live, "2025-03-06")):
        need(nid, title, kind, "closed", d0, z, "LH-E-006", due=day(d0, 5), synthetic=False,
             description="项目签约后纳入专属网格管理，由专属网格长协调解决")
        project(nid.replace("-N-", "-PJ-M"), f"{title}保障", z, mz_chief, [("LH-E-006", "buyer")],
                [("proposed", day(d0, 1), "网格长走访登记"), ("negotiating", day(d0, 3), "部门报到对接"),
                 ("signed", day(d0, 12), "问题解决")], need_id=nid, resource_id=res, synthetic=False)
    # ---- other needs
    for i, ent in enumerate(rng.sample(meat + snack + cond + eq + hy, 14)):
        kind = ("workers", "finance", "supply", "technology", "land", "approval", "buyers")[i % 7]
        prod = products_of(ent)[0] if kind == "buyers" else ("食品包装袋" if kind == "supply" else "")
        title = {"workers": "招聘一线操作工", "finance": "流动资金贷款", "supply": "寻找食品包装袋供应商",
                 "technology": "自动化产线改造技术", "land": "扩建厂房", "approval": "新建项目施工许可",
                 "buyers": f"为{prod}寻找买家"}[kind]
        need(f"LH-N-{i + 5:03d}", f"{firms[ent]['short']}{title}", kind, ("open", "matched", "closed")[i % 3],
             day("2025-03-01", i * 9), z, ent, product=prod, due=day("2025-03-01", i * 9 + (1, 3, 5)[i % 3]))
    # ---- known trades
    trade("LH-E-005", "LH-E-004", "液压管接头", "2019-06-01", SYN + "：汇龙液压为利通配套管件（示意）")
    trade(hy[0], "LH-E-004", "胶管钢丝", "2020-03-01", SYN)
    trade(hy[3], "LH-E-004", "合成橡胶", "2021-05-01", SYN)
    trade(hy[4], "LH-E-004", "橡胶密封件", "2022-01-10", SYN)
    trade("LH-E-004", hy[-1], "超高压液压胶管", "2021-08-01", SYN)
    trade("LH-E-002", "LH-E-003", "小麦粉", "2018-01-01", SYN + "：示意")
    trade("LH-E-002", "LH-E-003", "食用植物油", "2018-01-01", SYN + "：示意")
    trade("LH-E-002", "LH-E-001", "食用植物油", "2019-01-01", SYN + "：示意")
    for f in farm:
        trade(f, "LH-E-001", "生猪", "2020-01-01", SYN)
    for i, f in enumerate(pack):
        trade(f, ("LH-E-001", "LH-E-003", snack[0], meat[1])[i], products_of(f)[0], "2021-01-01", SYN)
    for i, f in enumerate(meat[:8] + snack[:8]):
        trade(grain[i % len(grain)] if i % 2 else "LH-E-002", f, "小麦粉" if i % 2 == 0 else products_of(grain[i % len(grain)])[0],
              day("2020-01-01", i * 40), SYN)
    for i, f in enumerate(["LH-E-001", "LH-E-003"] + meat[:4]):
        trade(f, cold[i % 2], products_of(f)[0], day("2021-01-01", i * 30), SYN)
    for i, f in enumerate(eq[:9]):
        trade(f, ("LH-E-008", eq[9], eq[10], eq[11])[i % 4], products_of(f)[0], day("2020-06-01", i * 20), SYN)
    trade("LH-E-008", "LH-E-001", "食品加工设备", "2022-04-01", SYN)
    trade("LH-E-008", "LH-E-003", "包装机械", "2022-09-01", SYN)
    trade(eq[11], snack[3], products_of(eq[11])[0], "2023-02-01", SYN)


# ================================================================================================ 泉州 (002)


def quanzhou() -> None:
    z = "QZ"
    add("zones.csv", id=z, name="泉州经济技术开发区", short_name="泉州开发区", kind="etdz", province="福建",
        city="泉州市", source=f"{A002}：主园区清濛园区；规上工业企业122家、商住小区17个、企业地块332个")
    dnames = ["经济发展局", "招商局", "财政局", "规划建设局", "社会事业局", "市场监督管理局", "应急管理局", "生态环境局",
              "税务局", "人力资源服务中心"]
    for i, dn in enumerate(dnames):
        add("departments.csv", id=f"QZ-D-{i + 1:02d}", name=dn, zone_id=z)
    shoes = chain(z, "QZ-C-SHOES", "鞋服", "apparel_shoes", ["QZ-E-002", "QZ-E-001"], "泉州开发区鞋服产业链工作专班")
    food = chain(z, "QZ-C-FOOD", "食品", "food", ["QZ-E-003"], "泉州开发区食品产业链工作专班",
                 only=["粮油加工", "食品配料", "食品包装", "食品装备", "休闲及方便食品", "调味品", "饮料及酒",
                       "冷链物流", "食品批发零售"])
    # ---- grids: 3 level-1, 12 level-2, level-3 = plot or compound
    l1 = {"崇泰片": "QZ-G-1", "崇宏片": "QZ-G-2", "崇文片": "QZ-G-3"}
    units: list[str] = []
    for name, gid in l1.items():
        grid(gid, name, 1, "exclusive", "block", z, "", synthetic=False)
        for u in range(1, 5):
            units.append(grid(f"{gid}-{u:02d}", f"{name}第{u}单元网格", 2, "exclusive", "area", z, gid,
                              synthetic=False))
    g3n = {u: 0 for u in units}

    def plot(unit: str, name: str, kind: str = "exclusive", type_: str = "point", synthetic: bool = True) -> str:
        g3n[unit] += 1
        return grid(f"{unit}-{g3n[unit]:02d}", name, 3, kind, type_, z, unit, synthetic=synthetic)

    compounds = [plot(units[i], n, "general", "block", synthetic=False)
                 for i, n in ((1, "万科悦城"), (5, "中南漫悦城"), (8, "新城旺角"), (10, "华夏家园"))]
    # ---- the 15 large firms with their own level-3 grid
    big = [
        ("QZ-E-001", "九牧王股份有限公司", "九牧王", ["男装", "西裤", "夹克"], ["1819"], "服装", 0, ["九牧王男装"]),
        ("QZ-E-002", "特步（中国）有限公司", "特步", ["运动鞋", "运动服"], ["1951", "1811"], "制鞋", 1, ["特步体育"]),
        ("QZ-E-003", "安记食品股份有限公司", "安记", ["复合调味料", "香辛料", "鸡精"], ["1469"], "调味品", 2,
         ["安记食品"]),
        ("QZ-E-004", "泰亚鞋业股份有限公司", "泰亚", ["EVA鞋底", "橡胶大底", "运动鞋"], ["2929", "2913", "1951"], "鞋材",
         3, ["泰亚股份", "泰亚鞋业"]),
    ]
    plots: dict[str, str] = {}
    for fid, name, short, prods, codes, leaf, u, aliases in big:
        g = plot(units[u * 3], f"{short}企业地块", synthetic=False)
        plots[fid] = g
        ch = food if leaf == "调味品" else shoes
        firm(fid, name, short, z, g, prods, codes, [ch.seg[leaf]], scale="above",
             output={"QZ-E-001": 300000, "QZ-E-002": 800000, "QZ-E-003": 60000, "QZ-E-004": 80000}[fid],
             employees={"QZ-E-001": 3000, "QZ-E-002": 8000, "QZ-E-003": 600, "QZ-E-004": 1800}[fid],
             synthetic=False, source=f"{A002}：单独划为责任网格的较大规模企业{ASSUMED}；产值、人数为示意",
             aliases=aliases)
    n = 5
    large = []
    for leaf, tmpl, ch in (("服装", "apparel_shoes", shoes), ("制鞋", "apparel_shoes", shoes),
                           ("面料辅料", "apparel_shoes", shoes), ("鞋材", "apparel_shoes", shoes),
                           ("休闲及方便食品", "food", food), ("服装", "apparel_shoes", shoes),
                           ("制鞋", "apparel_shoes", shoes), ("饮料及酒", "food", food),
                           ("面料辅料", "apparel_shoes", shoes), ("制鞋", "apparel_shoes", shoes),
                           ("食品包装", "food", food)):
        u = units[(n * 5) % 12]
        g = plot(u, "企业地块")
        fid = synth_firms(z, n, 1, z, ch, tmpl, leaf, "泉州", [g], above_share=1.0, no_code_share=0.0)[0]
        rows["grids.csv"][-1]["name"] = f"{firms[fid]['short']}企业地块"
        plots[fid] = g
        large.append(fid)
        n += 1
    # ---- smaller firms share level-3 plot grids
    shared = [plot(units[i % 12], f"{units[i % 12][-4:]}号企业地块群", type_="area") for i in range(20)]
    small = []
    for leaf, tmpl, ch, k in (("服装", "apparel_shoes", shoes, 16), ("制鞋", "apparel_shoes", shoes, 13),
                              ("面料辅料", "apparel_shoes", shoes, 10), ("鞋材", "apparel_shoes", shoes, 10),
                              ("品牌流通", "apparel_shoes", shoes, 3), ("仓储物流", "apparel_shoes", shoes, 2),
                              ("休闲及方便食品", "food", food, 8), ("调味品", "food", food, 4),
                              ("饮料及酒", "food", food, 3), ("食品包装", "food", food, 3),
                              ("食品配料", "food", food, 2), ("冷链物流", "food", food, 1)):
        small += synth_firms(z, n, k, z, ch, tmpl, leaf, "泉州", shared[len(small) % 20:] + shared[:len(small) % 20])
        n += k
    # ---- staff: 3 area heads, 12 full-time members, part-time members (subset of 168), unit-grid links
    for i, (name, gid) in enumerate(l1.items()):
        chief_of(person(f"QZ-P-A{i + 1}", person_name(), "area_head", "园区基层治理服务中心", z), gid, "2022-06-01")
    leaders = [person(f"QZ-P-L{i + 1:02d}", person_name(), "liaison_cadre", "泉州开发区党工委、管委会", z)
               for i in range(12)]
    for i, u in enumerate(units):
        member_of(person(f"QZ-P-F{i + 1:02d}", person_name(), "grid_member", "园区基层治理服务中心（专职）", z), u)
        liaison(leaders[i], u, "区领导挂钩联系单元网格")
        liaison(f"QZ-D-{i % 10 + 1:02d}", u, "区直部门挂钩联系单元网格")
    all_plots = list(plots.values()) + shared + compounds
    for i, g in enumerate(all_plots):
        member_of(person(f"QZ-P-T{i + 1:02d}", person_name(), "grid_member",
                         ("区直机关挂钩干部", "企业党组织书记", "两代表一委员", "志愿者")[i % 4] + "（兼职）", z), g)
    for i in range(3):
        person(f"QZ-P-X{i + 1}", person_name(), "mediator", "园区基层治理服务中心", z)
    # ---- party: 党工委 → 园区大党委 → grid branches / enterprise orgs / compound party committee
    party("QZ-PO-0", "中共泉州经济技术开发区工作委员会", "working_committee", z, members=150)
    party("QZ-PO-1", "清濛园区大党委", "committee", z, "QZ-PO-0", list(l1.values()), members=60)
    party("QZ-PO-2", "清濛园区居民小区党委", "committee", z, "QZ-PO-1", compounds, members=80)
    for i, u in enumerate(units):
        party(f"QZ-PO-U{i + 1:02d}", f"{rows['grids.csv'][[r['id'] for r in rows['grids.csv']].index(u)]['name']}党支部",
              "branch", z, "QZ-PO-1", [u], members=rng.randint(8, 30), synthetic=False)
    for i, g in enumerate(shared[:14]):
        bid = party(f"QZ-PO-G{i + 1:02d}", f"清濛第{i + 1}责任网格党支部", "branch", z, f"QZ-PO-U{units.index(g[:9]) + 1:02d}",
                    [g])
        party(f"QZ-PO-G{i + 1:02d}-1", f"清濛第{i + 1}责任网格第一党小组", "group", z, bid, members=rng.randint(3, 8))
    for name, g in zip(("万科悦城党支部", "中南漫悦城党支部", "新城旺角党支部", "华夏家园党支部"), compounds):
        party(f"QZ-PO-R{compounds.index(g) + 1}", name, "branch", z, "QZ-PO-2", [g],
              synthetic=name != "中南漫悦城党支部")
    party("QZ-PO-E001", "九牧王股份有限公司党委", "committee", z, "QZ-PO-1", [plots["QZ-E-001"]], "QZ-E-001",
          [shoes.id], members=180)
    party("QZ-PO-E002", "特步（中国）有限公司党委", "committee", z, "QZ-PO-1", [plots["QZ-E-002"]], "QZ-E-002",
          [shoes.id], members=260)
    party("QZ-PO-E003", "安记食品股份有限公司党支部", "branch", z, "QZ-PO-1", [plots["QZ-E-003"]], "QZ-E-003",
          [food.id], members=40)
    party("QZ-PO-E004", "泰亚鞋业股份有限公司党支部", "branch", z, "QZ-PO-1", [plots["QZ-E-004"]], "QZ-E-004",
          [shoes.id], members=50)
    for fid in large:
        party(f"QZ-PO-E{fid[-3:]}", f"{firms[fid]['name']}党支部", "branch", z, "QZ-PO-1", [plots[fid]], fid)
    for fid in small[::3]:
        party(f"QZ-PO-E{fid[-3:]}", f"{firms[fid]['name']}党支部", "branch", z, "QZ-PO-1", [], fid)
    # ---- 四张清单: needs (subset of 12), resources (subset of 56), projects and claims
    need_specs = [
        ("QZ-E-004", "supply", "合成革", "泰亚寻找合成革与鞋面材料本地供应商"),
        ("QZ-E-002", "supply", "化纤面料", "特步寻找功能性化纤面料供应商"),
        ("QZ-E-001", "workers", "", "九牧王旺季招聘缝纫工"),
        ("QZ-E-003", "supply", "食品包装袋", "安记寻找食品包装袋供应商"),
        (small[0], "finance", "", "企业流动资金贷款"),
        (small[14], "land", "", "租赁标准厂房扩产"),
        (small[26], "buyers", "", "鞋面材料寻找品牌客户"),
        (small[40], "buyers", "", "休闲食品寻找渠道客户"),
        (large[0], "technology", "", "智能吊挂生产线改造"),
        (small[5], "approval", "", "厂房改扩建审批"),
    ]
    for i, (ent, kind, prod, title) in enumerate(need_specs):
        if kind == "buyers":
            prod = products_of(ent)[0]
        need(f"QZ-N-{i + 1:02d}", title if ent.startswith("QZ-E-00") else f"{firms[ent]['short']}{title}", kind,
             ("matched", "closed", "open")[i % 3], day("2023-03-01", i * 11), z, ent, product=prod,
             due=day("2023-03-01", i * 11 + 5), description="基层点单、网格询单、中心制单")
    res = []
    for i, ent in enumerate([f for f in small if any(k in firms[f]["short"] for k in ("纺织", "织造", "辅料", "鞋材", "新材料", "包装", "印务"))][:14]):
        res.append(resource(f"QZ-R-{i + 1:02d}", f"{firms[ent]['short']}供应{products_of(ent)[0]}", "supply", z, ent,
                            product=products_of(ent)[0]))
    for i, (kind, title, dept) in enumerate((("finance", "“清亲清濛”银行融资模块", "QZ-D-03"),
                                             ("land", "“清亲清濛”厂房租赁模块", "QZ-D-04"),
                                             ("workers", "园区专场招聘", "QZ-D-10"),
                                             ("approval", "涉企事项代办", "QZ-D-01"),
                                             ("technology", "技术培训与政策解读", "QZ-D-01"),
                                             ("other", "党建+邻里中心服务项目", "QZ-D-05"))):
        res.append(resource(f"QZ-R-D{i + 1}", title, kind, z, dept, description="10个涉企部门重点服务清单（子集）"))
    by_prod = {r["product"]: r["id"] for r in rows["resources.csv"] if r["zone_id"] == z and r["product"]}
    owners = [f"QZ-P-F{i + 1:02d}" for i in range(12)]
    for i, nrow in enumerate([r for r in rows["needs.csv"] if r["zone_id"] == z and r["status"] != "open"]):
        prov = next((r for r in rows["resources.csv"] if r["zone_id"] == z and r["kind"] == nrow["kind"]
                     and (not nrow["product"] or r["product"] == nrow["product"])), None)
        parties = [(nrow["enterprise_id"], "buyer")]
        if prov and prov["provider_id"].startswith("QZ-E"):
            parties.append((prov["provider_id"], "supplier"))
        final = "signed" if nrow["status"] == "closed" else "negotiating"
        d0 = nrow["posted_on"]
        project(f"QZ-PJ-{i + 1:02d}", f"{nrow['title']}（认领）", z, owners[i % 12], parties,
                [("proposed", day(d0, 1), "网格询单"), ("contacted", day(d0, 3), "中心制单、网格员认领"),
                 (final, day(d0, 10), "")], need_id=nrow["id"], resource_id=prov["id"] if prov else "")
    del by_prod
    # ---- trades along the chain
    mats = [f for f in small + large if firms[f]["products"][0] in ("EVA鞋底", "橡胶大底", "合成革", "鞋面材料")]
    fabrics = [f for f in small + large if firms[f]["products"][0] in ("化纤面料", "针织面料", "织带", "拉链")]
    shoemakers = ["QZ-E-002"] + [f for f in small + large if firms[f]["products"][0] in ("运动鞋", "皮鞋", "休闲鞋", "童鞋")]
    garment = ["QZ-E-001", "QZ-E-002"] + [f for f in small + large if firms[f]["products"][0] in ("男装", "运动服", "休闲服装", "夹克", "西裤")]
    trade("QZ-E-004", "QZ-E-002", "EVA鞋底", "2016-01-01", SYN + "：示意")
    for i, f in enumerate(mats):
        trade(f, shoemakers[i % len(shoemakers)], firms[f]["products"][0], day("2018-01-01", i * 37), SYN)
    for i, f in enumerate(fabrics):
        trade(f, garment[i % len(garment)], firms[f]["products"][0], day("2018-03-01", i * 41), SYN)
        if i % 2:
            trade(f, shoemakers[(i + 3) % len(shoemakers)], firms[f]["products"][0], day("2019-03-01", i * 17), SYN)
    foods = [f for f in small + large if firms[f]["products"][0] in ("调味面制品", "速冻水饺", "方便面", "饼干", "糕点", "糖果")]
    for i, f in enumerate(foods[:6]):
        trade("QZ-E-003", f, "复合调味料", day("2019-05-01", i * 30), SYN)
    for f in [f for f in small + large if "包装" in firms[f]["short"] or "印务" in firms[f]["short"]]:
        trade(f, "QZ-E-003", firms[f]["products"][0], "2020-01-01", SYN)


# ================================================================================================ 六枝 (003)


def liuzhi() -> None:
    z = "LZ"
    add("zones.csv", id=z, name="六枝经济开发区", short_name="六枝经开区", kind="park", province="贵州",
        city="六盘水市", source=f"{A003}：六枝特区；煤—焦—氢化工产业链；以商招商、以链招商入驻62家企业，工业总产值21.16亿元")
    depts = {"gx": "工业和信息化局", "zr": "自然资源局", "zj": "住房和城乡建设局", "sj": "市场监督管理局", "sw": "税务局",
             "jt": "交通运输局", "cz": "财政局", "sf": "司法局", "cg": "综合行政执法局（城管）"}
    for k, name in depts.items():
        add("departments.csv", id=f"LZ-D-{k}", name=name, zone_id=z)
    ch = chain(z, "LZ-C-CCH", "煤—焦—氢", "coal_hydrogen", ["LZ-E-001"], "六枝经开区煤焦氢产业链工作专班")
    firm("LZ-E-001", "贵州美锦华宇新能源有限公司", "美锦华宇", z, "", ["冶金焦炭", "焦炉煤气", "工业氢气", "煤焦油"],
         ["2521", "2619"], [ch.seg["炼焦"], ch.seg["氢能"]], scale="above", output=900000, employees=1600,
         synthetic=False, source=f"{A003}：链主企业；产值、人数为示意", aliases=["贵州美锦", "美锦"])
    n = 2
    groups: dict[str, list[str]] = {}
    for leaf, k, words in (("煤炭开采洗选", 12, ("煤业", "矿业")), ("矿山装备", 8, ("机械", "重工", "装备")),
                           ("炼焦", 5, ("焦化", "煤化工")), ("煤电", 5, ("电力", "发电", "能源")),
                           ("氢能", 6, ("氢能", "新能源")), ("煤化工产品", 6, ("化工", "煤化工")),
                           ("铁路与货运物流", 17, ("物流", "运输", "供应链"))):
        groups[leaf] = synth_firms(z, n, k, z, ch, "coal_hydrogen", leaf, "六枝", [], words=words,
                                   above_share=0.4)
        n += k
    # ---- party: 1 comprehensive committee holding the chain firms' party heads; 4 chain-firm orgs under it
    party("LZ-PO-0", "中共六枝经济开发区工作委员会", "working_committee", z, members=45)
    party("LZ-PO-1", "六枝经开区非公企业综合党委", "comprehensive", z, "LZ-PO-0", chains=[ch.id], members=12,
          synthetic=False)
    chain_orgs = [("LZ-E-001", "LZ-PO-E1", "committee")] + [
        (groups[leaf][0], f"LZ-PO-E{i + 2}", "branch") for i, leaf in enumerate(("煤炭开采洗选", "煤电", "铁路与货运物流"))]
    for i, (ent, poid, kind) in enumerate(chain_orgs):
        party(poid, f"{firms[ent]['name']}{'党委' if kind == 'committee' else '党支部'}", kind, z, "LZ-PO-1",
              enterprise=ent, chains=[ch.id], members=rng.randint(12, 60) if i else 85)
        sec = person(f"LZ-P-S{i + 1}", person_name(), "party_secretary", firms[ent]["name"], z)
        post(sec, poid, "书记")
        post(sec, "LZ-PO-1", "综合党委委员")
        post(sec, ent, ("副总经理", "总经理助理", "综合部部长", "行政总监")[i])
    party("LZ-PO-E5", f"{firms[groups['氢能'][0]]['name']}党支部", "branch", z, "LZ-PO-1", enterprise=groups["氢能"][0],
          chains=[ch.id], members=9)
    post(person("LZ-P-S0", person_name(), "party_secretary", "六枝经开区党工委", z), "LZ-PO-1", "综合党委书记")
    chain_firms = [e for e, _, _ in chain_orgs]
    for i in range(12):
        p = person(f"LZ-P-I{i + 1:02d}", person_name(), "instructor", "六枝经开区党建工作指导站", z)
        liaison(p, chain_firms[i % 4] if i < 4 else rng.choice([f for g in groups.values() for f in g]), "党建指导员跟踪孵化企业党组织")
    # ---- 企业吹哨、党委响应、部门报到: problems raised at joint meetings, closed with departments
    owner = "LZ-P-S0"
    probs = [
        ("LZ-E-001", "other", "增设园区公交专线", "职工通勤不便，请求增设园区公交专线", "jt", True),
        ("LZ-E-001", "other", "建设货运铁路专线", "焦炭、原煤外运依赖公路，请求建设货运铁路专线", "jt", True),
        (groups["铁路与货运物流"][1], "other", "货运道路拓宽", "货运道路狭窄，请求拓宽至20米", "zj", True),
        (groups["煤炭开采洗选"][1], "approval", "采矿用地手续办理", "扩能项目用地手续需协调", "zr", False),
        (groups["氢能"][1], "approval", "加氢站建设审批", "加氢站建设需办理危化品经营许可", "sj", False),
        (groups["煤化工产品"][0], "workers", "专业技术工人招聘", "化工操作岗位缺专业技术工人", "gx", False),
        (groups["煤电"][1], "finance", "技改项目融资", "超低排放改造需融资", "cz", False),
        (groups["矿山装备"][0], "buyers", "矿山装备寻找本地用户", "", "gx", False),
        ("LZ-E-001", "supply", "稳定洗精煤供应", "扩产后需稳定的本地洗精煤供应", "gx", False),
        (groups["炼焦"][1], "other", "税费政策咨询", "资源综合利用增值税优惠政策适用", "sw", False),
        (groups["氢能"][2], "technology", "燃料电池用氢纯化技术", "", "gx", False),
        (groups["铁路与货运物流"][3], "land", "物流园堆场用地", "", "zr", False),
    ]
    for i, (ent, kind, title, desc, dept, real) in enumerate(probs):
        d0 = day("2024-03-05", i * 14)
        prod = "矿山装备" if kind == "buyers" else ("洗精煤" if kind == "supply" else "")
        if kind == "buyers":
            prod = products_of(ent)[0]
        status = "closed" if i < 9 else "open"
        nid = need(f"LZ-N-{i + 1:02d}", f"{firms[ent]['short']}：{title}（企业吹哨）", kind, status, d0, z, ent,
                   product=prod, description=desc + f"；综合党委响应，{depts[dept]}报到", due=day(d0, 3),
                   synthetic=not real)
        if status == "closed" and kind not in ("buyers", "supply"):
            rid = resource(f"LZ-R-{i + 1:02d}", f"{depts[dept]}：{title}", kind, z, f"LZ-D-{dept}",
                           description="部门数据信息1小时共享", synthetic=not real)
            project(f"LZ-PJ-P{i + 1:02d}", f"{title}（首办负责、限时办结）", z, owner, [(ent, "buyer")],
                    [("proposed", d0, "企业吹哨"), ("contacted", day(d0, 1), "党委响应、部门报到"),
                     ("signed", day(d0, 3 + i), "办结并反馈")], event=f"党政企联席会（第{i % 6 + 1}次）",
                    need_id=nid, resource_id=rid, synthetic=not real)
    # ---- 11 cooperation deals between chain firms, reached at the 6 joint meetings
    deals = [
        (groups["煤炭开采洗选"][0], "LZ-E-001", "洗精煤"), (groups["煤炭开采洗选"][2], "LZ-E-001", "洗精煤"),
        ("LZ-E-001", groups["氢能"][0], "工业氢气"), ("LZ-E-001", groups["煤电"][0], "焦炉煤气"),
        ("LZ-E-001", groups["煤化工产品"][1], "煤焦油"), (groups["铁路与货运物流"][0], "LZ-E-001", "铁路货运"),
        (groups["铁路与货运物流"][2], groups["煤炭开采洗选"][0], "道路货运"),
        (groups["矿山装备"][1], groups["煤炭开采洗选"][3], "液压支架"), (groups["矿山装备"][2], "LZ-E-001", "化工设备"),
        (groups["煤电"][0], "LZ-E-001", "热电联产供汽"), (groups["铁路与货运物流"][4], groups["煤化工产品"][0], "危险货物运输"),
    ]
    for i, (sup, buy, prod) in enumerate(deals):
        d0 = day("2024-02-20", (i % 6) * 45)
        project(f"LZ-PJ-D{i + 1:02d}", f"链上合作：{firms[sup]['short']}—{firms[buy]['short']}（{prod}）", z, owner,
                [(sup, "supplier"), (buy, "buyer")],
                [("proposed", d0, "联席会议对接"), ("negotiating", day(d0, 7), ""), ("signed", day(d0, 30), "达成合作")],
                event=f"党政企联席会（第{i % 6 + 1}次）")
        trade(sup, buy, prod, day(d0, 30), SYN + f"：联席会议促成的链上合作（{A003}报道共11起）")
    for i, f in enumerate(groups["煤炭开采洗选"][4:10]):
        trade(f, ("LZ-E-001", groups["炼焦"][0], groups["煤电"][1])[i % 3], "原煤" if i % 3 == 2 else "洗精煤",
              day("2022-01-01", i * 60), SYN)
    for i, f in enumerate(groups["炼焦"]):
        trade(f, groups["氢能"][i % len(groups["氢能"])], "焦炉煤气", day("2023-01-01", i * 30), SYN)
    for i, f in enumerate(groups["矿山装备"][3:]):
        trade(f, groups["煤炭开采洗选"][i], products_of(f)[0], day("2022-06-01", i * 45), SYN)
    for i, f in enumerate(groups["铁路与货运物流"][5:12]):
        trade(f, (groups["炼焦"] + groups["煤化工产品"])[i], products_of(f)[0], day("2023-03-01", i * 20), SYN)
    resource("LZ-R-H1", "美锦华宇富余焦炉煤气制氢", "supply", z, "LZ-E-001", product="燃料电池用氢", synthetic=True,
             description="链主企业开放氢气产能，供下游氢能企业")


# ================================================================================================ 嘉陵 (004)


def jialing() -> None:
    z = "JL"
    add("zones.csv", id=z, name="南充市嘉陵区工业集中区", short_name="嘉陵园区", kind="district_park", province="四川",
        city="南充市", source=f"{A004}：园区党委—党群工作部—行业党委—企业党组织；5大区域；“135”限时办结（2017年）")
    for i, dn in enumerate(["园区党群工作部", "区发展和改革局", "区经济和信息化局", "区自然资源局", "区税务局",
                            "区人力资源和社会保障局", "区住房和城乡建设局", "区市场监督管理局"]):
        add("departments.csv", id=f"JL-D-{i + 1:02d}", name=dn, zone_id=z)
    auto = chain(z, "JL-C-AUTO", "汽车汽配", "auto", ["JL-E-001", "JL-E-002"], "嘉陵区汽车汽配产业专班")
    silk = chain(z, "JL-C-SILK", "丝纺服装", "silk", ["JL-E-003"], "嘉陵区丝纺服装产业专班")
    food = chain(z, "JL-C-FOOD", "食品饮料", "food", ["JL-E-005", "JL-E-004"], "嘉陵区食品饮料产业专班",
                 only=["畜禽养殖", "粮油加工", "食品包装", "休闲及方便食品", "调味品", "饮料及酒", "冷链物流", "食品批发零售"])
    areas = [grid(f"JL-G-{i + 1}", f"工业集中区第{'一二三四五'[i]}区域", 1, "exclusive", "block", z, "", synthetic=False)
             for i in range(5)]
    note = f"{ASSUMED}；产值、人数为示意"
    named = [
        ("JL-E-001", "南充吉利新能源商用车有限公司", "吉利汽车", ["新能源商用车", "专用汽车"], ["3612", "3630"],
         auto.seg["整车制造"], 0, 900000, 3000, ["吉利", "吉利商用车"]),
        ("JL-E-002", "北汽银翔（南充）汽车有限公司", "北汽银翔", ["乘用车"], ["3611"], auto.seg["整车制造"], 0, 50000, 400,
         ["北汽银翔项目"]),
        ("JL-E-003", "四川依格尔纺织品有限公司", "依格尔", ["真丝服装", "真丝面料", "丝绸床品"], ["1819", "1742", "1771"],
         silk.seg["服装制造"], 1, 80000, 1200, ["依格尔丝绸"]),
        ("JL-E-004", "四川尚好茶业有限公司", "尚好茶业", ["绿茶", "茉莉花茶", "茶饮料"], ["1530", "1529"],
         food.seg["饮料及酒"], 2, 30000, 350, ["尚好茶"]),
        ("JL-E-005", "四川燕京啤酒有限公司", "燕京啤酒", ["啤酒"], ["1513"], food.seg["饮料及酒"], 2, 120000, 700,
         ["燕京"]),
        ("JL-E-006", "南充通产玻璃有限公司", "通产玻璃", ["啤酒瓶", "玻璃包装容器", "汽车玻璃"], ["3055", "3051"],
         auto.seg["汽车材料"], 3, 40000, 500, ["通产"]),
    ]
    for fid, name, short, prods, codes, seg, area, out, emp, aliases in named:
        segs = [seg] + ([food.seg["食品包装"]] if fid == "JL-E-006" else [])
        extra = "；北汽银翔项目投资120亿元、占地3000亩" if fid == "JL-E-002" else ""
        firm(fid, name, short, z, areas[area], prods, codes, segs, scale="above", output=out, employees=emp,
             synthetic=False, source=f"{A004}{extra}{note}", aliases=aliases)
    n = 7
    grp: dict[str, list[str]] = {}
    for leaf, tmpl, ch, k, area in (("汽车零部件", "auto", auto, 16, 0), ("汽车材料", "auto", auto, 4, 3),
                                    ("车身与挂车", "auto", auto, 2, 0), ("销售与后市场", "auto", auto, 3, 4),
                                    ("蚕桑", "silk", silk, 5, 1), ("缫丝", "silk", silk, 4, 1),
                                    ("丝织印染", "silk", silk, 4, 1), ("服装制造", "silk", silk, 7, 1),
                                    ("家纺", "silk", silk, 2, 1), ("畜禽养殖", "food", food, 3, 2),
                                    ("粮油加工", "food", food, 3, 2), ("休闲及方便食品", "food", food, 6, 2),
                                    ("调味品", "food", food, 4, 2), ("饮料及酒", "food", food, 4, 2),
                                    ("食品包装", "food", food, 3, 3), ("冷链物流", "food", food, 2, 4)):
        grp[leaf + tmpl] = synth_firms(z, n, k, z, ch, tmpl, leaf, "南充", [areas[area]])
        n += k
    # two tea gardens as raw-material bases (茶青 is not in the food template)
    for k in range(2):
        name, short = firm_name("南充嘉陵", "茶叶种植专业合作社", "")
        firm(f"JL-E-{n:03d}", name, short, z, areas[2], ["茶青"], ["0164"], [], scale="below", output=300 + k * 120,
             employees=25, synthetic=True, source=SYN)
        grp.setdefault("tea", []).append(f"JL-E-{n:03d}")
        n += 1
    # ---- party: 两新工委 → 园区党委 → 3 industry committees → enterprise party orgs
    party("JL-PO-0", "中共南充市嘉陵区委两新工委", "working_committee", z, members=20, synthetic=True)
    party("JL-PO-1", "嘉陵区工业集中区党委", "committee", z, "JL-PO-0", areas, members=40, synthetic=False)
    ind = {"auto": party("JL-PO-I1", "汽车汽配行业党委", "industry", z, "JL-PO-1", chains=[auto.id], synthetic=False),
           "silk": party("JL-PO-I2", "丝纺服装行业党委", "industry", z, "JL-PO-1", chains=[silk.id], synthetic=False),
           "food": party("JL-PO-I3", "食品饮料行业党委", "industry", z, "JL-PO-1", chains=[food.id], synthetic=False)}
    for fid, key in (("JL-E-001", "auto"), ("JL-E-002", "auto"), ("JL-E-006", "auto"), ("JL-E-003", "silk"),
                     ("JL-E-004", "food"), ("JL-E-005", "food")):
        party(f"JL-PO-E{fid[-3:]}", f"{firms[fid]['name']}党{'委' if fid in ('JL-E-001', 'JL-E-005') else '支部'}",
              "committee" if fid in ("JL-E-001", "JL-E-005") else "branch", z, ind[key], enterprise=fid)
    for key, tmpl in (("汽车零部件auto", "auto"), ("丝织印染silk", "silk"), ("服装制造silk", "silk"),
                      ("休闲及方便食品food", "food"), ("调味品food", "food")):
        for fid in grp[key][:3]:
            party(f"JL-PO-E{fid[-3:]}", f"{firms[fid]['name']}党支部", "branch", z, ind[tmpl], enterprise=fid)
    for i, key in enumerate(("auto", "silk", "food")):
        for k in range(2):
            post(person(f"JL-P-V{i + 1}{k + 1}", person_name(), "party_secretary", "嘉陵区工业集中区党委", z), ind[key],
                 "专职副书记")
    # ---- 5 areas: 1 standing-committee member + 7 departments + 1 park committee member each
    for i, a in enumerate(areas):
        liaison(person(f"JL-P-C{i + 1}", person_name(), "liaison_cadre", "嘉陵区委常委", z), a, "区委常委分区域蹲点联系")
        liaison(person(f"JL-P-Y{i + 1}", person_name(), "liaison_cadre", "嘉陵区工业集中区党委委员", z), a,
                "园区委员分区域联系")
        for d in range(7):
            liaison(f"JL-D-{(i + d) % 7 + 2:02d}", a, "七个部门分区域联系")
    # ---- 1-on-1 service: county-level cadres for the large firms (subset of the 30)
    big = ["JL-E-001", "JL-E-002", "JL-E-003", "JL-E-004", "JL-E-005", "JL-E-006"] + [
        r["id"] for r in rows["enterprises.csv"] if r["zone_id"] == z and r["scale"] == "above" and r["synthetic"] == "true"][:14]
    for i, fid in enumerate(big):
        liaison(person(f"JL-P-K{i + 1:02d}", person_name(), "liaison_cadre", "嘉陵区县级领导干部", z), fid,
                "县级干部“一对一”服务企业")
    # ---- raw-material supply bases and chain trades
    src = f"{A004}：依格尔、尚好茶业等龙头企业建立原料供给基地"
    for f in grp["蚕桑silk"]:
        trade(f, "JL-E-003", "蚕茧", "2016-04-01", src + "（基地为合成）")
    for f in grp["缫丝silk"]:
        trade(f, "JL-E-003", "生丝", "2016-05-01", SYN)
    for f in grp["tea"]:
        trade(f, "JL-E-004", "茶青", "2016-03-01", src + "（基地为合成）")
    for f in grp["粮油加工food"][:2]:
        trade(f, "JL-E-005", products_of(f)[0], "2017-01-01", SYN)
    trade("JL-E-006", "JL-E-005", "啤酒瓶", "2015-06-01", SYN + "：示意")
    trade("JL-E-006", "JL-E-001", "汽车玻璃", "2017-08-01", SYN + "：示意")
    for i, f in enumerate(grp["汽车零部件auto"]):
        trade(f, ("JL-E-001", "JL-E-002")[i % 4 == 3], products_of(f)[0], day("2017-05-01", i * 9), SYN)
    for f in grp["汽车材料auto"]:
        trade(f, "JL-E-001", products_of(f)[0], "2017-06-01", SYN)
    for i, f in enumerate(grp["丝织印染silk"]):
        trade(f, grp["服装制造silk"][i % 7], products_of(f)[0], day("2016-01-01", i * 70), SYN)
    for i, f in enumerate(grp["食品包装food"]):
        trade(f, ("JL-E-005", "JL-E-004", grp["休闲及方便食品food"][0])[i], products_of(f)[0], "2017-02-01", SYN)
    # ---- needs handled under "135": paperwork 1 day, problems 3 days, feedback 5 days
    specs = [("JL-E-001", "workers", "整车下线前招聘装配工", ""), ("JL-E-001", "supply", "汽车座椅本地配套", "汽车座椅"),
             ("JL-E-002", "approval", "项目开工前审批手续", ""), ("JL-E-003", "supply", "扩大蚕茧原料基地", "蚕茧"),
             ("JL-E-004", "buyers", "茉莉花茶拓展市场", "茉莉花茶"), (grp["汽车零部件auto"][2], "finance", "流动资金贷款", ""),
             (grp["服装制造silk"][0], "workers", "缝纫工招聘", ""), (grp["调味品food"][0], "land", "扩建厂房", ""),
             ("JL-E-005", "other", "职工通勤", ""), (grp["汽车零部件auto"][5], "buyers", "寻找整车配套客户",
                                                   products_of(grp["汽车零部件auto"][5])[0])]
    for i, (fid, kind, title, prod) in enumerate(specs):
        d0 = day("2017-03-06", i * 12)
        limit = 1 if kind == "approval" else 3
        need(f"JL-N-{i + 1:02d}", f"{firms[fid]['short']}{title}", kind, ("closed", "closed", "matched", "open")[i % 4],
             d0, z, fid, product=prod, due=day(d0, limit), description="“135”限时办结")
    resource("JL-R-01", "园区劳动力对接", "workers", z, "JL-D-06", description="“1个行业+N名专职副书记”匹配劳动力")
    resource("JL-R-02", "园区标准化厂房", "land", z, "JL-D-04", description="工业集中区标准化厂房")
    resource("JL-R-03", "依格尔工业旅游与创业小镇孵化", "other", z, "JL-E-003", description="依格尔工业旅游、创业小镇")
    parts = grp["汽车零部件auto"]
    seat = next((f for f in parts if "汽车座椅" in firms[f]["products"]), parts[0])
    project("JL-PJ-01", "吉利汽车座椅本地配套对接", z, "JL-P-V11", [(seat, "supplier"), ("JL-E-001", "buyer")],
            [("proposed", "2017-03-20", ""), ("negotiating", "2017-03-23", "行业党委专职副书记对接"),
             ("signed", "2017-04-28", "签订配套协议")], need_id="JL-N-02")
    project("JL-PJ-02", "依格尔蚕茧原料基地扩建", z, "JL-P-V21", [(grp["蚕桑silk"][0], "supplier"), ("JL-E-003", "buyer")],
            [("proposed", "2017-04-10", ""), ("signed", "2017-05-08", "新建蚕桑基地")], need_id="JL-N-04")
    project("JL-PJ-03", "尚好茶业茉莉花茶渠道对接", z, "JL-P-V31",
            [("JL-E-004", "supplier"), (grp["调味品food"][1], "partner")],
            [("proposed", "2017-04-25", ""), ("contacted", "2017-04-28", "")], need_id="JL-N-05")


# ================================================================================================ 成都高新 (001)


def chengdu() -> None:
    z = "CD"
    add("zones.csv", id=z, name="成都高新技术产业开发区", short_name="成都高新区", kind="hitech", province="四川",
        city="成都市", source=f"{A001}：1358个专属网格、724个网格党组织覆盖1097个（81%）；点—面—片；撮合项目127个（2023年）")
    for i, dn in enumerate(["党群工作部", "经济运行局", "科技创新局", "投资服务局", "公园城市建设局", "社区发展治理局",
                            "市场监督管理局", "人力资源服务中心"]):
        add("departments.csv", id=f"CD-D-{i + 1:02d}", name=dn, zone_id=z)
    ele = chain(z, "CD-C-ELEC", "电子信息", "electronics", ["CD-E-001"], "成都高新区电子信息产业链工作专班")
    bio = chain(z, "CD-C-BIO", "生物医药", "biomedicine", ["CD-E-002"], "成都高新区生物医药产业链工作专班")
    # ---- 点—面—片: a block (片) → area grids (面: parks, office buildings) → point grids (点: one large unit)
    grid("CD-G-1", "桂溪街道联享街区", 1, "exclusive", "block", z, "", synthetic=False)
    grid("CD-G-2", "高新南区生物医药片区", 1, "exclusive", "block", z, "")
    grid("CD-G-3", "吉泰社区", 1, "general", "block", z, "", synthetic=False)
    areas = [grid("CD-G-1-01", "联享街区软件园专属网格", 2, "exclusive", "area", z, "CD-G-1"),
             grid("CD-G-1-02", "联享街区商务楼宇专属网格", 2, "exclusive", "area", z, "CD-G-1"),
             grid("CD-G-1-03", "联享街区产业园专属网格", 2, "exclusive", "area", z, "CD-G-1"),
             grid("CD-G-2-01", "生物医药孵化园专属网格", 2, "exclusive", "area", z, "CD-G-2"),
             grid("CD-G-2-02", "医疗器械产业园专属网格", 2, "exclusive", "area", z, "CD-G-2")]
    for i in range(3):
        grid(f"CD-G-3-0{i + 1}", f"吉泰社区第{i + 1}网格", 2, "general", "block", z, "CD-G-3")
    points = []
    for i, parent in enumerate(("CD-G-1-03", "CD-G-1-01", "CD-G-2-01", "CD-G-2-02", "CD-G-1-02", "CD-G-2-02")):
        points.append(grid(f"{parent}-0{i + 1}", f"独立单位专属网格{i + 1}", 3, "exclusive", "point", z, parent))
    # ---- firms (the report names none: all synthetic)
    firm("CD-E-001", "成都芯瑞集成电路有限公司", "芯瑞集成", z, points[0], ["集成电路", "芯片封装测试"], ["3973"],
         [ele.seg["集成电路制造封测"]], scale="above", output=480000, employees=2600, synthetic=True, source=SYN)
    firm("CD-E-002", "成都华健生物制药股份有限公司", "华健生物", z, points[2], ["生物制品", "化学制剂"], ["2761", "2720"],
         [bio.seg["药品制剂"]], scale="above", output=210000, employees=1400, synthetic=True, source=SYN)
    _names.update({"成都芯瑞集成电路有限公司", "成都华健生物制药股份有限公司"})
    n = 3
    grp: dict[str, list[str]] = {}
    for leaf, tmpl, ch, k, gids in (("芯片设计", "electronics", ele, 6, [areas[0], areas[1]]),
                                    ("电子材料", "electronics", ele, 3, [areas[2]]),
                                    ("集成电路制造封测", "electronics", ele, 1, [points[1]]),
                                    ("电子元件", "electronics", ele, 5, [areas[2]]),
                                    ("整机终端", "electronics", ele, 2, [points[4], areas[2]]),
                                    ("软件与信息服务", "electronics", ele, 10, [areas[0], areas[1]]),
                                    ("研发外包", "biomedicine", bio, 5, [areas[3]]),
                                    ("原料药", "biomedicine", bio, 2, [areas[3]]),
                                    ("药品制剂", "biomedicine", bio, 4, [areas[3], points[5]]),
                                    ("医疗器械", "biomedicine", bio, 6, [areas[4], points[3]]),
                                    ("医药流通", "biomedicine", bio, 2, [areas[4]])):
        grp[leaf] = synth_firms(z, n, k, z, ch, tmpl, leaf, "成都", gids)
        n += k
    firm(f"CD-E-{n:03d}", "成都童悦托育服务有限公司", "童悦托育", z, "CD-G-3-01", ["托育服务"], ["8020"], [],
         scale="below", output=600, employees=40, synthetic=True, source=SYN + "：第三方专业托育机构")
    nursery = f"CD-E-{n:03d}"
    n += 1
    firm(f"CD-E-{n:03d}", "成都锦城物业服务有限公司", "锦城物业", z, areas[1], ["物业服务"], ["7020"], [],
         scale="above", output=9000, employees=600, synthetic=True, source=SYN)
    prop = f"CD-E-{n:03d}"
    # ---- party: 街道党工委 → 综合党委 (area/block) → grid and firm party orgs; paired with 吉泰社区党委
    party("CD-PO-0", "中共成都高新区桂溪街道工作委员会", "working_committee", z, members=90, synthetic=False)
    party("CD-PO-1", "桂溪街道联享街区综合党委", "comprehensive", z, "CD-PO-0", ["CD-G-1"], members=320,
          synthetic=False)
    party("CD-PO-2", "吉泰社区党委", "committee", z, "CD-PO-0", ["CD-G-3", "CD-G-3-01", "CD-G-3-02", "CD-G-3-03"],
          members=150, synthetic=False)
    party("CD-PO-3", "高新南区生物医药片区综合党委", "comprehensive", z, "CD-PO-0", ["CD-G-2", "CD-G-2-01"], members=140)
    sec = person("CD-P-S1", person_name(), "party_secretary", "成都芯瑞集成电路有限公司", z)
    post(sec, "CD-PO-1", "综合党委书记")
    post(sec, "CD-E-001", "党委书记、副总经理")
    sec2 = person("CD-P-S2", person_name(), "party_secretary", "成都锦城物业服务有限公司", z)
    post(sec2, "CD-PO-3", "综合党委书记")
    post(sec2, prop, "党支部书记")
    party("CD-PO-A1", "联享街区软件园专属网格党支部", "branch", z, "CD-PO-1", [areas[0]])
    party("CD-PO-A2", "联享街区商务楼宇专属网格党支部", "branch", z, "CD-PO-1", [areas[1]])
    party("CD-PO-E1", "成都芯瑞集成电路有限公司党委", "committee", z, "CD-PO-1", [points[0], areas[2]], "CD-E-001",
          [ele.id], members=210)
    party("CD-PO-E2", "成都华健生物制药股份有限公司党委", "committee", z, "CD-PO-3", [points[2]], "CD-E-002", [bio.id],
          members=120)
    party("CD-PO-E3", f"{firms[grp['医疗器械'][0]]['name']}党支部", "branch", z, "CD-PO-3", [points[3], areas[4]],
          grp["医疗器械"][0])
    party("CD-PO-E4", f"{firms[grp['整机终端'][0]]['name']}党支部", "branch", z, "CD-PO-1", [points[4]], grp["整机终端"][0])
    # points[1] and points[5] stay uncovered: coverage is not 100% (81% in the report)
    for i, gid in enumerate(areas + points):
        chief_of(person(f"CD-P-C{i + 1:02d}", person_name(), "grid_chief", "成都高新区社区发展治理局", z), gid, "2022-09-01")
    for i, gid in enumerate(areas):
        for k in range(2):
            member_of(person(f"CD-P-M{i + 1}{k + 1}", person_name(), "grid_member",
                             ("楼宇联络员（兼职）", "物业人员（兼职）")[k], z), gid)
    person("CD-P-I1", person_name(), "instructor", "成都高新区党群工作部", z)
    # ---- 需求—资源—项目: three lists, a subset of the 127 matched projects
    allf = [f for g in grp.values() for f in g]
    resource("CD-R-001", "联享职工儿童之家托育服务", "other", z, nursery, product="托育服务",
             description="第三方专业机构运营，综合党委与吉泰社区党委联合筹办", synthetic=False)
    need("CD-N-001", "联享街区青年职工婴幼儿托育", "other", "closed", "2022-10-10", z, "", synthetic=False,
         description="由联享街区综合党委提出，与吉泰社区党委结对“双向领办”")
    project("CD-PJ-001", "联享职工儿童之家", z, "CD-P-S1", [(nursery, "supplier"), ("CD-E-001", "partner")],
            [("proposed", "2022-10-12", "综合党委与社区党委结对领办"), ("negotiating", "2022-11-01", "引入第三方机构"),
             ("signed", "2022-12-15", "儿童之家开办")], event="双向领办", need_id="CD-N-001", resource_id="CD-R-001",
            synthetic=False)
    statuses = ["signed"] * 14 + ["negotiating"] * 4 + ["contacted"] * 2 + ["declined"] * 2 + ["dropped"] * 2
    ups = grp["芯片设计"] + grp["电子材料"] + grp["电子元件"] + grp["研发外包"] + grp["原料药"]
    downs = grp["整机终端"] + grp["软件与信息服务"] + grp["药品制剂"] + grp["医疗器械"] + ["CD-E-001", "CD-E-002"]
    for i, st in enumerate(statuses):
        sup = ups[i % len(ups)]
        buy = downs[(i * 3) % len(downs)]
        if (sup in grp["研发外包"] + grp["原料药"]) != (buy in grp["药品制剂"] + grp["医疗器械"] + ["CD-E-002"]):
            buy = (grp["药品制剂"] + grp["医疗器械"])[i % 10] if sup in grp["研发外包"] + grp["原料药"] else \
                (grp["整机终端"] + grp["软件与信息服务"] + ["CD-E-001"])[i % 13]
        prod = products_of(sup)[0]
        d0 = day("2023-01-09", i * 9)
        nid = need(f"CD-N-{i + 2:03d}", f"{firms[buy]['short']}寻找{prod}合作方", "supply",
                   "closed" if st in ("signed", "declined", "dropped") else "matched", d0, z, buy, product=prod,
                   due=day(d0, 15))
        rid = resource(f"CD-R-{i + 2:03d}", f"{firms[sup]['short']}提供{prod}", "supply", z, sup, product=prod)
        steps = [("proposed", d0, "CEO线上交流平台发布"), ("contacted", day(d0, 4), "网格党组织牵线")]
        if st != "contacted":
            steps.append(("negotiating", day(d0, 10), ""))
        if st not in ("contacted", "negotiating"):
            steps.append((st, day(d0, 25 + i), ""))
        project(f"CD-PJ-{i + 2:03d}", f"{firms[sup]['short']}—{firms[buy]['short']}（{prod}）", z,
                f"CD-P-C{i % 11 + 1:02d}", [(sup, "supplier"), (buy, "buyer")], steps, event="党建领航CEO峰会"
                if i % 4 == 0 else "", need_id=nid, resource_id=rid)
        if st == "signed":
            trade(sup, buy, prod, steps[-1][1], SYN + "：撮合签约")
    for i, f in enumerate(allf[::4]):
        kind = ("finance", "workers", "land", "technology", "approval")[i % 5]
        need(f"CD-N-{100 + i}", f"{firms[f]['short']}{ {'finance': '融资需求', 'workers': '招聘研发人员', 'land': '扩租办公空间', 'technology': '联合攻关', 'approval': '政策在线申报'}[kind]}",
             kind, "open", day("2023-03-01", i * 6), z, f, due=day("2023-03-01", i * 6 + 5))
    for i, (kind, title, dept) in enumerate((("finance", "亲清在线政策申报", "CD-D-02"), ("workers", "人才招聘服务", "CD-D-08"),
                                             ("land", "载体空间推介", "CD-D-04"), ("other", "一站式企业服务中心", "CD-D-01"))):
        resource(f"CD-R-D{i + 1}", title, kind, z, dept, description="31个企业服务中心、15分钟服务圈（子集）")


# ================================================================================================ outside


def outside() -> None:
    specs = (("food", "屠宰及肉制品", "郑州", 3), ("food", "休闲及方便食品", "许昌", 3), ("food", "调味品", "周口", 2),
             ("food", "食品装备", "诸城", 2), ("hydraulics", "液压胶管", "衡水", 2), ("hydraulics", "橡胶与密封", "宁波", 1),
             ("coal_hydrogen", "氢能", "佛山", 2), ("coal_hydrogen", "矿山装备", "太原", 1),
             ("auto", "汽车零部件", "重庆", 3), ("auto", "汽车材料", "德阳", 1), ("silk", "缫丝", "绵阳", 1),
             ("apparel_shoes", "鞋材", "晋江", 2), ("electronics", "电子元件", "绵阳", 1),
             ("biomedicine", "医疗器械", "苏州", 1))
    n = 1
    for tmpl, leaf, place, k in specs:
        synth_firms("OUT", n, k, "", None, tmpl, leaf, place, [], above_share=0.6, no_code_share=0.15)
        n += k
    for i in range(1, n):
        rows["enterprises.csv"][-i]["source"] = SYN + "：区外企业，可作招商或跨区供需对象"


# ================================================================================================ write

EXTRA_PRODUCTS = {"魔芋制品": "1439", "休闲豆制品": "1392", "卤制肉制品": "1353", "即食食品": "1439", "绿茶": "1530",
                  "茉莉花茶": "1530", "茶青": "0164", "啤酒瓶": "3055", "玻璃包装容器": "3055", "托育服务": "8020",
                  "物业服务": "7020"}


# ================================================================================================ workflows


LIMITS = {"land": 3, "transport": 3, "workers": 3, "living": 5, "dispute": 3, "safety": 3}
"""Days of the shipped example catalogue's categories used here (chainmatch/data/problem_categories.csv)."""


def _find(file: str, **where: str) -> list[dict[str, Any]]:
    return [r for r in rows[file] if all(r.get(k) == v for k, v in where.items())]


def _name(pid: str) -> str:
    return str(_find("people.csv", id=pid)[0]["name"])


def contact_of(firm: str, zone: str) -> str:
    """A person who works for the firm (its contact, who evaluates), made when the demo has none."""
    posts = [r["from_id"] for r in _find("posts.csv", to_id=firm) if r["from_id"].startswith(zone)]
    if posts:
        return str(posts[0])
    pid = person(f"{firm}-CT", person_name(), "grid_member", firms[firm]["name"], zone)
    post(pid, firm, "办公室主任")
    grid_id = firms_grid(firm)
    if grid_id:
        member_of(pid, grid_id)
    return pid


def firms_grid(firm: str) -> str:
    return str(_find("enterprises.csv", id=firm)[0]["grid_id"])


def problem(pid: str, title: str, category: str, zone: str, firm: str, reporter: str,
            actions: list[tuple[str, str, str, str, str]], *, description: str, synthetic: bool, source: str) -> str:
    """A problem run through the status machine of chainmatch.workflows.problems: ``actions`` are (action, YYYY-MM-DD, by
    person id, department id or evaluation, note) for raised, dispatched, acknowledged, escalated, closed, evaluated
    (the evaluation in the fourth place: satisfied or unsatisfied)."""
    days = LIMITS[category]
    grid_id = firms_grid(firm)
    st: dict[str, Any] = {"status": "raised", "level": 1, "escalations": 0, "reopened": 0, "departments": [],
                          "handler": "", "acks": {}, "dispatched": {}}
    steps = []
    for n, (action, d, by, arg, note) in enumerate(actions, start=1):
        if action == "raised":
            st["raised_on"], st["due_on"] = d, day(d, days)
        elif action == "dispatched":
            st["departments"].append(arg)
            st["dispatched"][arg] = d
            st["status"] = "dispatched" if st["status"] == "raised" else st["status"]
        elif action == "acknowledged":
            st["acks"][arg] = d
            st["handler"] = st["handler"] or arg
            st["status"] = "handling" if st["status"] == "dispatched" else st["status"]
        elif action == "escalated":
            st["level"] += 1
            st["escalations"] += 1
            st["due_on"] = day(d, days)
        elif action == "closed":
            st.update(status="closed", closed_on=d, on_time=d <= st["due_on"], feedback_due_on=day(d, 5))
        elif action == "evaluated":
            st.update(evaluation=arg, evaluated_on=d, evaluated_by=by, evaluation_note=note)
            if arg == "satisfied":
                st["status"] = "evaluated"
            else:
                st.update(status="reopened", reopened=st["reopened"] + 1, due_on=day(d, days))
                for gone in ("closed_on", "on_time", "feedback_due_on"):
                    st.pop(gone, None)
        step_action = "reopened" if action == "evaluated" and arg == "unsatisfied" else action
        steps.append({"id": f"{pid}-S{n:02d}", "status": st["status"], "action": step_action, "level": st["level"],
                          "at": f"{d}T{9 + n % 8:02d}:00:00+08:00", "by": f"{_name(by)} ({by})",
                          "department_id": arg if action in ("dispatched", "acknowledged") else "",
                          "note": note, "problem_id": pid})
    add("problems.csv", id=pid, title=title, category=category, description=description, status=st["status"],
        level=st["level"], raised_on=st["raised_on"], due_on=st["due_on"], closed_on=st.get("closed_on", ""),
        on_time=b(st["on_time"]) if "on_time" in st else "", feedback_due_on=st.get("feedback_due_on", ""),
        evaluation=st.get("evaluation", ""), evaluation_note=st.get("evaluation_note", ""),
        evaluated_on=st.get("evaluated_on", ""), evaluated_by=st.get("evaluated_by", ""),
        escalations=st["escalations"], reopened=st["reopened"], steps=len(steps), grid=grid_id,
        departments=";".join(st["departments"]), synthetic=b(synthetic), source=source, enterprise_id=firm,
        grid_id=grid_id, zone_id=zone, reporter_id=reporter, handler_id=st["handler"])
    for r in steps:
        add("problem_steps.csv", **r)
    for dept, on in st["dispatched"].items():
        add("problem_departments.csv", from_id=pid, to_id=dept, on=on, acknowledged_on=st["acks"].get(dept, ""))
    return pid


def workflows() -> None:
    """The named cases as problems and the sterilizer event as a matchmaking event (after the zones are written)."""
    # ---- 铭智新能源 (漯河): plant, hiring and living problems closed by its grid chief with the departments
    mz = "LH-E-006"
    chief = str(_find("grid_staff.csv", to_id=firms_grid(mz))[0]["from_id"])
    ct = contact_of(mz, "LH")
    src = A000 + "：签约后纳入专属网格管理，网格长协调解决厂房、招工、生活配套，两个月后投产；部门、日期与办理过程为示意"
    problem("LH-PB-001", "铭智新能源生产基地厂房", "land", "LH", mz, chief, [
        ("raised", "2025-03-03", chief, "", "网格长走访登记"), ("dispatched", "2025-03-03", chief, "LH-D-zr", "分流至自然资源和规划分局"),
        ("acknowledged", "2025-03-04", chief, "LH-D-zr", "自然资源和规划分局报到（首办负责）"),
        ("escalated", "2025-03-07", chief, "", "逾期未办结，自动提级至园区/综合党委"),
        ("closed", "2025-03-09", chief, "LH-D-zr", "标准化厂房拎包入驻"),
        ("evaluated", "2025-03-12", ct, "satisfied", "厂房已交付")],
        description="项目签约后需生产基地厂房", synthetic=False, source=src)
    problem("LH-PB-002", "铭智新能源投产招工", "workers", "LH", mz, chief, [
        ("raised", "2025-03-05", chief, "", "网格长走访登记"), ("dispatched", "2025-03-05", chief, "LH-D-rs", "分流至人社局"),
        ("acknowledged", "2025-03-05", chief, "LH-D-rs", "人力资源和社会保障局报到（首办负责）"),
        ("closed", "2025-03-08", chief, "LH-D-rs", "举办专场招聘会"),
        ("evaluated", "2025-03-15", ct, "unsatisfied", "首批招工人数不足"),
        ("closed", "2025-03-17", chief, "LH-D-rs", "第二场招聘会补足一线岗位"),
        ("evaluated", "2025-03-25", ct, "satisfied", "用工到位")],
        description="投产需招聘一线操作工", synthetic=False, source=src)
    problem("LH-PB-003", "铭智新能源职工生活配套", "living", "LH", mz, chief, [
        ("raised", "2025-03-06", chief, "", "网格长走访登记"), ("dispatched", "2025-03-06", chief, "LH-D-zj", "分流至住建局"),
        ("acknowledged", "2025-03-07", chief, "LH-D-zj", "住房和城乡建设局报到（首办负责）"),
        ("closed", "2025-03-11", chief, "LH-D-zj", "人才公寓、职工食堂与通勤班车落实"),
        ("evaluated", "2025-03-20", ct, "satisfied", "")],
        description="职工住宿、就餐与通勤", synthetic=False, source=src)
    # ---- 六枝: 企业吹哨、党委响应、部门报到 — the bus line, the freight railway, the road widening
    lz_src = A003 + "：企业吹哨、党委响应、部门报到，问题已解决（报道）；部门、日期与办理过程为示意"
    mj = "LZ-E-001"
    mj_ct = contact_of(mj, "LZ")
    sec = "LZ-P-S0"  # the comprehensive party committee's secretary responds and dispatches
    problem("LZ-PB-001", "增设园区公交专线", "transport", "LZ", mj, mj_ct, [
        ("raised", "2024-03-05", mj_ct, "", "企业吹哨"), ("dispatched", "2024-03-05", sec, "LZ-D-jt", "综合党委响应，分流至交通运输局"),
        ("acknowledged", "2024-03-05", sec, "LZ-D-jt", "交通运输局报到（首办负责）"),
        ("closed", "2024-03-08", sec, "LZ-D-jt", "园区公交专线开通"),
        ("evaluated", "2024-03-12", mj_ct, "satisfied", "职工通勤解决")],
        description="职工通勤不便", synthetic=False, source=lz_src)
    problem("LZ-PB-002", "建设货运铁路专线", "transport", "LZ", mj, mj_ct, [
        ("raised", "2024-03-19", mj_ct, "", "企业吹哨"),
        ("dispatched", "2024-03-19", sec, "LZ-D-gx", "综合党委响应，分流至工业和信息化局"),
        ("dispatched", "2024-03-19", sec, "LZ-D-zr", "分流至自然资源局"),
        ("acknowledged", "2024-03-19", sec, "LZ-D-zr", "自然资源局报到（首办负责）"),
        ("acknowledged", "2024-03-20", sec, "LZ-D-gx", "工业和信息化局报到"),
        ("escalated", "2024-03-23", sec, "", "逾期未办结，自动提级至园区/综合党委"),
        ("escalated", "2024-03-25", sec, "", "提级至区级统筹，专家团队会商线路与用地"),
        ("closed", "2024-03-27", sec, "LZ-D-zr", "专线用地与接轨方案落实"),
        ("evaluated", "2024-04-02", mj_ct, "satisfied", "")],
        description="焦炭、原煤外运依赖公路", synthetic=False, source=lz_src)
    road_firm = str(next(r for r in rows["needs.csv"] if "货运道路拓宽" in r["title"])["enterprise_id"])
    road_ct = contact_of(road_firm, "LZ")
    problem("LZ-PB-003", "货运道路拓宽至20米", "transport", "LZ", road_firm, road_ct, [
        ("raised", "2024-04-02", road_ct, "", "企业吹哨"),
        ("dispatched", "2024-04-02", sec, "LZ-D-zj", "综合党委响应，分流至住建局"),
        ("dispatched", "2024-04-02", sec, "LZ-D-zr", "分流至自然资源局"),
        ("acknowledged", "2024-04-02", sec, "LZ-D-zj", "住房和城乡建设局报到（首办负责）"),
        ("acknowledged", "2024-04-03", sec, "LZ-D-zr", "自然资源局报到"),
        ("closed", "2024-04-05", sec, "LZ-D-zj", "货运道路拓宽至20米"),
        ("evaluated", "2024-04-10", road_ct, "satisfied", "")],
        description="货运道路狭窄", synthetic=False, source=lz_src)
    # ---- 泉州: a small matter closed in the grid, a large one through the departments
    qz_src = A002 + "：小事由片长、网格员、调解员就地办结，大事由片区、部门、公安联动办理（报道描述机制）；本条为示意"
    # Made-up matters go to synthetic firms, never to a named one.
    plots = [r["id"] for r in rows["enterprises.csv"] if r["zone_id"] == "QZ" and r["grid_id"].count("-") == 4
             and r["synthetic"] == "true"]
    small = plots[0]
    head = str(_find("grid_staff.csv", to_id="-".join(firms_grid(small).split("-")[:3]))[0]["from_id"])
    small_ct = contact_of(small, "QZ")
    problem("QZ-PB-001", f"{firms[small]['short']}劳资纠纷调解", "dispute", "QZ", small, small_ct, [
        ("raised", "2024-06-03", small_ct, "", "网格员发现并上报"),
        ("closed", "2024-06-04", head, "", "片长、网格员、调解员现场调解，就地办结"),
        ("evaluated", "2024-06-06", small_ct, "satisfied", "")],
        description="员工工资结算争议", synthetic=True, source=qz_src)
    large = plots[1]
    large_ct = contact_of(large, "QZ")
    problem("QZ-PB-002", f"{firms[large]['short']}厂区周边道路积水与消防通道", "safety", "QZ", large, large_ct, [
        ("raised", "2024-07-08", large_ct, "", "网格员发现并上报"),
        ("dispatched", "2024-07-08", head, "QZ-D-04", "分流至规划建设局"),
        ("dispatched", "2024-07-08", head, "QZ-D-07", "分流至应急管理局"),
        ("acknowledged", "2024-07-08", head, "QZ-D-04", "规划建设局报到（首办负责）"),
        ("acknowledged", "2024-07-09", head, "QZ-D-07", "应急管理局报到"),
        ("escalated", "2024-07-09", head, "", "提级至园区：片区、部门、公安联动"),
        ("closed", "2024-07-11", head, "QZ-D-04", "排水改造，消防通道清理"),
        ("evaluated", "2024-07-15", large_ct, "satisfied", "")],
        description="雨季厂区周边道路积水，消防通道受阻", synthetic=True, source=qz_src)
    # ---- 漯河: the sterilizer matchmaking event, its invitees being the projects of the event
    event_projects = [r for r in rows["projects.csv"] if r["event"] == "高压灭菌设备供需对接会"]
    add("match_events.csv", id="LH-EV-001", title="高压灭菌设备供需对接会", product="高压灭菌设备",
        held_on="2025-05-16", status="held", direction="buyers", changes=1, synthetic=b(False),
        source=A000 + "：区里组织80余家食品企业对接，9家签约（含亿家馨）；邀请名单、到场与日期为示意",
        host_id="LH-E-004", need_id="LH-N-001", chain_id="LH-C-FOOD", zone_id="LH")
    for r in event_projects:
        buyer = next(p["from_id"] for p in _find("project_parties.csv", to_id=r["id"]) if p["role"] == "buyer")
        add("event_invitees.csv", from_id=buyer, to_id="LH-EV-001", origin="manual",
            reasons="专属网格长上报，列入对接会邀请名单", attended=b(True), project_id=r["id"])


def write() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.csv"):
        old.unlink()
    used = {p for r in rows["enterprises.csv"] for p in r["products"].split(";") if p}
    codes: dict[str, list[str]] = {}
    for t in CHAIN_BY_KEY.values():
        for g in t.segments:
            for p, c in g.products:
                codes.setdefault(p, [])
                if c not in codes[p]:
                    codes[p].append(c)
    for p, c in EXTRA_PRODUCTS.items():
        codes.setdefault(p, [c])
    for p in sorted(used):
        if p in codes:
            rows["products.csv"].append({"id": p, "industry_codes": ";".join(codes[p])})
    for name, cols in COLUMNS.items():
        if not rows[name]:
            continue
        with open(OUT / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for r in rows[name]:
                w.writerow(["" if r.get(c) is None else r.get(c, "") for c in cols])


def main() -> None:
    luohe()
    quanzhou()
    liuzhi()
    jialing()
    chengdu()
    outside()
    workflows()
    write()
    by_zone: dict[str, int] = {}
    for r in rows["enterprises.csv"]:
        by_zone[r["zone_id"] or "(outside)"] = by_zone.get(r["zone_id"] or "(outside)", 0) + 1
    print(" ".join(f"{k}={v}" for k, v in by_zone.items()), "total", len(rows["enterprises.csv"]))
    print(" ".join(f"{k}={len(v)}" for k, v in rows.items()))


if __name__ == "__main__":
    main()
