"""Chinese messages for people: what went wrong, which value and how to fix it, for every error chainmatch raises.

The library raises its errors with an English message (kept for machines and logs). :func:`chinese` gives the
Chinese one: the message the error was raised with when it is Chinese already, else a translation of the
message's known shapes (an unknown id, a value outside its choices, a scope refusal, a transition that is not
allowed …), else a sentence for the error's class that points to the English text.

>>> from chainmatch.errors import NotFound, InvalidRequest
>>> chinese(NotFound("No grid has the id 'G7'.", candidates=["G1", "G3"]))
'没有编号为「G7」的网格。相近的有：G1、G3。'
>>> chinese(InvalidRequest("status has value 'done'. It must be one of open, matched, closed."))
'参数 status 的值「done」不可用，应为以下之一：open（待对接）、matched（已对接）、closed（已办结）。'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from chainmatch.errors import (
    Ambiguous,
    ChainmatchError,
    Conflict,
    DataError,
    InvalidRequest,
    LoadError,
    NotFound,
    PermissionDenied,
    RegisterError,
    StoreUnavailable,
)
from graph_schema import load_schema

__all__ = ["LABEL_NAMES", "chinese", "field_value", "is_chinese", "with_labels"]

LABEL_NAMES = {
    "enterprise": "企业", "grid": "网格", "zone": "开发区", "person": "人员", "need": "需求", "open need": "待对接需求",
    "project": "撮合项目", "resource": "资源", "chain": "产业链", "segment": "环节", "department": "职能部门",
    "api token": "接口令牌", "map run": "图谱任务", "enterprise or department": "企业或部门",
    "party organization": "党组织", "industry": "行业", "problem": "诉求", "match event": "对接活动",
}
_CAPITALISED = {"Enterprise": "企业", "Need": "需求", "Resource": "资源", "Person": "人员", "Zone": "开发区",
                "Department": "职能部门", "Grid": "网格", "Project": "撮合项目", "ApiToken": "接口令牌"}
_ENUMS: Mapping[str, Mapping[str, str]] = load_schema().enums
_EXTRA_LABELS = {"buyers": "买家", "suppliers": "供应商", "partners": "合作伙伴", "zone": "本开发区", "outside": "区外",
                 "all": "区内外", "upstream": "上游", "downstream": "下游", "same_segment": "同环节",
                 "same_grid": "同网格", "above": "规上", "below": "规下"}
_WHAT = {"account": "账户", "token": "令牌"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(text: str) -> bool:
    """Whether ``text`` was written in Chinese (starts with a Chinese character).

    >>> is_chinese("没有账户"), is_chinese("No grid has the id 'G1'.")
    (True, False)
    """
    return bool(text) and bool(_HAN.match(text.lstrip()))


def _label(code: str) -> str:
    for enum in _ENUMS.values():
        if code in enum:
            return enum[code]
    return _EXTRA_LABELS.get(code, "")


def with_labels(codes: str | list[str]) -> str:
    """Codes with their Chinese labels: ``open（待对接）、matched（已对接）``."""
    items = [c.strip() for c in codes.split(",")] if isinstance(codes, str) else codes
    return "、".join(f"{c}（{_label(c)}）" if _label(c) else c for c in items if c)


def _candidates(error: ChainmatchError) -> str:
    found = list(getattr(error, "candidates", []) or [])
    return f"相近的有：{'、'.join(found)}。" if found else ""


def _roles(text: str) -> str:
    return "、".join(_ENUMS["api_role"].get(r.strip(), r.strip()) for r in text.split(","))


def _allowed(error: ChainmatchError) -> list[object]:
    allowed = error.details.get("allowed")
    return list(allowed) if isinstance(allowed, list) else []


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], ChainmatchError], str]]
_RULES: list[Rule] = [
    (re.compile(r"^No (?P<what>[a-zA-Z ]+?) has the id '(?P<id>.*?)'(?P<rest>[^.]*)\."),
     lambda m, e: f"没有编号为「{m['id']}」的{LABEL_NAMES.get(m['what'].lower(), m['what'])}"
                  f"{'（服务读取数据之后才加入，请稍后重试）' if 'match index' in m['rest'] else ''}。{_candidates(e)}"),
    (re.compile(r"^No enterprise is called '?(?P<q>.*?)'?\."),
     lambda m, e: f"没有名为「{m['q']}」的企业。{_candidates(e)}"),
    (re.compile(r"^No such path: (?P<path>\S+)\."),
     lambda m, e: f"没有这个接口：{m['path']}。可用的接口见 /docs。"),
    (re.compile(r"^'(?P<q>.*?)' (?:is the name of several|matches \d+\+? )enterprises"),
     lambda m, e: f"「{m['q']}」对应多家企业，请用全称或编号。候选：{'、'.join(getattr(e, 'candidates', []))}。"),
    (re.compile(r"^(?P<field>[\w\-]+) has value '?(?P<value>.*?)'?\. It must be one of (?P<codes>[^.(]+)"),
     lambda m, e: f"参数 {m['field']} 的值「{m['value']}」不可用，应为以下之一：{with_labels(m['codes'])}。"),
    (re.compile(r"^(?P<field>[\w\-]+) has value '?(?P<value>.*?)'?\. It must be (?:a date )?from (?P<lo>\S+) to "
                r"(?P<hi>[^.;]+?)\.?(?:;|$| )"),
     lambda m, e: f"参数 {m['field']} 的值「{m['value']}」超出范围，应在 {m['lo']} 到 {m['hi']} 之间。"),
    (re.compile(r"^(?P<field>[\w\-]+) has value '?(?P<value>.*?)'?\. It must be (?P<what>[^.]+)\."),
     lambda m, e: f"参数 {m['field']} 的值「{m['value']}」不可用（应为 {m['what']}）。"),
    (re.compile(r"^(?P<field>\w+) is (?P<n>\d+) characters long\. Search with at most (?P<max>\d+)"),
     lambda m, e: f"检索词有 {m['n']} 个字符，最多 {m['max']} 个；请缩短后再试。"),
    (re.compile(r"^The role '(?P<role>\w+)' of token '(?P<token>.*?)' may not do this \(it needs '(?P<perm>[\w:]+)'\)"
                r"\. Roles that may: (?P<roles>[^.]+)\."),
     lambda m, e: f"角色「{_ENUMS['api_role'].get(m['role'], m['role'])}」不能执行这项操作（需要权限 {m['perm']}）；"
                  f"可以执行的角色：{_roles(m['roles'])}。"),
    (re.compile(r"^No API token was given"),
     lambda m, e: "没有提供接口令牌。请在请求头中发送 'Authorization: Bearer <令牌>'；令牌由管理员用 "
                  "chainmatch token create 创建。"),
    (re.compile(r"^The API token is not valid"),
     lambda m, e: "接口令牌无效。请检查是否完整复制，或请管理员重新创建。"),
    (re.compile(r"^The API token '(?P<id>.*?)' was revoked"),
     lambda m, e: f"接口令牌「{m['id']}」已被吊销，请向管理员申请新的令牌。"),
    (re.compile(r"^Project '(?P<id>.*?)' is (?P<cur>\w+); it cannot become (?P<new>\w+)\."),
     lambda m, e: f"撮合项目「{m['id']}」当前为「{_label(m['cur'])}」，不能改为「{_label(m['new'])}」；"
                  + (f"可改为：{with_labels([str(a) for a in _allowed(e)])}。" if _allowed(e) else "项目已结束。")),
    (re.compile(r"^Project '(?P<id>.*?)' is not claimed yet"),
     lambda m, e: f"撮合项目「{m['id']}」还没有人认领；请先认领（首问负责），再跟进。"),
    (re.compile(r"^Project '(?P<id>.*?)' is already claimed by (?P<who>.+?)\.$"),
     lambda m, e: f"撮合项目「{m['id']}」已由 {m['who']} 认领，不能重复认领。"),
    (re.compile(r"^Project '(?P<id>.*?)' is (?P<cur>\w+); a finished project cannot be claimed"),
     lambda m, e: f"撮合项目「{m['id']}」已{_label(m['cur'])}，已结束的项目不能认领。"),
    (re.compile(r"^(?P<label>\w+) '(?P<id>.*?)' was changed by someone else"),
     lambda m, e: f"{_CAPITALISED.get(m['label'], m['label'])}「{m['id']}」在处理期间已被他人修改，本次没有改动；"
                  "请重新读取后再试。"),
    (re.compile(r"^Token '(?P<id>.*?)' is the last active admin token"),
     lambda m, e: f"令牌「{m['id']}」是最后一个有效的管理员令牌，吊销后将无人能管理令牌。请先创建另一个管理员令牌"
                  "（chainmatch token create --role admin），再吊销它。"),
    (re.compile(r"^Neo4j at (?P<uri>\S+) \(database '(?P<db>[^']*)'\) is unreachable"),
     lambda m, e: f"图数据库 Neo4j（{m['uri']}，数据库「{m['db']}」）暂时连不上；请确认服务器在运行、CHAINMATCH_NEO4J_URI "
                  "正确。服务器恢复后会自动重连，稍后重试即可。"),
    (re.compile(r"^A grid_chief (?P<what>account|token) needs at least one grid"),
     lambda m, e: f"网格长{_WHAT[m['what']]}至少要有一个网格：请填写网格编号（命令行 --grid GRID_ID，可重复）。"),
    (re.compile(r"^Only grid_chief (?P<what>account|token)s are limited to grids; a '(?P<role>\w+)'"),
     lambda m, e: f"只有网格长{_WHAT[m['what']]}限定网格；「{_ENUMS['api_role'].get(m['role'], m['role'])}」"
                  f"{_WHAT[m['what']]}不带网格，请去掉网格。"),
    (re.compile(r"^Only staff and viewer (?P<what>account|token)s are limited to zones; a '(?P<role>\w+)'"),
     lambda m, e: f"只有招商人员和只读{_WHAT[m['what']]}可以限定开发区；「{_ENUMS['api_role'].get(m['role'], m['role'])}」"
                  f"{_WHAT[m['what']]}不带开发区，请去掉开发区。"),
    (re.compile(r"^The match index is still being built"),
     lambda m, e: "匹配索引正在建立，请稍后重试。"),
]


def _by_class(error: ChainmatchError) -> str:
    if isinstance(error, PermissionDenied):
        label, node = error.details.get("label"), error.details.get("id")
        if label:
            return (f"{_CAPITALISED.get(str(label), str(label))}「{node}」不在当前令牌的管辖范围内（网格长只能操作本人"
                    "网格及下级网格，限定开发区的令牌只能操作这些开发区）；请联系管辖它的招商人员或管理员。")
        return "当前令牌的角色或范围不允许这项操作；请联系管理员。"
    if isinstance(error, StoreUnavailable):
        return "数据库暂时不可用（服务器未连通、正被其他程序写入，或数据文件已被移走）；请稍后重试，持续出现请联系管理员。"
    if isinstance(error, LoadError):
        return f"数据有 {len(error.problems)} 处问题，什么也没有写入；请按 details.problems 逐条修正后重新导入。"
    if isinstance(error, RegisterError):
        return "台账无法导入，什么也没有写入；请按说明（message_en）和报告修正后重试。"
    if isinstance(error, NotFound):
        return "没有找到所请求的对象。" + _candidates(error)
    if isinstance(error, Ambiguous):
        return f"名称对应多条记录，请用全称或编号。候选：{'、'.join(error.candidates)}。"
    if isinstance(error, Conflict):
        return "这项操作与当前状态冲突，没有生效；请重新读取后再试（原因见 message_en）。"
    if isinstance(error, (InvalidRequest, DataError)):
        return "请求的内容有误，请按 message_en 中的说明修正后重试。"
    return "处理请求时出错，已记录；请稍后重试或联系管理员。"


def chinese(error: ChainmatchError) -> str:
    """The Chinese message of ``error`` (see the module's docstring)."""
    text = error.message
    if is_chinese(text):
        return text
    for pattern, build in _RULES:
        found = pattern.search(text)
        if found:
            return build(found, error)
    return _by_class(error)


def field_value(loc: list[str], kind: str, msg: str, ctx: Mapping[str, object] | None = None) -> str:
    """One validation problem (a pydantic error's location, type and message) in Chinese.

    >>> field_value(["query", "limit"], "less_than_equal", "Input should be less than or equal to 200", {"le": 200})
    '参数 query.limit 应不大于 200'
    """
    where = ".".join(loc) or "请求"
    c = dict(ctx or {})
    texts = {
        "missing": "缺少必填项",
        "extra_forbidden": "不是可接受的字段，请删去",
        "int_parsing": "应为整数", "int_type": "应为整数", "float_parsing": "应为数字", "float_type": "应为数字",
        "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
        "string_type": "应为文本", "list_type": "应为列表", "dict_type": "应为对象", "model_type": "应为 JSON 对象", "model_attributes_type": "应为 JSON 对象",
        "date_parsing": "应为日期 YYYY-MM-DD", "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
        "date_type": "应为日期 YYYY-MM-DD", "datetime_parsing": "应为日期时间（ISO 8601）",
        "json_invalid": "不是有效的 JSON", "string_pattern_mismatch": "不能为空白，须含可见文字",
        "greater_than_equal": f"应不小于 {c.get('ge')}", "greater_than": f"应大于 {c.get('gt')}",
        "less_than_equal": f"应不大于 {c.get('le')}", "less_than": f"应小于 {c.get('lt')}",
        "string_too_short": f"至少 {c.get('min_length')} 个字符", "string_too_long": f"最多 {c.get('max_length')} 个字符",
        "too_short": f"至少 {c.get('min_length')} 项", "too_long": f"最多 {c.get('max_length')} 项",
        "literal_error": f"应为以下之一：{with_labels(str(c.get('expected', '')).replace(' or ', ', ').replace(chr(39), ''))}",
        "enum": f"应为以下之一：{with_labels(str(c.get('expected', '')).replace(' or ', ', ').replace(chr(39), ''))}",
    }
    return f"参数 {where} " + texts.get(kind, f"不可用（{msg}）")
