"""Synthetic development zones of any size, written as a chainmatch data folder.

The generator streams rows straight to the CSV files of the data folder format (the same files and columns as
``seeds/demo``), so memory stays flat however many enterprises are asked for: firm *j* of a zone is placed by
arithmetic on *j* (its chain, segment and grid), which lets a firm draw suppliers from upstream segments without
keeping earlier firms in memory. Everything is drawn from one ``random.Random(seed)``: the same arguments give
byte-identical files.

Firm names follow the registered-name pattern 行政区划 + 字号 + 行业 + 组织形式 (e.g. 许昌鑫瑞食品有限公司);
products and GB/T 4754-2017 codes come from :data:`CHAINS`, a small table of real industry chains
(食品, 智能装备, 液压科技, 煤—焦—氢, 汽车汽配, 丝纺服装, 鞋服, 电子信息, 生物医药) that the demo data also uses.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as _dt
import random
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = [
    "CHAINS",
    "CHAIN_BY_KEY",
    "COLUMNS",
    "ChainTemplate",
    "GenerationSummary",
    "SegmentTemplate",
    "generate",
]


# ------------------------------------------------------------------------------------------- chain table


@dataclass(frozen=True)
class SegmentTemplate:
    """A leaf segment of a chain: its stage, typical products with their GB/T 4754-2017 小类, name words.

    ``words`` are the industry words a firm of this segment carries in its name (食品, 液压, 物流 ...);
    ``weight`` is the relative number of firms in the segment; ``leader`` marks the segment of the chain leader.
    """

    name: str
    stage: str
    products: tuple[tuple[str, str], ...]
    words: tuple[str, ...]
    weight: int = 1
    leader: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        """The distinct industry codes of the segment's products, in product order."""
        return tuple(dict.fromkeys(code for _, code in self.products))


@dataclass(frozen=True)
class ChainTemplate:
    """An industry chain: its leaf segments from upstream to downstream and the titles of its three stages."""

    key: str
    name: str
    stages: tuple[str, str, str]
    segments: tuple[SegmentTemplate, ...]


def _seg(name: str, stage: str, products: str, words: str, weight: int = 1, leader: bool = False) -> SegmentTemplate:
    pairs = tuple((p.split(":")[0], p.split(":")[1]) for p in products.split())
    return SegmentTemplate(name, stage, pairs, tuple(words.split()), weight, leader)


_U, _M, _D = "upstream", "midstream", "downstream"

#: The chain templates, each a tuple of leaf segments ordered from upstream to downstream.
CHAINS: tuple[ChainTemplate, ...] = (
    ChainTemplate("food", "食品", ("原料、装备与包装", "食品加工", "流通与冷链"), (
        _seg("畜禽养殖", _U, "生猪:0313 肉鸡:0321 肉牛:0311", "牧业 养殖 畜牧", 2),
        _seg("粮油加工", _U, "小麦粉:1312 食用植物油:1331 玉米淀粉:1391 大米:1311", "粮油 面业 油脂", 2),
        _seg("食品配料", _U, "食品添加剂:1495 香辛料:1469 复合调味料:1469", "生物科技 食品配料", 1),
        _seg("食品包装", _U, "食品包装袋:2921 瓦楞纸箱:2231 塑料包装容器:2926 金属罐:3333", "包装 印务 包装材料", 2),
        _seg("食品装备", _U, "食品加工设备:3531 高压灭菌设备:3531 灌装设备:3467 包装机械:3467",
             "机械 食品机械 装备", 1),
        _seg("屠宰及肉制品", _M, "冷鲜肉:1351 火腿肠:1353 低温肉制品:1353 禽肉制品:1352 肉罐头:1451",
             "肉食品 食品 肉业", 3, leader=True),
        _seg("休闲及方便食品", _M, "调味面制品:1439 速冻水饺:1432 方便面:1433 饼干:1419 糕点:1411 糖果:1421",
             "食品 休闲食品", 4),
        _seg("调味品", _M, "酱油:1462 食醋:1462 鸡精:1469 火锅底料:1469", "调味品 酿造 食品", 2),
        _seg("饮料及酒", _M, "瓶装饮用水:1522 果汁饮料:1523 茶饮料:1529 啤酒:1513 白酒:1512",
             "饮品 饮料 酒业", 2),
        _seg("乳制品", _M, "液体乳:1441 乳粉:1442 酸奶:1441", "乳业 乳品", 1),
        _seg("冷链物流", _D, "冷链仓储:5930 冷藏运输:5432", "冷链物流 物流 供应链", 1),
        _seg("食品批发零售", _D, "食品批发:5129 肉制品批发:5124 粮油批发:5121", "商贸 贸易 食品销售", 1),
    )),
    ChainTemplate("equipment", "智能装备", ("核心零部件", "整机装备", "集成与服务"), (
        _seg("传动部件", _U, "滚动轴承:3451 精密齿轮:3453 减速机:3453", "轴承 传动 机械", 2),
        _seg("电机电控", _U, "伺服电机:3812 微特电机:3813 PLC控制器:4011 传感器:3983", "电气 自动化 电子", 2),
        _seg("结构件加工", _U, "机加工件:3484 铸件:3391 钣金件:3311", "机械 精密 重工", 2),
        _seg("专用整机", _M, "食品加工设备:3531 包装机械:3467 农产品加工设备:3532", "机械 装备 智能装备", 3,
             leader=True),
        _seg("机器人与物流装备", _M, "工业机器人:3491 智能输送线:3434 堆垛机:3439", "智能科技 机器人 装备", 2),
        _seg("数控机床", _M, "数控机床:3421 激光切割机:3424", "数控 机床 装备", 1),
        _seg("系统集成", _D, "智能产线集成:6531 工业软件:6513", "智能科技 信息技术 软件", 1),
        _seg("设备运维", _D, "设备维修服务:4330 设备安装调试:4320", "机电 设备服务", 1),
    )),
    ChainTemplate("hydraulics", "液压科技", ("材料", "液压元件", "液压系统与应用"), (
        _seg("钢管钢丝", _U, "无缝钢管:3130 精密钢管:3130 胶管钢丝:3340", "钢管 金属制品 钢铁", 2),
        _seg("橡胶与密封", _U, "合成橡胶:2652 橡胶密封件:2913 液压密封件:3481", "橡胶 密封 新材料", 2),
        _seg("液压胶管", _M, "超高压液压胶管:2912 钢丝编织胶管:2912 胶管总成:2912", "液压 胶管 流体", 2,
             leader=True),
        _seg("液压管件", _M, "液压管件:3444 液压管接头:3444 快速接头:3444", "液压 流体 机械", 2),
        _seg("液压泵阀缸", _M, "液压油缸:3444 液压阀:3444 液压泵:3441 液压站:3444", "液压 液压机械 机械", 3),
        _seg("工程与矿山机械", _D, "液压支架:3511 挖掘机:3514 起重机:3432", "重工 工程机械 机械", 1),
        _seg("超高压装备", _D, "超高压清洗设备:3499 高压灭菌设备:3531 超高压试验设备:4015", "高压科技 装备", 1),
    )),
    ChainTemplate("coal_hydrogen", "煤—焦—氢", ("煤炭与装备", "炼焦与煤电", "氢能、化工与物流"), (
        _seg("煤炭开采洗选", _U, "原煤:0610 洗精煤:0610 无烟煤:0610", "煤业 矿业 能源", 3),
        _seg("矿山装备", _U, "采煤机:3511 液压支架:3511 矿用输送机:3434 化工设备:3521", "机械 重工 装备", 2),
        _seg("炼焦", _M, "冶金焦炭:2521 焦炉煤气:2521 煤焦油:2521", "焦化 煤化工 能源", 2, leader=True),
        _seg("煤电", _M, "火电:4411 热电联产供汽:4412", "电力 发电 能源", 1),
        _seg("氢能", _D, "工业氢气:2619 燃料电池用氢:2619 加氢服务:5266", "氢能 新能源 能源", 1),
        _seg("煤化工产品", _D, "甲醇:2614 粗苯:2614 液化天然气:2522", "化工 煤化工", 1),
        _seg("铁路与货运物流", _D, "铁路货运:5320 道路货运:5431 危险货物运输:5435", "物流 运输 供应链", 2),
    )),
    ChainTemplate("auto", "汽车汽配", ("材料与零部件", "整车制造", "销售与服务"), (
        _seg("汽车材料", _U, "汽车玻璃:3051 轮胎:2911 汽车钢板:3130 汽车内饰面料:1751", "玻璃 材料 橡胶", 2),
        _seg("汽车零部件", _U, "汽车座椅:3670 车桥:3670 汽车线束:3670 制动器:3670 发动机:3620 动力电池:3841",
             "汽车零部件 汽配 机械", 5),
        _seg("整车制造", _M, "新能源商用车:3612 乘用车:3611 专用汽车:3630", "汽车 汽车制造", 1, leader=True),
        _seg("车身与挂车", _M, "汽车车身:3660 挂车:3660", "车身 车辆", 1),
        _seg("销售与后市场", _D, "汽车销售:5261 汽车维修:8111 汽车零配件销售:5263", "汽车销售 汽车服务", 2),
    )),
    ChainTemplate("silk", "丝纺服装", ("蚕桑与缫丝", "丝织与服装", "家纺与销售"), (
        _seg("蚕桑", _U, "蚕茧:0399 桑苗:0149", "蚕桑 农业", 2),
        _seg("缫丝", _U, "生丝:1741 绢丝:1742", "丝业 丝绸", 2),
        _seg("丝织印染", _M, "真丝面料:1742 丝绸印染:1743", "丝绸 纺织", 2),
        _seg("服装制造", _M, "真丝服装:1819 针织服装:1829 服饰:1830", "服饰 服装 制衣", 3, leader=True),
        _seg("家纺", _D, "蚕丝被:1771 丝绸床品:1771", "家纺 丝绸", 1),
        _seg("服装销售", _D, "服装批发:5132 服装零售:5232", "商贸 服饰", 1),
    )),
    ChainTemplate("apparel_shoes", "鞋服", ("面料与鞋材", "服装与制鞋", "品牌与流通"), (
        _seg("面料辅料", _U, "化纤面料:1751 针织面料:1761 织带:1783 拉链:4119", "纺织 织造 辅料", 3),
        _seg("鞋材", _U, "EVA鞋底:2929 橡胶大底:2913 合成革:2925 鞋面材料:1761", "鞋材 鞋业 新材料", 3),
        _seg("服装", _M, "男装:1819 运动服:1811 休闲服装:1821 夹克:1819 西裤:1819", "服饰 服装 制衣", 3, leader=True),
        _seg("制鞋", _M, "运动鞋:1951 皮鞋:1952 休闲鞋:1959 童鞋:1951", "鞋业 体育用品", 3),
        _seg("品牌流通", _D, "服装批发:5132 鞋帽批发:5133 网络零售:5292", "商贸 电子商务 贸易", 1),
        _seg("仓储物流", _D, "快递物流:5436 仓储服务:5920", "物流 供应链", 1),
    )),
    ChainTemplate("electronics", "电子信息", ("设计与材料", "制造与封测", "终端与软件"), (
        _seg("芯片设计", _U, "芯片设计:6520 集成电路设计服务:6520", "微电子 半导体 芯", 2),
        _seg("电子材料", _U, "电子专用材料:3985 电子浆料:3985", "电子材料 新材料", 1),
        _seg("集成电路制造封测", _M, "集成电路:3973 芯片封装测试:3973", "半导体 集成电路", 1, leader=True),
        _seg("电子元件", _M, "印制电路板:3982 传感器:3983 电容器:3981", "电子 电子科技", 2),
        _seg("整机终端", _D, "计算机整机:3911 通信终端:3922", "信息技术 通信 电子", 1),
        _seg("软件与信息服务", _D, "应用软件:6513 信息系统集成:6531 数据处理服务:6550", "软件 网络科技 信息技术", 3),
    )),
    ChainTemplate("biomedicine", "生物医药", ("研发与原料", "药品与器械", "医药流通"), (
        _seg("研发外包", _U, "医药研发服务:7340 临床试验服务:7340", "医药科技 生物技术", 2),
        _seg("原料药", _U, "化学原料药:2710 医药中间体:2710", "药业 化学制药", 1),
        _seg("药品制剂", _M, "化学制剂:2720 生物制品:2761 中成药:2740", "药业 制药 生物", 2, leader=True),
        _seg("医疗器械", _M, "医疗诊断设备:3581 医用耗材:3584", "医疗器械 医疗科技", 2),
        _seg("医药流通", _D, "药品批发:5151 医疗器械零售:5254", "医药 医药贸易", 1),
    )),
)

#: Chain templates by key.
CHAIN_BY_KEY: dict[str, ChainTemplate] = {c.key: c for c in CHAINS}

_STAGES = (_U, _M, _D)

#: The columns of every file the generator writes (a subset of what the schema allows; see graph_schema).
COLUMNS: dict[str, tuple[str, ...]] = {
    "zones.csv": ("id", "name", "short_name", "kind", "province", "city", "source"),
    "departments.csv": ("id", "name", "zone_id"),
    "grids.csv": ("id", "name", "level", "kind", "type", "synthetic", "zone_id", "parent_id"),
    "people.csv": ("id", "name", "role", "organ", "synthetic", "zone_id"),
    "party_organizations.csv": ("id", "name", "kind", "members", "synthetic", "zone_id", "parent_id",
                                "grid_ids", "enterprise_id", "chain_ids"),
    "enterprises.csv": ("id", "uscc", "name", "short_name", "aliases", "scope", "scale", "output_value",
                        "employees", "synthetic", "source", "zone_id", "grid_id", "products", "industry_codes",
                        "segment_ids"),
    "products.csv": ("id", "industry_codes"),
    "chains.csv": ("id", "name", "template", "task_force", "zone_id", "leader_ids"),
    "segments.csv": ("id", "name", "stage", "order", "industry_codes", "products", "chain_id", "parent_id"),
    "needs.csv": ("id", "title", "kind", "product", "description", "status", "posted_on", "due_on", "synthetic",
                  "zone_id", "enterprise_id"),
    "resources.csv": ("id", "title", "kind", "product", "description", "synthetic", "zone_id", "provider_id"),
    "projects.csv": ("id", "title", "status", "event", "created_on", "due_on", "synthetic", "zone_id", "owner_id",
                     "need_id", "resource_id"),
    "project_steps.csv": ("id", "status", "at", "by", "note", "project_id"),
    "grid_staff.csv": ("from_id", "to_id", "since"),
    "grid_members.csv": ("from_id", "to_id"),
    "liaisons.csv": ("from_id", "to_id", "note"),
    "posts.csv": ("from_id", "to_id", "title"),
    "trades.csv": ("from_id", "to_id", "product", "since", "source"),
    "project_parties.csv": ("from_id", "to_id", "role"),
}


# ------------------------------------------------------------------------------------------- word lists

_CITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("河南", "许昌", ("许昌", "长葛", "禹州", "鄢陵")),
    ("河南", "周口", ("周口", "项城", "西华", "商水")),
    ("山东", "临沂", ("临沂", "兰陵", "郯城", "沂水")),
    ("四川", "宜宾", ("宜宾", "南溪", "江安", "长宁")),
    ("四川", "德阳", ("德阳", "广汉", "什邡", "绵竹")),
    ("福建", "莆田", ("莆田", "仙游", "涵江", "秀屿")),
    ("贵州", "毕节", ("毕节", "黔西", "金沙", "织金")),
    ("江西", "赣州", ("赣州", "南康", "瑞金", "信丰")),
    ("湖南", "衡阳", ("衡阳", "耒阳", "常宁", "衡南")),
    ("安徽", "阜阳", ("阜阳", "界首", "太和", "颍上")),
    ("湖北", "襄阳", ("襄阳", "枣阳", "宜城", "老河口")),
    ("河北", "邢台", ("邢台", "南宫", "沙河", "清河")),
    ("江苏", "宿迁", ("宿迁", "沭阳", "泗阳", "泗洪")),
    ("广西", "玉林", ("玉林", "北流", "容县", "博白")),
    ("陕西", "宝鸡", ("宝鸡", "岐山", "凤翔", "眉县")),
    ("重庆", "永川", ("永川", "荣昌", "大足", "铜梁")),
)
_ZONE_WORDS = ("东城", "西城", "南城", "北城", "新城", "临港", "滨河", "高铁", "空港", "城北")
_ZONE_KINDS = (("经济技术开发区", "etdz"), ("高新技术产业开发区", "hitech"), ("产业园区", "park"))
_SYLLABLES = (
    "鑫华宏盛达恒瑞丰源泰兴隆昌荣腾飞祥和顺通利康安信德诚中天正大金银宝龙凤嘉佳美新创科宇豪博远航海峰"
    "明辉光耀星辰润泽晨阳春秋乐福禄寿喜吉庆永久长青松柏梅兰竹菊锦绣江山川河湖泉林森岩石磊鼎立铭志"
    "启迪智慧英杰俊豪卓越优品尚佳精工良匠汇聚合众万方百川千禾麦穗谷仓沃野丰收宇宙汉唐宋元明清"
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宁浩鹏飞凯欣悦晨宇航思雨"
_ORGANS = ("区发展改革局", "区工业和信息化局", "区财政局", "区人力资源和社会保障局", "区自然资源局",
           "区住房和城乡建设局", "区市场监督管理局", "区商务局", "区科技局", "区应急管理局", "区税务局",
           "区委组织部", "区生态环境分局", "区招商服务中心")
_DEPARTMENTS = ("经济发展局", "招商服务局", "自然资源和规划局", "人力资源和社会保障局", "市场监督管理局",
                "财政金融局", "税务局")
_MEMBER_TITLES = ("行政经理", "综合部部长", "生产副总", "办公室主任", "人事经理", "安全主管")
_NEED_KINDS = ("buyers", "supply", "land", "workers", "finance", "technology", "approval", "other")
_NEED_WEIGHTS = (25, 20, 10, 15, 14, 8, 6, 2)
_NEED_TEXT = {
    "land": ("新建生产线需标准化厂房", "需扩建厂房约{n}000平方米"),
    "workers": ("招聘一线操作工", "旺季用工缺口约{n}0人"),
    "finance": ("流动资金贷款", "需融资约{n}00万元用于原料采购"),
    "technology": ("工艺升级技术合作", "寻求高校院所合作攻关{n}项工艺难题"),
    "approval": ("项目环评与施工许可办理", "新建项目需办理{n}项审批手续"),
    "other": ("职工生活配套", "职工宿舍、通勤班车等生活配套需协调"),
}
_DEPT_RESOURCES = (
    ("land", "标准化厂房出租", "园区标准化厂房可租面积约{n}0000平方米"),
    ("workers", "园区专场招聘会", "每月举办专场招聘会，可对接职业院校"),
    ("finance", "政银企对接贷款", "合作银行提供科技贷、订单贷，单笔最高{n}00万元"),
    ("approval", "项目审批代办", "专人代办立项、环评、施工许可，手续齐全1天办结"),
)
# Leaf groups per L3 grid: a size-1 group is a "point" grid of one large firm; period of 40 firms in 7 grids.
_GROUP_SIZES = (1, 7, 9, 1, 8, 6, 8)
_GROUP_CUM = tuple(sum(_GROUP_SIZES[:i]) for i in range(len(_GROUP_SIZES) + 1))
_PERIOD = _GROUP_CUM[-1]
_L3_PER_L2 = 10
_L2_PER_L1 = 6
_DAY0 = _dt.date(2024, 1, 1).toordinal()


# ------------------------------------------------------------------------------------------- summary


@dataclass
class GenerationSummary:
    """Row counts of a generated data folder."""

    zones: int = 0
    enterprises: int = 0
    outside_enterprises: int = 0
    grids: int = 0
    departments: int = 0
    people: int = 0
    party_organizations: int = 0
    chains: int = 0
    segments: int = 0
    products: int = 0
    needs: int = 0
    resources: int = 0
    projects: int = 0
    project_steps: int = 0
    trades: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# ------------------------------------------------------------------------------------------- helpers


def _pattern(chain: ChainTemplate) -> tuple[int, ...]:
    """Leaf indexes in a weighted round-robin whose every prefix is spread over the segments."""
    weights = [s.weight for s in chain.segments]
    total = sum(weights)
    current = [0] * len(weights)
    out: list[int] = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: current[i])
        current[best] -= total
        out.append(best)
    return tuple(out)


_PATTERNS: dict[str, tuple[int, ...]] = {c.key: _pattern(c) for c in CHAINS}
_POSITIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    c.key: tuple(tuple(p for p, leaf in enumerate(_PATTERNS[c.key]) if leaf == i) for i in range(len(c.segments)))
    for c in CHAINS
}


def _grid_of(j: int) -> int:
    """The index of the level-3 grid holding firm ``j`` of a zone."""
    q, r = divmod(j, _PERIOD)
    return q * len(_GROUP_SIZES) + bisect.bisect_right(_GROUP_CUM, r) - 1


def _is_point(j: int) -> bool:
    return _GROUP_SIZES[bisect.bisect_right(_GROUP_CUM, j % _PERIOD) - 1] == 1


def _sample(rng: random.Random, n: int, cols: int, col: int, chain: ChainTemplate, leaf: int) -> int | None:
    """A random firm index < n laid out as ``j = (block * len(pattern) + pos) * cols + col`` in ``leaf``."""
    pattern = _PATTERNS[chain.key]
    positions = _POSITIONS[chain.key][leaf]
    period = len(pattern)
    blocks = (n // cols) // period + 1
    for _ in range(4):
        j = (rng.randrange(blocks) * period + rng.choice(positions)) * cols + col
        if j < n:
            return j
    j = positions[0] * cols + col
    return j if j < n else None


def _first_product(chain: ChainTemplate, leaf: int, salt: int) -> tuple[str, str]:
    products = chain.segments[leaf].products
    return products[(salt * 7 + salt // 7) % len(products)]


def _date(offset: int) -> str:
    return _dt.date.fromordinal(_DAY0 + offset).isoformat()


class _Writers:
    """One csv writer per file of the folder, opened together so rows can stream to all of them."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.w: dict[str, Any] = {}
        for name, cols in COLUMNS.items():
            f = stack.enter_context(open(out_dir / name, "w", encoding="utf-8", newline=""))  # noqa: SIM115
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(cols)
            self.w[name] = writer


def _person_name(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(_SURNAMES) + given


# ------------------------------------------------------------------------------------------- generator


@dataclass(frozen=True)
class _Zone:
    index: int
    prefix: str
    id: str
    name: str
    province: str
    places: tuple[str, ...]
    chains: tuple[ChainTemplate, ...]
    n: int


def generate(
    out_dir: Path,
    *,
    enterprises: int,
    zones: int = 1,
    chains_per_zone: int = 3,
    seed: int = 0,
    unclassified_share: float = 0.05,
) -> GenerationSummary:
    """Write a synthetic data folder with ``enterprises`` firms spread over ``zones`` zones.

    Parameters
    ----------
    out_dir : Path
        The folder to write (created if missing; the generator's files in it are overwritten).
    enterprises : int
        Total number of enterprises, including about 2% outside every zone (``zone_id`` empty) that
        investment staff could recruit.
    zones : int
        Number of development zones.
    chains_per_zone : int
        Industry chains per zone, taken in turn from :data:`CHAINS` (at most ``len(CHAINS)``).
    seed : int
        Seed of the one ``random.Random`` behind every choice; equal arguments give byte-identical files.
    unclassified_share : float
        Share of firms written without ``industry_codes`` (left for the loader's classifier).

    Returns
    -------
    GenerationSummary
        Row counts per kind of record.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = generate(Path(tmp), enterprises=200, zones=2, seed=7)
    ...     header = (Path(tmp) / "enterprises.csv").read_text(encoding="utf-8").splitlines()[0]
    >>> summary.enterprises, summary.zones, summary.chains
    (200, 2, 6)
    >>> header.split(",")[:3]
    ['id', 'uscc', 'name']
    """
    if enterprises < 1:
        raise ValueError(f"enterprises={enterprises}: ask for at least 1 enterprise.")
    if zones < 1:
        raise ValueError(f"zones={zones}: ask for at least 1 zone.")
    if not 1 <= chains_per_zone <= len(CHAINS):
        raise ValueError(f"chains_per_zone={chains_per_zone}: must be between 1 and {len(CHAINS)}.")
    rng = random.Random(seed)
    n_out = enterprises // 50 if enterprises >= 50 else 0
    n_in = enterprises - n_out
    if n_in < zones:
        raise ValueError(f"enterprises={enterprises} is too few for zones={zones}: give each zone at least one firm.")
    summary = GenerationSummary()
    zone_list: list[_Zone] = []
    for z in range(zones):
        province, city, places = _CITIES[z % len(_CITIES)]
        word = _ZONE_WORDS[(z // len(_CITIES)) % len(_ZONE_WORDS)]
        suffix = _ZONE_KINDS[z % len(_ZONE_KINDS)][0]
        chains = tuple(CHAINS[(z + c) % len(CHAINS)] for c in range(chains_per_zone))
        n = n_in // zones + (1 if z < n_in % zones else 0)
        name = f"{city}{word}{suffix}" + (f"({z // (len(_CITIES) * len(_ZONE_WORDS)) + 1})"
                                           if z >= len(_CITIES) * len(_ZONE_WORDS) else "")
        zone_list.append(_Zone(z, f"Z{z + 1:03d}", f"Z{z + 1:03d}", name, province, places, chains, n))
    with ExitStack() as stack:
        out = _Writers(out_dir, stack)
        _write_products(out, summary)
        for zone in zone_list:
            _write_zone(rng, out, zone, zone_list, n_out, seed, unclassified_share, summary)
        _write_outside(rng, out, n_out, unclassified_share, summary)
    summary.zones = zones
    return summary


def _write_products(out: _Writers, summary: GenerationSummary) -> None:
    seen: dict[str, list[str]] = {}
    for chain in CHAINS:
        for seg in chain.segments:
            for product, code in seg.products:
                codes = seen.setdefault(product, [])
                if code not in codes:
                    codes.append(code)
    for product, codes in seen.items():
        out.w["products.csv"].writerow((product, ";".join(codes)))
    summary.products = len(seen)


def _firm_row(
    rng: random.Random, fid: str, place: str, chain: ChainTemplate, leaf: int, salt: int, big: bool,
    unclassified_share: float,
) -> tuple[list[str], str, str]:
    """The enterprise row (without zone, grid and segment columns), its short name and first product."""
    seg = chain.segments[leaf]
    first = _first_product(chain, leaf, salt)
    products = [first]
    for _ in range(rng.choice((0, 1, 1, 2))):
        p = rng.choice(seg.products)
        if p not in products:
            products.append(p)
    zihao = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
    word = rng.choice(seg.words)
    above = big or rng.random() < 0.3
    form = "股份有限公司" if above and rng.random() < 0.25 else rng.choice(("有限公司", "有限公司", "有限责任公司"))
    if big:
        employees = rng.randint(800, 6000)
        output = rng.randint(50_000, 600_000)
    elif above:
        employees = rng.randint(60, 1500)
        output = rng.randint(2_000, 80_000)
    else:
        employees = rng.randint(5, 120)
        output = rng.randint(80, 1_990)
    codes = "" if rng.random() < unclassified_share else ";".join(dict.fromkeys(c for _, c in products))
    names = [p for p, _ in products]
    row = [
        fid, "", f"{place}{zihao}{word}{form}", f"{zihao}{word}", "",
        f"{'、'.join(names)}的生产、销售", "above" if above else "below", str(output), str(employees),
        "true", "合成数据", "", "", ";".join(names), codes, "",
    ]
    return row, f"{zihao}{word}", first[0]


def _write_zone(
    rng: random.Random, out: _Writers, zone: _Zone, zone_list: Sequence[_Zone], n_out: int, seed: int,
    unclassified_share: float, summary: GenerationSummary,
) -> None:
    w = out.w
    zp = zone.prefix
    cols = len(zone.chains)
    w["zones.csv"].writerow((zone.id, zone.name, zone.name.replace("经济技术开发区", "经开区")
                             .replace("高新技术产业开发区", "高新区"),
                             _ZONE_KINDS[zone.index % len(_ZONE_KINDS)][1], zone.province, zone.places[0] + "市",
                             f"合成数据 (chainmatch.synth, seed={seed})"))
    dept_ids = [f"{zp}-D-{k + 1:02d}" for k in range(len(_DEPARTMENTS))]
    for did, dname in zip(dept_ids, _DEPARTMENTS):
        w["departments.csv"].writerow((did, dname, zone.id))
    summary.departments += len(dept_ids)
    for k, (kind, title, text) in enumerate(_DEPT_RESOURCES):
        w["resources.csv"].writerow((f"{zp}-R-D{k + 1}", title, kind, "", text.format(n=rng.randint(2, 9)), "true",
                                     zone.id, dept_ids[(k * 2 + 2) % len(dept_ids)]))
        summary.resources += 1
    # Chains, their segments and leaders.
    working = f"{zp}-PO-0"
    w["party_organizations.csv"].writerow((working, f"{zone.name}党工委", "working_committee", rng.randint(20, 60),
                                           "true", zone.id, "", "", "", ""))
    summary.party_organizations += 1
    for c, chain in enumerate(zone.chains):
        cid = f"{zp}-C-{c + 1}"
        lead_leaf = next(i for i, s in enumerate(chain.segments) if s.leader)
        lj = _POSITIONS[chain.key][lead_leaf][0] * cols + c
        leader = f"{zp}-E-{lj:07d}" if lj < zone.n else ""
        w["chains.csv"].writerow((cid, chain.name, chain.key, f"{chain.name}产业链工作专班", zone.id, leader))
        for s, title in enumerate(chain.stages):
            stage_segs = [seg for seg in chain.segments if seg.stage == _STAGES[s]]
            w["segments.csv"].writerow((f"{cid}-S{s + 1}", f"{_stage_cn(s)}：{title}", _STAGES[s], s + 1,
                                        ";".join(dict.fromkeys(c2 for g in stage_segs for c2 in g.codes)), "",
                                        cid, ""))
        for i, seg in enumerate(chain.segments):
            w["segments.csv"].writerow((f"{cid}-S{_STAGES.index(seg.stage) + 1}-{i + 1:02d}", seg.name, seg.stage,
                                        10 + i, ";".join(seg.codes), ";".join(p for p, _ in seg.products),
                                        cid, f"{cid}-S{_STAGES.index(seg.stage) + 1}"))
        w["party_organizations.csv"].writerow((f"{zp}-PO-C{c + 1}", f"{zone.name}{chain.name}产业链党委", "industry",
                                               rng.randint(15, 80), "true", zone.id, working, "", "", cid))
        summary.chains += 1
        summary.segments += 3 + len(chain.segments)
        summary.party_organizations += 1
    # Firms, walked grid by grid.
    current_g3 = -1
    chief = ""
    l1_po = ""
    l1_id = ""
    l2_id = ""
    g3_id = ""
    for j in range(zone.n):
        g3 = _grid_of(j)
        if g3 != current_g3:
            current_g3 = g3
            if g3 % (_L3_PER_L2 * _L2_PER_L1) == 0:
                n1 = g3 // (_L3_PER_L2 * _L2_PER_L1) + 1
                l1_id = f"{zp}-G1-{n1:05d}"
                w["grids.csv"].writerow((l1_id, f"第{n1}片区", 1, "exclusive", "block", "true", zone.id, ""))
                head = f"{zp}-P-A{n1:05d}"
                w["people.csv"].writerow((head, _person_name(rng), "area_head", "园区基层治理服务中心", "true", zone.id))
                w["grid_staff.csv"].writerow((head, l1_id, _date(rng.randrange(180))))
                l1_po = f"{zp}-PO-A{n1:05d}"
                w["party_organizations.csv"].writerow((l1_po, f"第{n1}片区综合党委", "comprehensive",
                                                       rng.randint(30, 200), "true", zone.id, working, l1_id, "", ""))
                summary.grids += 1
                summary.people += 1
                summary.party_organizations += 1
            if g3 % _L3_PER_L2 == 0:
                n2 = g3 // _L3_PER_L2 + 1
                l2_id = f"{zp}-G2-{n2:06d}"
                w["grids.csv"].writerow((l2_id, f"第{n2}单元网格", 2, "exclusive", "area", "true", zone.id, l1_id))
                member = f"{zp}-P-F{n2:06d}"
                w["people.csv"].writerow((member, _person_name(rng), "grid_member", "园区基层治理服务中心", "true",
                                          zone.id))
                w["grid_members.csv"].writerow((member, l2_id))
                w["liaisons.csv"].writerow((dept_ids[n2 % len(dept_ids)], l2_id, "单元网格挂钩联系部门"))
                compound = f"{zp}-G3-R{n2:06d}"
                compound_name = (f"{rng.choice(_SYLLABLES)}{rng.choice(_SYLLABLES)}"
                                 f"{rng.choice(('花园', '小区', '家园', '公寓'))}")
                w["grids.csv"].writerow((compound, compound_name, 3, "general", "", "true", zone.id, l2_id))
                summary.grids += 2
                summary.people += 1
            g3_id = f"{zp}-G3-{g3 + 1:07d}"
            point = _is_point(j)
            w["grids.csv"].writerow((g3_id, f"第{g3 + 1}责任网格", 3, "exclusive", "point" if point else "area",
                                     "true", zone.id, l2_id))
            summary.grids += 1
            if g3 % 2 == 0:
                chief = f"{zp}-P-C{g3 // 2 + 1:06d}"
                w["people.csv"].writerow((chief, _person_name(rng), "grid_chief", rng.choice(_ORGANS), "true",
                                          zone.id))
                summary.people += 1
            w["grid_staff.csv"].writerow((chief, g3_id, _date(rng.randrange(365))))
            if rng.random() < 0.8:
                w["party_organizations.csv"].writerow((f"{zp}-PO-G{g3 + 1:07d}", f"第{g3 + 1}责任网格党支部",
                                                       "branch", rng.randint(3, 30), "true", zone.id, l1_po, g3_id,
                                                       "", ""))
                summary.party_organizations += 1
            member = f"{zp}-P-M{g3 + 1:07d}"
            w["people.csv"].writerow((member, _person_name(rng), "grid_member", "", "true", zone.id))
            w["grid_members.csv"].writerow((member, g3_id))
            w["posts.csv"].writerow((member, f"{zp}-E-{j:07d}", rng.choice(_MEMBER_TITLES)))
            summary.people += 1
        c = j % cols
        chain = zone.chains[c]
        pattern = _PATTERNS[chain.key]
        leaf = pattern[(j // cols) % len(pattern)]
        fid = f"{zp}-E-{j:07d}"
        big = _is_point(j) or (chain.segments[leaf].leader and j // cols == _POSITIONS[chain.key][leaf][0])
        row, short, product = _firm_row(rng, fid, rng.choice(zone.places), chain, leaf, j + zone.index * 7919, big,
                                        unclassified_share)
        seg_id = f"{zp}-C-{c + 1}-S{_STAGES.index(chain.segments[leaf].stage) + 1}-{leaf + 1:02d}"
        row[11], row[12], row[15] = zone.id, g3_id, seg_id
        w["enterprises.csv"].writerow(row)
        summary.enterprises += 1
        if row[6] == "above" and rng.random() < 0.5:
            big_org = int(row[8]) > 1000
            w["party_organizations.csv"].writerow((f"{zp}-PO-E{j:07d}", f"{row[2]}{'党委' if big_org else '党支部'}",
                                                   "committee" if big_org else "branch", rng.randint(3, 150), "true",
                                                   zone.id, l1_po, "", fid, ""))
            summary.party_organizations += 1
        _write_trades(rng, out, zone, zone_list, n_out, j, c, chain, leaf, fid, summary)
        if rng.random() < 0.08:
            _write_need(rng, out, zone, j, c, chain, leaf, fid, short, product, chief, summary)
        elif rng.random() < 0.05:
            kind = "supply" if rng.random() < 0.7 else "buyers"
            title = f"{short}供应{product}" if kind == "supply" else f"{short}长期采购原料"
            w["resources.csv"].writerow((f"{zp}-R-{j:07d}", title, kind, product if kind == "supply" else "",
                                         "", "true", zone.id, fid))
            summary.resources += 1


def _stage_cn(s: int) -> str:
    return ("上游", "中游", "下游")[s]


def _supplier_id(
    rng: random.Random, zone: _Zone, zone_list: Sequence[_Zone], n_out: int, c: int, chain: ChainTemplate, leaf: int,
) -> str | None:
    r = rng.random()
    if r < 0.08 and n_out:
        t = next(i for i, ch in enumerate(CHAINS) if ch.key == chain.key)
        k = _sample(rng, n_out, len(CHAINS), t, chain, leaf)
        return None if k is None else f"X-E-{k:07d}"
    if r < 0.16 and len(zone_list) > 1:
        other = zone_list[rng.randrange(len(zone_list))]
        if other.index != zone.index and chain in other.chains:
            c2 = other.chains.index(chain)
            k = _sample(rng, other.n, len(other.chains), c2, chain, leaf)
            return None if k is None else f"{other.prefix}-E-{k:07d}"
    k = _sample(rng, zone.n, len(zone.chains), c, chain, leaf)
    return None if k is None else f"{zone.prefix}-E-{k:07d}"


def _write_trades(
    rng: random.Random, out: _Writers, zone: _Zone, zone_list: Sequence[_Zone], n_out: int, j: int, c: int,
    chain: ChainTemplate, leaf: int, fid: str, summary: GenerationSummary,
) -> None:
    if leaf == 0:
        return
    seen: set[str] = set()
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        # Favour the segment right upstream: most purchases come from the next link of the chain.
        up = leaf - 1 if rng.random() < 0.6 else rng.randrange(leaf)
        sid = _supplier_id(rng, zone, zone_list, n_out, c, chain, up)
        if sid is None or sid == fid or sid in seen:
            continue
        seen.add(sid)
        k = int(sid.rsplit("-", 1)[1])
        salt = k + ((int(sid.split("-", 1)[0][1:]) - 1) * 7919 if sid[0] == "Z" else 0)
        product = _first_product(chain, up, salt)[0]
        out.w["trades.csv"].writerow((sid, fid, product, _date(rng.randrange(-1500, 500)), "合成数据"))
        summary.trades += 1


def _write_need(
    rng: random.Random, out: _Writers, zone: _Zone, j: int, c: int, chain: ChainTemplate, leaf: int, fid: str,
    short: str, product: str, chief: str, summary: GenerationSummary,
) -> None:
    w = out.w
    zp = zone.prefix
    kind = rng.choices(_NEED_KINDS, _NEED_WEIGHTS)[0]
    status = rng.choices(("open", "matched", "closed"), (50, 25, 25))[0]
    posted = rng.randrange(540)
    limit = rng.choice((1, 3, 5, 15, 30))
    nid = f"{zp}-N-{j:07d}"
    need_product = ""
    if kind == "buyers":
        title, need_product, desc = f"{short}为{product}寻找买家", product, f"新增{product}产能，寻求下游客户"
    elif kind == "supply" and leaf > 0:
        up = rng.randrange(leaf)
        need_product = rng.choice(chain.segments[up].products)[0]
        title, desc = f"{short}寻找{need_product}供应商", f"稳定采购{need_product}，要求就近供货"
    else:
        if kind in ("buyers", "supply"):  # the most upstream segment buys no chain input
            kind = "technology"
        title, desc = _NEED_TEXT[kind]
        title, desc = f"{short}{title}", desc.format(n=rng.randint(2, 9))
    w["needs.csv"].writerow((nid, title, kind, need_product, desc, status, _date(posted), _date(posted + limit),
                             "true", zone.id, fid))
    summary.needs += 1
    if status == "open" or kind not in ("buyers", "supply"):
        return
    # A past or running match: the counterpart sits downstream (for buyers) or upstream (for supply).
    n_leaves = len(chain.segments)
    other_leaf = rng.randrange(leaf + 1, n_leaves) if kind == "buyers" and leaf + 1 < n_leaves else (
        rng.randrange(leaf) if kind == "supply" and leaf > 0 else None)
    if other_leaf is None:
        return
    k = _sample(rng, zone.n, len(zone.chains), c, chain, other_leaf)
    if k is None or k == j:
        return
    other = f"{zp}-E-{k:07d}"
    pid = f"{zp}-PJ-{j:07d}"
    final = rng.choices(("signed", "declined", "dropped"), (60, 25, 15))[0] if status == "closed" else \
        rng.choice(("contacted", "negotiating"))
    created = posted + rng.randint(1, 10)
    w["projects.csv"].writerow((pid, f"{title}（撮合）", final, "", _date(created), _date(created + 30), "true",
                                zone.id, chief, nid, ""))
    me, them = ("supplier", "buyer") if kind == "buyers" else ("buyer", "supplier")
    w["project_parties.csv"].writerow((fid, pid, me))
    w["project_parties.csv"].writerow((other, pid, them))
    steps = ["proposed", "contacted"] + ([final] if final != "contacted" else [])
    day = created
    for s, st in enumerate(steps):
        w["project_steps.csv"].writerow((f"{pid}-{s + 1}", st, f"{_date(day)}T{9 + s:02d}:30:00+08:00", chief,
                                         "", pid))
        day += rng.randint(2, 20)
    summary.projects += 1
    summary.project_steps += len(steps)


def _write_outside(rng: random.Random, out: _Writers, n_out: int, unclassified_share: float,
                   summary: GenerationSummary) -> None:
    for k in range(n_out):
        chain = CHAINS[k % len(CHAINS)]
        pattern = _PATTERNS[chain.key]
        leaf = pattern[(k // len(CHAINS)) % len(pattern)]
        places = _CITIES[rng.randrange(len(_CITIES))][2]
        row, _, _ = _firm_row(rng, f"X-E-{k:07d}", rng.choice(places), chain, leaf, k, False, unclassified_share)
        out.w["enterprises.csv"].writerow(row)
    summary.enterprises += n_out
    summary.outside_enterprises = n_out


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainmatch.synth", description="Write a synthetic chainmatch data folder.")
    parser.add_argument("out", type=Path, help="folder to write")
    parser.add_argument("--enterprises", type=int, required=True)
    parser.add_argument("--zones", type=int, default=1)
    parser.add_argument("--chains-per-zone", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    summary = generate(args.out, enterprises=args.enterprises, zones=args.zones,
                       chains_per_zone=args.chains_per_zone, seed=args.seed)
    print(" ".join(f"{k}={v}" for k, v in summary.as_dict().items()))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
