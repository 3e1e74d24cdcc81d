"""The ``chainmatch`` command: thin commands that parse arguments, call one library function and print.

Readable Chinese text by default, ``--json`` for machines. Errors print one message saying what
went wrong and how to fix it, and exit with status 2 (bad input) or 1 (store or internal trouble).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chainmatch.errors import ChainmatchError, DataError, InvalidRequest, NotFound, StoreError
from chainmatch.settings import Settings, get_settings
from chainmatch.stores.base import Store, open_store

if TYPE_CHECKING:
    from chainmatch.registers import ImportReport

__all__ = ["build_parser", "main"]


Command = Callable[[argparse.Namespace, Settings, TextIO], int]


def _json(obj: Any, out: TextIO) -> None:
    def default(o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        if isinstance(o, Path):
            return str(o)
        raise TypeError(f"cannot serialise {type(o).__name__}")

    out.write(json.dumps(obj, ensure_ascii=False, indent=2, default=default) + "\n")


def _open(settings: Settings) -> Store:
    return open_store(settings)


# -- commands ---------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.loader import install_industries

    store = _open(settings)
    try:
        n = install_industries(store)
        out.write(f"已就绪 / ready: {store.kind} store at {store.location}, schema applied, {n} GB/T 4754-2017 行业 loaded.\n")
    finally:
        store.close()
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.knowledge.classify import ranked_candidates
    from chainmatch.loader import load_folder

    created = _new_store_file(settings)
    store = _open(settings)
    ok = False
    try:
        start = time.perf_counter()
        summary = load_folder(store, Path(args.dir), classify=ranked_candidates)
        store.await_indexes()  # Neo4j: indexes still built in the background would make the first reads slow
        ok = True
        _say_changed(settings)
        took = time.perf_counter() - start
        if args.json:
            _json({**dataclasses.asdict(summary), "seconds": round(took, 3)}, out)
        else:
            rows = ", ".join(f"{name} {n}" for name, n in sorted(summary.rows.items()))
            out.write(
                f"已导入 / loaded {summary.folder} into {store.location} in {took:.1f}s: "
                f"{summary.nodes} nodes, {summary.rels} relationships ({rows}).\n"
            )
            if summary.classified:
                out.write(f"{summary.classified} enterprises had no industry code and were classified from their products.\n")
    finally:
        store.close()
        if created and not ok:
            _discard_store_file(settings)
    return 0


def _new_store_file(settings: Settings) -> bool:
    """Whether opening the store will create its file (then a failed first load must not leave it behind)."""
    return settings.store_kind == "embedded" and not settings.db.exists()


def _discard_store_file(settings: Settings) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.db}{suffix}").unlink(missing_ok=True)


def cmd_import(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.errors import RegisterError
    from chainmatch.knowledge.classify import ranked_candidates
    from chainmatch.registers import ImportReport, format_report, import_register

    created = _new_store_file(settings)
    store = _open(settings)
    written = False
    try:
        report = import_register(
            store, Path(args.file), dry_run=args.dry_run, kind=args.kind, sheet=args.sheet,
            mapping=Path(args.mapping) if args.mapping else None, encoding=args.encoding, zone=args.zone,
            classify=ranked_candidates)
        written = report.written
        if written:
            _say_changed(settings)
    except RegisterError as e:
        failed = e.report
        if not isinstance(failed, ImportReport):
            raise
        _json(failed, out) if args.json else out.write(format_report(failed))
        if args.report_xlsx:
            _report_xlsx(failed, args, out)
        sys.stderr.write(f"错误 / error: {len(failed.errors)} 个错误，未写入任何数据 "
                         "(problems found, nothing was written); see the report above.\n")
        return 2
    finally:
        store.close()
        if created and not written:
            _discard_store_file(settings)
    if args.json:
        _json(report, out)
    else:
        out.write(format_report(report))
    if args.report_xlsx:
        _report_xlsx(report, args, out)
    return 0


def _report_xlsx(report: ImportReport, args: argparse.Namespace, out: TextIO) -> None:
    from chainmatch.registers import read_sheets
    from chainmatch.registers.report import write_report_xlsx

    sheets = read_sheets(Path(args.file), encoding=args.encoding, sheet=args.sheet)
    path = write_report_xlsx(report, sheets, Path(args.report_xlsx))
    if not args.json:
        out.write(f"问题已标在 / problems marked in: {path}\n")


def _say_changed(settings: Settings) -> None:
    """Tell a running service that the data changed: its workers rebuild their match index."""
    from chainmatch.stores.base import mark_changed

    try:
        mark_changed(settings)
    except OSError as e:
        sys.stderr.write(f"注意 / note: could not tell a running service about the change ({e}); restart it to see "
                         "the imported records in recommendations.\n")


def cmd_template(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.registers.template import write_template

    path = write_template(args.kind, Path(args.out))
    if args.json:
        _json({"kind": args.kind, "out": path}, out)
    else:
        out.write(f"已生成模板 / template written: {path}（填写说明见工作表「说明」；导入: chainmatch import {path}）\n")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    import uvicorn

    from api.main import create_app
    from api.server import NoDelayHttpProtocol, run_workers
    from chainmatch.knowledge.classify import ranked_candidates
    from chainmatch.loader import load_demo_once

    if settings.load_demo and not args.no_demo:
        store = _open(settings)
        try:
            marker = settings.db.with_name(settings.db.name + ".held-data") if settings.store_kind == "embedded" \
                else None
            summary, why = load_demo_once(store, settings.demo_dir, marker, classify=ranked_candidates)
            if summary is not None:
                out.write(f"首次启动: loaded the demo data from {settings.demo_dir}: {summary.nodes} nodes and "
                          f"{summary.rels} relationships.\n")
            elif "not loaded" in why:
                out.write(f"注意 / warning: {why}\n")
        finally:
            store.close()
    host, port = args.host or settings.host, args.port or settings.port
    workers = args.workers if args.workers is not None else settings.workers
    if workers < 1:
        raise InvalidRequest(f"--workers has value {workers}. Start at least 1 worker process (one per core is best).")
    out.write(f"chainmatch serving on http://{host}:{port} (API docs at /docs), store: {settings.store_kind}, "
              f"{workers} worker process{'es' if workers > 1 else ''}\n")
    out.flush()
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "access_log": settings.access_log,
                               "http": NoDelayHttpProtocol, "timeout_keep_alive": settings.keep_alive_timeout,
                               "h11_max_incomplete_event_size": 64 * 1024}
    if settings.inline_requests:
        # Requests then run on the event loop itself. Python's own loop takes them in turn; uvloop let a few wait
        # seconds behind the others under full load (bench/README.md, "HTTP service under load").
        options["loop"] = "asyncio"
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return 0
    # Each worker process builds the app from the environment: pass on what the command line changed.
    os.environ["CHAINMATCH_DB"] = str(settings.db)
    return run_workers(host, port, workers, options)


def _line(out: TextIO, label: str, items: Sequence[str], empty: str = "—") -> None:
    out.write(f"{label:<8}{'；'.join(items) if items else empty}\n")


def cmd_show(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.enterprises import profile, resolve

    store = _open(settings)
    try:
        found = resolve(store, args.enterprise)
        p = profile(store, found.node.id)
    finally:
        store.close()
    if args.json:
        _json({"matched_by": found.matched_by, "profile": p}, out)
        return 0
    if found.matched_by != "编号" and found.matched_by != "全称":
        out.write(f"（按{found.matched_by}「{args.enterprise}」匹配到: {p.name}）\n")
    names = [f"简称 {p.short_name}"] if p.short_name else []
    if p.props.get("aliases"):
        names.append("别名 " + "、".join(p.props["aliases"]))
    out.write(f"{p.name} ({p.id})  {' · '.join(names)}\n")
    facts = []
    if p.props.get("uscc"):
        facts.append(f"统一社会信用代码 {p.props['uscc']}")
    if p.props.get("scale"):
        facts.append({"above": "规上", "below": "规下"}.get(p.props["scale"], p.props["scale"]))
    if p.props.get("output_value") is not None:
        facts.append(f"年产值 {p.props['output_value']:g} 万元")
    if p.props.get("employees") is not None:
        facts.append(f"从业 {p.props['employees']} 人")
    if p.props.get("synthetic"):
        facts.append("合成数据")
    if facts:
        out.write("        " + " · ".join(facts) + "\n")
    _line(out, "开发区", [p.zone.name] if p.zone else [], "（区外企业）")
    _line(out, "网格", [" ← ".join(f"{g.name} ({g.note})" for g in p.grids)] if p.grids else [])
    _line(out, "网格长", [f"{c.name} ({c.note})" for c in p.grid_chiefs])
    _line(out, "网格员", [c.name for c in p.grid_members])
    _line(out, "党组织", [f"{o.name} ({o.note})" for o in p.party_organizations])
    _line(out, "产业链", [f"{c.name}: {c.note}" for c in p.chains])
    _line(out, "产品", ["、".join(p.products)] if p.products else [])
    _line(out, "行业", [f"{i.id} {i.name}" for i in p.industries])
    if p.props.get("industry_basis"):
        conf = p.props.get("industry_confidence")
        out.write(f"        (行业由产品自动判定: {p.props['industry_basis']}, 置信度 {conf})\n")
    _line(out, "供应商", [f"{s.name}" + (f" ({s.note})" if s.note else "") for s in p.suppliers])
    _line(out, "客户", [f"{b.name}" + (f" ({b.note})" if b.note else "") for b in p.buyers])
    _line(out, "联系干部", [f"{x.name}" + (f" ({x.note})" if x.note else "") for x in p.liaisons])
    _line(out, "待办需求", [f"{n.name} [{n.note}]" for n in p.open_needs])
    if p.projects:
        statuses = Counter(pr.note.split(", ")[-1] for pr in p.projects)
        _line(out, "撮合项目", [f"{len(p.projects)} 个: " + ", ".join(f"{s} {n}" for s, n in statuses.most_common())])
    else:
        _line(out, "撮合项目", [])
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.knowledge.classify import classify

    result = classify(args.text, top=args.top)
    if args.json:
        _json(result, out)
        return 0 if result.candidates else 3
    if not result.candidates:
        out.write(f"无法判定「{args.text}」的行业: {result.reason}\n")
        return 3
    out.write(f"「{args.text}」的行业 (GB/T 4754-2017 小类):\n")
    out.writelines(f"{i:>2}. {c.code} {c.name}  置信度 {c.confidence:.2f}  ({c.evidence})\n" for i, c in enumerate(result.candidates, 1))
    return 0


def cmd_chain_of(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.knowledge.supply import buyers_of, suppliers_of

    answers = {}
    if args.direction in ("buyers", "both"):
        answers["buyers"] = buyers_of(args.query, top=args.top)
    if args.direction in ("suppliers", "both"):
        answers["suppliers"] = suppliers_of(args.query, top=args.top)
    if args.json:
        _json(answers, out)
        return 0
    titles = {"buyers": "下游买方行业 (谁购买)", "suppliers": "上游供给行业 (谁供给)"}
    for key, ans in answers.items():
        out.write(f"{titles[key]}: {args.query}")
        if ans.resolved_codes:
            out.write(f" → {', '.join(ans.resolved_codes)}")
        out.write("\n")
        if not ans.links:
            out.write(f"  （无结果: {ans.reason or '知识库中没有这一方向的供给关系'}）\n")
            continue
        for i, link in enumerate(ans.links, 1):
            code, name = (link.buyer_code, link.buyer_name) if key == "buyers" else (link.supplier_code, link.supplier_name)
            out.write(f"{i:>3}. {code} {name}  权重 {link.weight:.3f}  [{link.kind}] {link.evidence}\n")
    return 0


def cmd_generate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.synth import generate

    start = time.perf_counter()
    summary = generate(Path(args.out), enterprises=args.enterprises, zones=args.zones, seed=args.seed)
    took = time.perf_counter() - start
    if args.json:
        _json({"summary": summary, "seconds": round(took, 3)}, out)
    else:
        out.write(f"generated {args.out} in {took:.1f}s: {summary}\n")
    return 0


def _weights(settings: Settings) -> tuple[Any, str]:
    from chainmatch.matching.ranking import load_model

    loaded = load_model(settings.model_path)
    return (None, "默认权重 (default weights)") if loaded is None else loaded


def cmd_recommend(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.enterprises import resolve
    from chainmatch.matching.index import build_index
    from chainmatch.matching.ranking import (
        FEATURE_TITLES,
        Filters,
        recommend,
        recommend_for_need,
        recommend_for_text,
    )

    given = [x for x in (args.enterprise, args.product, args.need) if x]
    if len(given) != 1:
        raise InvalidRequest("Name exactly one of: an ENTERPRISE, --product TEXT or --need ID.")
    store = _open(settings)
    try:
        found = resolve(store, args.enterprise) if args.enterprise else None
        index = build_index(store)
    finally:
        store.close()
    weights, model_name = _weights(settings)
    filters = Filters(zone=args.zone, grid=args.grid, chain=args.chain, scale=args.scale,
                      has_party=None if args.has_party is None else args.has_party == "yes")
    common = {"scope": args.scope, "top": args.top, "filters": filters, "weights": weights, "model_name": model_name}
    if found is not None:
        result = recommend(index, found.node.id, direction=args.direction, **common)
    elif args.product:
        result = recommend_for_text(index, args.product, direction=args.direction, zone_id=args.in_zone, **common)
    else:
        result = recommend_for_need(index, args.need, **common)
    if args.json:
        _json({"matched_by": found.matched_by if found else None, "recommendations": result}, out)
        return 0
    titles = {"buyers": "潜在买家 (下游)", "suppliers": "潜在供应商 (上游)", "partners": "潜在合作伙伴 (同环节)"}
    scopes = {"zone": "区内", "outside": "区外", "all": "区内外"}
    out.write(f"{result.source_name} 的{titles[result.direction]}, 范围: {scopes[result.scope]}, 模型: {result.model}\n")
    if not result.items:
        out.write(f"（无推荐: {result.reason}）\n")
        return 0
    for item in result.items:
        out.write(f"{item.rank:>2}. {item.name} [{item.zone}{' · ' + item.grid if item.grid else ''}]  得分 {item.score:.2f}\n")
        out.write(f"    路径: {item.path}\n")
        if item.reasons:
            out.write(f"    理由: {'；'.join(item.reasons)}\n")
        parts = ", ".join(f"{FEATURE_TITLES.get(k, k)} {v:+.2f}" for k, v in item.contributions.items())
        out.write(f"    贡献: {parts}\n")
        if item.introducers:
            out.write(f"    牵线: {'；'.join(item.introducers)}\n")
    out.write(f"（共考察 {result.candidates_considered} 家候选企业）\n")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.matching.ranking import FEATURE_TITLES

    if args.chainkg or args.dataset or args.register:
        return _train_on_pairs(args, settings, out)
    from chainmatch.matching.index import build_index
    from chainmatch.matching.outcomes import train

    store = _open(settings)
    try:
        result = train(store, build_index(store), settings.model_path)
    finally:
        store.close()
    if args.json:
        _json({"trained": result.trained, "message": result.message, "summary": result.summary}, out)
    else:
        out.write(result.message + "\n")
        adjustment = result.summary.get("learned_adjustment")
        if isinstance(adjustment, dict):
            out.writelines(f"  {FEATURE_TITLES.get(k, k)}: {v:+.3f}\n" for k, v in adjustment.items())
    return 0


def _train_on_pairs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``train --chainkg/--dataset/--register``: learn from a benchmark's train pairs, save to the model path."""
    from chainmatch.matching.evaluation import chainkg_benchmark, ickg_benchmark, register_benchmark, train_on
    from chainmatch.matching.ranking import FEATURE_TITLES, FEATURES, save_model

    if args.register and not args.pairs:
        raise InvalidRequest("--register DIR needs --pairs CSV (supplier_id,buyer_id,split; split=train rows are learnt).")
    if args.chainkg:
        bench = chainkg_benchmark(Path(args.chainkg))
    elif args.dataset:
        bench = ickg_benchmark(Path(args.dataset))
    else:
        bench = register_benchmark(Path(args.register), Path(args.pairs))
    model = train_on(bench)
    summary: dict[str, object] = {"source": bench.name, "train_pairs": len(bench.train),
                                  "comparisons": model.n_pairs_,
                                  "learned_adjustment": {f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_raw_)
                                                         if abs(w) > 1e-9}}
    save_model(model, settings.model_path, summary=summary)
    if args.json:
        _json({"trained": True, "summary": summary, "model_path": str(settings.model_path)}, out)
        return 0
    out.write(f"已训练 / trained on {len(bench.train)} known pairs of {bench.name} ({model.n_pairs_} comparisons); "
              f"saved to {settings.model_path}\n")
    out.writelines(f"  {FEATURE_TITLES.get(f, f)}: {w:+.3f}\n" for f, w in zip(FEATURES, model.weights_))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.matching.evaluation import (
        evaluate_chainkg,
        evaluate_ickg,
        evaluate_register,
        evaluate_store,
        format_report,
    )
    from chainmatch.matching.ranking import load_model

    model = load_model(settings.model_path)
    trained = model[0] if model else None
    common = {"seed": args.seed, "bootstrap": args.bootstrap, "trained": trained}
    if sum(bool(x) for x in (args.dataset, args.chainkg, args.register)) > 1:
        raise InvalidRequest("Give one of --dataset (ICKG), --chainkg or --register, not several.")
    if args.register and not args.pairs or args.pairs and not args.register:
        raise InvalidRequest("--register DIR and --pairs CSV go together: a data folder and its known "
                             "supplier → buyer pairs (columns supplier_id,buyer_id[,split]).")
    if args.dataset:
        report = evaluate_ickg(Path(args.dataset), **common)
    elif args.chainkg:
        report = evaluate_chainkg(Path(args.chainkg), part=args.part, **common)
    elif args.register:
        report = evaluate_register(Path(args.register), Path(args.pairs), **common)
    else:
        store = _open(settings)
        try:
            report = evaluate_store(store, hide=args.hide, **common)
        finally:
            store.close()
    if model:
        report.notes.append(f"chainmatch (trained): {settings.model_path}, {model[1]}")
    if args.json:
        _json(report, out)
    else:
        out.write(format_report(report))
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.access.auth import create_token

    store = _open(settings)
    try:
        new = create_token(store, role=args.role, name=args.name or f"{args.role} token", grids=args.grid or [],
                           person_id=args.person, zones=args.zone or [], department_id=args.department)
    finally:
        store.close()
    if args.json:
        _json({"id": new.node.id, "role": args.role, "secret": new.secret}, out)
        return 0
    out.write(f"已创建令牌 / token created: {new.node.id} ({args.role})\n")
    out.write(f"{new.secret}\n")
    out.write("这是唯一一次显示密钥, 请妥善保存 / this is the only time the secret is shown: store it now.\n"
              "Use it as the header 'Authorization: Bearer <token>'.\n")
    return 0


def _read_password(confirm: bool) -> str:
    """A password from the terminal (asked twice, not echoed) or, when stdin is not a terminal, its first line;
    never from an argument, where it would stay in the shell's history and the process list."""
    import getpass

    if sys.stdin is None:
        raise InvalidRequest("没有可读的标准输入：请在终端中运行，或把密码从标准输入送入（例如 "
                             "printf '%s\\n' \"$PW\" | chainmatch account add ...）。")
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.removesuffix("\n")
    first = getpass.getpass("密码 / password: ")
    if confirm and getpass.getpass("再输入一次 / again: ") != first:
        raise InvalidRequest("两次输入的密码不一致，什么也没有改变；请重新运行命令。")
    return first


def _account_line(a: Any) -> str:
    scope = (f" 网格 {','.join(a.grids)}" if a.grids else "") + (f" 开发区 {','.join(a.zones)}" if a.zones else "")
    state = "已停用" if a.disabled else (f"锁定至 {a.locked_until}" if a.locked_until else "可用")
    person = (f" 人员 {a.person_id}" if a.person_id else "") + (f" 部门 {a.department_id}" if a.department_id else "")
    return f"{a.id}\t{a.name}\t{a.role}{scope}{person}\t{state}\n"


def cmd_account(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.access import accounts

    store = _open(settings)
    try:
        action = args.account_command
        if action == "add":
            password = _read_password(confirm=True)
            view = accounts.create_account(store, args.username, password, role=args.role, name=args.name,
                                           grids=args.grid or [], zones=args.zone or [], person_id=args.person,
                                           department_id=args.department)
            done = "已创建账户 / account created"
        elif action == "passwd":
            password = _read_password(confirm=True)
            view = accounts.reset_password(store, args.username, password)
            done = "已重设密码并解除锁定，原有登录已失效 / password reset, account unlocked, sessions ended"
        elif action in ("disable", "enable"):
            view = accounts.set_disabled(store, args.username, action == "disable")
            done = "已停用账户，原有登录已失效 / account disabled" if action == "disable" else "已启用账户 / account enabled"
        else:
            views = accounts.list_accounts(store)
            if args.json:
                _json([dataclasses.asdict(v) for v in views], out)
            else:
                out.write("".join(_account_line(v) for v in views) or "还没有账户 / no account yet\n")
            return 0
    finally:
        store.close()
    if args.json:
        _json(dataclasses.asdict(view), out)
    else:
        out.write(f"{done}: {_account_line(view)}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.transfer import export_neo4j_admin

    if args.format == "xlsx":
        return _export_registers(args, settings, out)
    if args.what or args.zone:
        raise InvalidRequest("--what and --zone go with --format xlsx (the registers workbook).")
    store = _open(settings)
    try:
        summary = export_neo4j_admin(store, Path(args.out))
    finally:
        store.close()
    if args.json:
        _json(summary, out)
        return 0
    out.write(f"已导出 / exported {summary.nodes} nodes and {summary.rels} relationships from {store.location} "
              f"into {summary.folder} ({len(summary.files)} CSV files).\n")
    out.write(f"Import them into an empty, stopped Neo4j 5 database from that folder (see import.txt):\n"
              f"  {summary.command}\n")
    return 0


def _export_registers(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.registers.export import EXPORTS, export_registers

    if settings.store_kind == "embedded" and not settings.db.exists():
        raise InvalidRequest(f"The store {settings.db} does not exist: give it with --db PATH or CHAINMATCH_DB.")
    what = [w.strip() for part in (args.what or []) for w in part.split(",") if w.strip()] or list(EXPORTS)
    store = _open(settings)
    try:
        result = export_registers(store, Path(args.out), what=what, zone_id=args.zone)
    finally:
        store.close()
    if args.json:
        _json(result, out)
        return 0
    sheets = "，".join(f"{name} {n} 行" for name, n in result.sheets.items())
    out.write(f"已导出台账 / registers exported: {result.path}（{sheets}；导出时间 {result.at}）\n")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.stores.neo4j import Neo4jStore
    from chainmatch.stores.sqlite import SQLiteStore
    from chainmatch.transfer import migrate

    if not settings.neo4j_uri:
        raise InvalidRequest("migrate --to neo4j needs the target: set CHAINMATCH_NEO4J_URI (and _USER, _PASSWORD, "
                             "_DATABASE) to the Neo4j database to fill.")
    if not settings.db.exists():
        raise InvalidRequest(f"The embedded store {settings.db} does not exist: give it with --db PATH or CHAINMATCH_DB.")
    source = SQLiteStore.open(settings.db)
    try:
        target = Neo4jStore.connect(settings)
        try:
            start = time.perf_counter()
            summary = migrate(source, target, batch=args.batch)
        finally:
            target.close()
    finally:
        source.close()
    took = time.perf_counter() - start
    if args.json:
        _json({**dataclasses.asdict(summary), "seconds": round(took, 3)}, out)
        return 0
    out.write(f"已迁移 / migrated {summary.source} → {summary.target} in {took:.1f}s: {summary.nodes} nodes, "
              f"{summary.rels} relationships; counts checked equal.\n")
    return 0


def _progress_bar(err: TextIO, what: str) -> Callable[[int, int, str], None]:
    """A plain-text progress bar on ``err``: redrawn in place on a terminal, one line per step otherwise."""
    tty = err.isatty()

    def show(done: int, total: int, name: str) -> None:
        filled = 20 * done // total if total else 20
        line = f"[{'#' * filled}{'-' * (20 - filled)}] {done}/{total} chains {what}: {name}"
        err.write(f"\r{line[:100]:<100}" if tty else line + "\n")
        if tty and done == total:
            err.write("\n")
        err.flush()

    return show


def cmd_maps(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.maps.build import Thresholds, resolve_zones, zone_maps
    from chainmatch.maps.render import write_maps
    from chainmatch.matching.index import build_index

    thresholds = Thresholds(min_firms=args.min_firms, min_output_share=args.min_share, targets_per_gap=args.targets)
    start = time.perf_counter()
    store = _open(settings)
    try:
        resolve_zones(store, args.zone)  # a wrong id fails before the index is built
        sys.stderr.write("正在读取匹配索引 / building the match index ...\n")
        index = build_index(store)
        result = zone_maps(store, index, args.zone, thresholds=thresholds,
                           progress=None if args.json else _progress_bar(sys.stderr, "mapped"))
    finally:
        store.close()
    written = write_maps(result, Path(args.out), xlsx_firms=args.xlsx_firms or None,
                         progress=None if args.json else _progress_bar(sys.stderr, "written"))
    took = time.perf_counter() - start
    if args.json:
        _json({"out": written.index_page, "zones": len(result.zones), "chains": result.chains, "gaps": result.gaps,
               "targets": result.targets, "files": len(written.files), "seconds": round(took, 3),
               "notes": result.notes}, out)
        return 0
    out.write(f"已生成产业链招商图谱 / chain maps written: {written.index_page}\n"
              f"  {len(result.zones)} 个开发区, {result.chains} 条产业链, 缺口 {result.gaps} 个, "
              f"招商目标 {result.targets} 家次, {len(written.files)} 个文件, 用时 {took:.1f}s\n")
    if result.notes:
        out.write(f"说明 / notes ({len(result.notes)}):\n" + "".join(f"  - {n}\n" for n in result.notes))
    return 0


def _limits_and_catalogue(settings: Settings) -> tuple[Any, Any]:
    from chainmatch.workflows.deadlines import Limits
    from chainmatch.workflows.problems import load_catalogue

    return Limits.from_settings(settings), load_catalogue(settings.problem_categories)


def _day(text: str | None, what: str) -> Any:
    from datetime import date

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"选项 {what} 的值 '{text}' 不是日期；请写成 YYYY-MM-DD，例如 2024-05-01。") from None


def cmd_problems_list(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.access.auth import SYSTEM
    from chainmatch.workflows.problems import list_problems

    _, catalogue = _limits_and_catalogue(settings)
    store = _open(settings)
    try:
        page = list_problems(store, SYSTEM, zone_id=args.zone, status=args.status, department_id=args.department,
                             overdue=True if args.overdue else None, catalogue=catalogue, limit=args.limit)
    finally:
        store.close()
    if args.json:
        _json(page.items, out)
        return 0
    for p in page.items:
        late = " 逾期" if p.overdue else ""
        depts = "、".join(d.name for d in p.departments) or "未分流"
        firm = p.enterprise.name if p.enterprise else "—"
        out.write(f"{p.id}  {p.status_name}  {p.level_name}  {p.category_name}  {firm}：{p.title}  "
                  f"期限 {p.due_on or '—'}{late}  部门 {depts}\n")
    out.write(f"共 {len(page.items)} 条{'（还有更多，用 --limit 调大）' if page.has_more else ''}\n")
    return 0


def cmd_problems_sweep(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.workflows.problems import sweep

    limits, catalogue = _limits_and_catalogue(settings)
    today = _day(args.today, "--today")
    store = _open(settings)
    try:
        result = sweep(store, today=today, zone_id=args.zone, catalogue=catalogue,
                       limits=limits, dry_run=args.dry_run)
    finally:
        store.close()
    if args.json:
        _json(result, out)
        return 0
    verb = "将提级" if args.dry_run else "已提级"
    out.write(f"{result.today}：检查未办结诉求 {result.checked} 条，逾期{verb} {len(result.escalated)} 条，"
              f"已在区级统筹仍逾期 {len(result.at_top)} 条" + (f"，他人同时修改而跳过 {len(result.skipped)} 条"
                                                           if result.skipped else "") + "。\n")
    out.writelines(f"  {verb} {pid}\n" for pid in result.escalated)
    out.writelines(f"  区级统筹逾期 {pid}\n" for pid in result.at_top)
    return 0


def cmd_problems_assess(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.access.auth import SYSTEM
    from chainmatch.registers.export import export_assessment
    from chainmatch.workflows.assessment import assess

    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if settings.store_kind == "embedded" and not settings.db.exists():
        raise InvalidRequest(f"The store {settings.db} does not exist: give it with --db PATH or CHAINMATCH_DB.")
    store = _open(settings)
    try:
        result = assess(store, SYSTEM, start=start, end=end, zone_id=args.zone)
    finally:
        store.close()
    if args.xlsx:
        export_assessment(result, Path(args.xlsx), scope=args.zone or "全部开发区")
    if args.json:
        _json(result, out)
        return 0

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.0%}"

    out.write(f"考核 / assessment: 上报日期 {result.start} 至 {result.end}（{args.zone or '全部开发区'}，截至 {result.today}）\n")
    for title, rows in (("合计", [result.total]), ("部门", result.departments), ("网格", result.grids),
                        ("网格长", result.chiefs)):
        out.write(f"{title}:\n")
        out.writelines(
            f"  {f.name}（{f.id or '—'}）受理 {f.received}，办结 {f.closed}，按期 {pct(f.on_time_rate)}，逾期 {f.overdue}，"
            f"反馈 {pct(f.feedback_rate)}，满意 {pct(f.satisfaction_rate)}，提级 {f.escalated}，"
            f"平均办结 {'—' if f.avg_days_to_close is None else f'{f.avg_days_to_close:g}'} 天\n" for f in rows)
    if args.xlsx:
        out.write(f"已写入 / written: {args.xlsx}\n")
    return 0


def cmd_remind(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from chainmatch.access.auth import SYSTEM
    from chainmatch.workflows.reminders import KINDS, reminders

    today = _day(args.today, "--today")
    if settings.store_kind == "embedded" and not settings.db.exists():
        raise InvalidRequest(f"The store {settings.db} does not exist: give it with --db PATH or CHAINMATCH_DB.")
    store = _open(settings)
    try:
        found = reminders(store, SYSTEM, today=today, soon_days=settings.remind_soon_days if args.soon is None
                          else args.soon, zone_id=args.zone, person_id=args.person, department_id=args.department)
    finally:
        store.close()
    if args.json:
        _json(found, out)
        return 0
    if not found:
        out.write("没有逾期、今日到期或即将到期的事项 / nothing is overdue or due.\n")
    for r in found:
        out.write(f"{'部门' if r.kind == 'department' else '人员'} {r.name}（{r.id}）：逾期 {len(r.overdue)}，今日到期 "
                  f"{len(r.today)}，即将到期 {len(r.soon)}\n")
        for label, items in (("逾期", r.overdue), ("今日", r.today), ("即将", r.soon)):
            out.writelines(f"  [{label}] {KINDS[i.kind]} {i.id} {i.title}（期限 {i.due_on}）\n" for i in items)
    return 0


def cmd_problems_categories(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    limits, catalogue = _limits_and_catalogue(settings)
    if args.json:
        _json({"source": catalogue.source, "categories": [{**dataclasses.asdict(c), "days": c.days(limits)}
                                                          for c in catalogue.categories.values()]}, out)
        return 0
    out.write(f"诉求类别目录 / problem categories: {catalogue.source}\n")
    out.writelines(f"  {c.code:<12} {c.name}  {c.days(limits)} 天  {'、'.join(c.departments)}\n" for c in catalogue.categories.values())
    return 0


def _need_store(settings: Settings) -> None:
    if settings.store_kind == "embedded" and not settings.db.exists():
        raise InvalidRequest(f"数据库 {settings.db} 不存在：请用 --db PATH 或 CHAINMATCH_DB 指明数据库文件"
                             "（先用 chainmatch load 或 chainmatch serve 建库）。")


def _ids(values: Sequence[str] | None, option: str) -> list[str]:
    """Ids given as repeated options and/or comma-separated (``--firm A --firm B,C``); an empty one is refused."""
    out: list[str] = []
    for value in values or ():
        for part in value.replace("，", ",").split(","):
            if not part.strip():
                raise InvalidRequest(f"选项 {option} 的值 '{value}' 含有空的编号；请写成 {option} ID 或 {option} ID1,ID2。")
            out.append(part.strip())
    return out


_EVENT_STATUS = {"planned": "筹备中", "held": "已举办"}
_EVENT_DIRECTIONS = {"buyers": "找买家（下游）", "suppliers": "找供应商（上游）", "partners": "找合作伙伴（同环节）"}
_OUTCOME_NAMES = {"proposed": "已推荐", "contacted": "已联系", "negotiating": "洽谈中", "signed": "已签约",
                  "declined": "已拒绝", "dropped": "已放弃"}


def _funnel_line(f: Any) -> str:
    rate = "—" if f.signed_rate is None else f"{f.signed_rate:.1%}"
    return (f"邀请 {f.invited} → 到场 {f.attended} → 洽谈 {f.negotiating} → 签约 {f.signed}（签约率 {rate}），"
            f"拒绝 {f.declined}，放弃 {f.dropped}")


def _event_lines(ev: Any, *, invitees: bool) -> str:
    host = f"{ev.host.name}（{ev.host.id}）" if ev.host else "—"
    lines = [(f"对接活动 {ev.id}「{ev.title}」 {_EVENT_STATUS.get(ev.status, ev.status)}"
             f"{' ' + ev.held_on if ev.held_on else ''}"),
             (f"  发起企业 {host}；{'需求 ' + ev.need_id + '；' if ev.need_id else ''}"
             f"产品 {ev.product or '—'}；{_EVENT_DIRECTIONS.get(ev.direction, ev.direction)}；"
             f"产业链 {ev.chain.name if ev.chain else '未归链'}；开发区 {ev.zone_id or '—'}"),
             f"  漏斗：{_funnel_line(ev.funnel)}"]
    if invitees:
        lines.append(f"  受邀企业（{len(ev.invitees)}）：")
        for i in ev.invitees:
            rank = f"推荐第 {i.rank} 名" if i.rank is not None else "工作人员添加"
            score = f" 得分 {i.score:.2f}" if i.score is not None else ""
            project = (f" 项目 {i.project_id} {_OUTCOME_NAMES.get(i.project_status or '', i.project_status or '')}"
                       if i.project_id else "")
            reasons = f"  理由：{'；'.join(i.reasons)}" if i.reasons and i.origin == "recommendation" else ""
            lines.append(f"    {i.firm.name}（{i.firm.id}） {rank}{score} {'到场' if i.attended else '未到场'}"
                         f"{project}{reasons}")
    return "\n".join(lines) + "\n"


def cmd_events(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """``chainmatch events ACTION``: the same library calls as ``/events`` (as the command line, :data:`SYSTEM`)."""
    from chainmatch.access.auth import SYSTEM
    from chainmatch.workflows import events

    action = args.events_command
    held_on = _day(getattr(args, "held_on", None), "--held-on")
    _need_store(settings)
    store = _open(settings)
    try:
        if action == "list":
            page = events.list_events(store, SYSTEM, zone_id=args.zone, chain_id=args.chain, limit=args.limit)
            if args.json:
                _json(page.items, out)
                return 0
            out.writelines(_event_lines(ev, invitees=False) for ev in page.items)
            out.write(f"共 {len(page.items)} 场对接活动{'（还有更多，用 --limit 调大）' if page.has_more else ''}\n")
            return 0
        if action == "funnel":
            funnels = events.chain_funnels(store, SYSTEM, zone_id=args.zone)
            if args.json:
                _json(funnels, out)
                return 0
            if not funnels:
                out.write("还没有对接活动。\n")
            out.writelines(f"{f.chain_name}（{f.chain_id or '—'}）{f.events} 场：{_funnel_line(f.funnel)}\n"
                           for f in funnels)
            return 0
        if action == "create":
            view = events.create_event(store, SYSTEM, title=args.title, need_id=args.need, host_id=args.host,
                                       product=args.product, chain_id=args.chain, held_on=held_on,
                                       direction=args.direction)
            done = "已创建对接活动"
        elif action == "show":
            view = events.get_event(store, SYSTEM, args.event)
            done = ""
        elif action == "invite":
            firms = _ids(args.firm, "--firm")
            if args.top is None and not firms:
                raise InvalidRequest("请用 --top N 邀请推荐名单的前 N 家，和/或用 --firm ID 按编号邀请企业。")
            from chainmatch.matching.index import build_index

            weights, model_name = _weights(settings)
            view = events.invite(store, build_index(store), SYSTEM, args.event, enterprise_ids=firms, top=args.top,
                                 scope=args.scope, weights=weights, model_name=model_name)
            done = "已邀请"
        elif action == "uninvite":
            view = events.remove_invitee(store, SYSTEM, args.event, args.firm)
            done = f"已将 {args.firm} 移出邀请名单"
        elif action == "attend":
            firms = _ids(args.firm, "--firm")
            view = events.record_attendance(store, SYSTEM, args.event, firms, attended=not args.absent,
                                            held_on=held_on)
            done = f"已记录{'未到场' if args.absent else '到场'} {len(firms)} 家"
        else:  # outcome
            limits, _ = _limits_and_catalogue(settings)
            invitee = events.record_outcome(store, SYSTEM, args.event, args.firm, args.status,
                                            person_id=args.person, note=args.note, limits=limits)
            if args.json:
                _json(invitee, out)
                return 0
            status = invitee.project_status or ""
            out.write(f"已记录对接结果：{invitee.firm.name}（{invitee.firm.id}） 项目 {invitee.project_id} "
                      f"{_OUTCOME_NAMES.get(status, status)}\n")
            return 0
    finally:
        store.close()
    if args.json:
        _json(view, out)
        return 0
    if done:
        out.write(f"{done}：\n")
    out.write(_event_lines(view, invitees=True))
    return 0


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chainmatch",
        description="chainmatch: 开发区产业链供需撮合 — industry-chain partner matching for development zones.",
    )
    p.add_argument("--db", help="embedded store file (default: CHAINMATCH_DB or ./chainmatch.db)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Command, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        return sp

    add("init", cmd_init, "create the store, apply the schema and load the GB/T 4754-2017 industries")
    sp = add("load", cmd_load, "check a data folder and load it (one transaction; on Neo4j one per "
                                      "CHAINMATCH_NEO4J_TX_ROWS rows); safe to repeat")
    sp.add_argument("dir", help="folder of CSV data files (see README, 'Data folder format')")
    sp.add_argument("--json", action="store_true", help="print the summary as JSON")
    sp = add("serve", cmd_serve, "run the HTTP API (loads the demo data into an empty store first)")
    sp.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, help="port (default 8000)")
    sp.add_argument("--no-demo", action="store_true", help="do not load the demo data into an empty store")
    sp.add_argument("--workers", type=int, help="worker processes, each with its own match index "
                    "(default CHAINMATCH_WORKERS or 1; one per core serves the most requests)")
    sp = add("show", cmd_show, "show a firm: grid, grid chief, party organization, chains, products, trades")
    sp.add_argument("enterprise", help="id, full name, short name (e.g. 利通) or alias")
    sp.add_argument("--json", action="store_true")
    sp = add("classify", cmd_classify, "classify a product or business-scope text into GB/T 4754-2017 小类")
    sp.add_argument("text")
    sp.add_argument("--top", type=int, default=5)
    sp.add_argument("--json", action="store_true")
    sp = add("chain-of", cmd_chain_of, "which industries buy from / supply an industry code or product")
    sp.add_argument("query", help="GB/T code (e.g. 3531) or product text (e.g. 焦炭)")
    sp.add_argument("--direction", choices=["buyers", "suppliers", "both"], default="both")
    sp.add_argument("--top", type=int, default=15)
    sp.add_argument("--json", action="store_true")
    sp = add("generate", cmd_generate, "write a synthetic zone data folder of any size (deterministic by seed)")
    sp.add_argument("out", help="folder to write")
    sp.add_argument("--enterprises", type=int, default=1000)
    sp.add_argument("--zones", type=int, default=1)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--json", action="store_true")
    sp = add("recommend", cmd_recommend, "rank buyers, suppliers or partners for a firm, each with its reasons")
    sp.add_argument("enterprise", nargs="?", help="id, full name, short name or alias")
    sp.add_argument("--product", help="recommend for a product text instead of a firm (e.g. 高压灭菌设备)")
    sp.add_argument("--in-zone", help="with --product: the zone id where the product is made (for locality)")
    sp.add_argument("--need", help="recommend for an open need (找供应 → suppliers, 找买家 → buyers)")
    sp.add_argument("--direction", default="buyers", help="buyers (下游), suppliers (上游) or partners (同环节)")
    sp.add_argument("--scope", default="all", help="zone (区内), outside (区外) or all")
    sp.add_argument("--top", type=int, default=10)
    sp.add_argument("--zone", help="only firms of this zone id")
    sp.add_argument("--grid", help="only firms of this grid id")
    sp.add_argument("--chain", help="only firms in this chain id")
    sp.add_argument("--scale", choices=["above", "below"], help="only 规上 (above) or 规下 (below) firms")
    sp.add_argument("--has-party", choices=["yes", "no"], help="only firms with (or without) a party organization")
    sp.add_argument("--json", action="store_true")
    sp = add("train", cmd_train, "learn ranking weights from signed and declined projects (default weights until "
             "enough), or from known pairs: --chainkg DIR, --dataset ICKG.csv, --register DIR --pairs CSV")
    sp.add_argument("--chainkg", metavar="DIR", help="learn from the train half of ChainKG's pairs")
    sp.add_argument("--dataset", metavar="ICKG", help="learn from an ICKG file's train supplies")
    sp.add_argument("--register", metavar="DIR", help="a data folder whose --pairs rows with split=train are learnt")
    sp.add_argument("--pairs", metavar="CSV")
    sp.add_argument("--json", action="store_true")
    sp = add("evaluate", cmd_evaluate, "rank buyers for suppliers whose buyers are known; Hit@10, MRR, any-hit@10 … "
             "against baselines in the same run")
    sp.add_argument("--dataset", help="path to an ICKG quadruples CSV (train/valid splits); default: the store's trades")
    sp.add_argument("--chainkg", metavar="DIR", help="the ChainKG development folder (firms.csv, company_product.csv, "
                    "pairs_dev.csv)")
    sp.add_argument("--register", metavar="DIR", help="a data folder (the format of `load`), with --pairs")
    sp.add_argument("--pairs", metavar="CSV", help="known pairs for --register: supplier_id,buyer_id[,split]")
    sp.add_argument("--part", choices=["train", "test"], help="--chainkg: measure one half of the pairs "
                    "(split by the supplier's product; a model trained with `train --chainkg` learnt the train half)")
    sp.add_argument("--hide", type=float, default=0.2, help="share of known trades hidden (store evaluation)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% intervals")
    sp.add_argument("--json", action="store_true")
    tp = sub.add_parser("token", help="manage API tokens", description="manage API tokens")
    tsub = tp.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    sp = tsub.add_parser("create", help="create an API token and print its secret once",
                         description="create an API token and print its secret once")
    sp.set_defaults(fn=cmd_token_create)
    sp.add_argument("--role", required=True, choices=["admin", "staff", "grid_chief", "viewer", "department"])
    sp.add_argument("--grid", action="append", metavar="GRID_ID", help="a grid chief's grid (repeatable)")
    sp.add_argument("--name", help="whose token it is, e.g. 网格长甲")
    sp.add_argument("--zone", action="append", metavar="ZONE_ID",
                    help="limit a staff or viewer token to a zone (repeatable; none: every zone)")
    sp.add_argument("--person", metavar="PERSON_ID", help="the person the token acts as (for claims)")
    sp.add_argument("--department", metavar="DEPARTMENT_ID",
                    help="a department token's department (职能部门): it sees and handles the problems dispatched to it")
    sp.add_argument("--json", action="store_true")
    sp = add("remind", cmd_remind, "what is overdue, due today and due soon, per person and department")
    sp.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge by (default: today, CST)")
    sp.add_argument("--soon", type=int, metavar="DAYS", help="days ahead counted as due soon "
                    "(default CHAINMATCH_REMIND_SOON_DAYS, 2)")
    sp.add_argument("--zone", help="only this zone id")
    sp.add_argument("--person", metavar="PERSON_ID", help="only this person's reminders")
    sp.add_argument("--department", metavar="DEPARTMENT_ID", help="only this department's reminders")
    sp.add_argument("--json", action="store_true")
    pp = sub.add_parser("problems", help="enterprise problems (企业诉求): list, the overdue sweep, categories",
                        description="enterprise problems (企业诉求): list, the overdue sweep, categories")
    psub = pp.add_subparsers(dest="problems_command", required=True, metavar="ACTION")
    sp = psub.add_parser("list", help="list problems (newest ids last)", description="list problems")
    sp.set_defaults(fn=cmd_problems_list)
    sp.add_argument("--zone", help="only this zone id")
    sp.add_argument("--status", help="raised, dispatched, handling, closed, evaluated or reopened")
    sp.add_argument("--department", metavar="DEPARTMENT_ID", help="only problems dispatched to this department")
    sp.add_argument("--overdue", action="store_true", help="only open problems past their due date")
    sp.add_argument("--limit", type=int, default=200, help="at most this many (1 to 200)")
    sp.add_argument("--json", action="store_true")
    sp = psub.add_parser("sweep", help="escalate every overdue open problem one level (run once a day)",
                         description="escalate every overdue open problem one level (自动提级); run once a day")
    sp.set_defaults(fn=cmd_problems_sweep)
    sp.add_argument("--zone", help="only this zone id")
    sp.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge overdue by (default: today, CST)")
    sp.add_argument("--dry-run", action="store_true", help="say what would be escalated; write nothing")
    sp.add_argument("--json", action="store_true")
    sp = psub.add_parser("assess", help="the assessment (考核) per department, grid and grid chief over a period",
                         description="the assessment (考核) of the problems raised in a period, per department, grid "
                         "and grid chief")
    sp.set_defaults(fn=cmd_problems_assess)
    sp.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day raised")
    sp.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day raised")
    sp.add_argument("--zone", help="only this zone id")
    sp.add_argument("--xlsx", metavar="FILE", help="also write the workbook (考核汇总, 部门考核, 网格考核, 网格长考核)")
    sp.add_argument("--json", action="store_true")
    sp = psub.add_parser("categories", help="the problem category catalogue in use and its time limits",
                         description="the problem category catalogue in use (CHAINMATCH_PROBLEM_CATEGORIES)")
    sp.set_defaults(fn=cmd_problems_categories)
    sp.add_argument("--json", action="store_true")
    ep = sub.add_parser("events", help="matchmaking events (对接活动): create, invite, attendance, outcomes, funnel",
                        description="matchmaking events (对接活动): the same calls as the /events API, as the command "
                        "line (an admin); output in Chinese, --json for machines")
    esub = ep.add_subparsers(dest="events_command", required=True, metavar="ACTION")

    def event_action(name: str, text: str, *, event: bool = True) -> argparse.ArgumentParser:
        sp = esub.add_parser(name, help=text, description=text)
        sp.set_defaults(fn=cmd_events)
        if event:
            sp.add_argument("event", metavar="EVENT_ID", help="the event's id (e.g. LH-EV-001)")
        sp.add_argument("--json", action="store_true")
        return sp

    sp = event_action("list", "list events with their funnels", event=False)
    sp.add_argument("--zone", help="only this zone id")
    sp.add_argument("--chain", help="only this chain id")
    sp.add_argument("--limit", type=int, default=50, help="at most this many (1 to 200)")
    sp = event_action("show", "one event with every invitee: rank, reasons, attendance, project")
    sp = event_action("create", "create an event for a need (--need) or a host firm's product (--host, --product)",
                      event=False)
    sp.add_argument("--title", required=True, help="e.g. 高压灭菌设备食品企业对接会")
    sp.add_argument("--need", metavar="NEED_ID", help="a 找买家 or 找供应 need; its poster hosts the event")
    sp.add_argument("--host", metavar="ENTERPRISE_ID", help="the firm whose product the event is for")
    sp.add_argument("--product", help="e.g. 高压灭菌设备")
    sp.add_argument("--chain", metavar="CHAIN_ID", help="default: the host's chain")
    sp.add_argument("--held-on", metavar="YYYY-MM-DD", help="the day it is (to be) held")
    sp.add_argument("--direction", help="buyers (default), suppliers or partners")
    sp = event_action("invite", "invite the top recommended firms (--top) and/or firms by id (--firm)")
    sp.add_argument("--top", type=int, metavar="N", help="the first N recommended firms not yet invited (1 to 200)")
    sp.add_argument("--firm", action="append", metavar="ENTERPRISE_ID", help="a firm by id (repeatable, or a,b,c)")
    sp.add_argument("--scope", default="all", help="zone (区内), outside (区外) or all (default)")
    sp = event_action("uninvite", "take a firm off the invitation list (not once its outcome is recorded)")
    sp.add_argument("--firm", required=True, metavar="ENTERPRISE_ID")
    sp = event_action("attend", "record which invitees came (到场); the event is then held")
    sp.add_argument("--firm", action="append", required=True, metavar="ENTERPRISE_ID",
                    help="an invitee by id (repeatable, or a,b,c)")
    sp.add_argument("--absent", action="store_true", help="record them as not present (未到场)")
    sp.add_argument("--held-on", metavar="YYYY-MM-DD", help="the day it was held (default: today)")
    sp = event_action("outcome", "record an invitee's outcome: its project with the host is created or moved")
    sp.add_argument("--firm", required=True, metavar="ENTERPRISE_ID")
    sp.add_argument("--status", required=True, help="contacted, negotiating, signed, declined or dropped")
    sp.add_argument("--person", metavar="PERSON_ID", help="who claims and follows up the invitee's project")
    sp.add_argument("--note")
    sp = event_action("funnel", "the funnel (invited → attended → negotiating → signed) of each chain's events",
                      event=False)
    sp.add_argument("--zone", help="only this zone id")
    ap = sub.add_parser("account", help="manage the accounts people log in to the pages with",
                        description="manage the accounts people log in to the pages with (the password is read "
                        "from the terminal, or from the first line of stdin; never from an argument)")
    asub = ap.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    sp = asub.add_parser("add", help="create an account (asks for its password)",
                         description="create an account; the password is asked twice, or read from stdin")
    sp.set_defaults(fn=cmd_account)
    sp.add_argument("username", help="the user name, e.g. zhang.wei (lower-case letters, digits, . _ -)")
    sp.add_argument("--role", required=True, choices=["admin", "staff", "grid_chief", "viewer", "department"])
    sp.add_argument("--name", required=True, help="the person's name as pages show it, e.g. 张伟")
    sp.add_argument("--grid", action="append", metavar="GRID_ID", help="a grid chief's grid (repeatable)")
    sp.add_argument("--zone", action="append", metavar="ZONE_ID",
                    help="limit a staff or viewer account to a zone (repeatable; none: every zone)")
    sp.add_argument("--person", metavar="PERSON_ID", help="the person the account acts as (for claims)")
    sp.add_argument("--department", metavar="DEPARTMENT_ID",
                    help="a department account's department (职能部门): it sees the problems dispatched to it")
    sp.add_argument("--json", action="store_true")
    for action, text in [("passwd", ("set a new password (asks for it); also unlocks the account and ends its "
                          "sessions")), ("disable", "disable an account; its sessions end at once"),
                         ("enable", "enable a disabled account again")]:
        sp = asub.add_parser(action, help=text, description=text)
        sp.set_defaults(fn=cmd_account)
        sp.add_argument("username")
        sp.add_argument("--json", action="store_true")
    sp = asub.add_parser("list", help="list the accounts (never their passwords)")
    sp.set_defaults(fn=cmd_account)
    sp.add_argument("--json", action="store_true")
    sp = add("export", cmd_export, "write the store as CSV files for `neo4j-admin database import`, or "
             "(--format xlsx) the registers staff report upward as one Excel workbook")
    sp.add_argument("out", help="folder to write (neo4j-admin), or the .xlsx file to write (xlsx)")
    sp.add_argument("--format", choices=["neo4j-admin", "xlsx"], default="neo4j-admin")
    sp.add_argument("--what", action="append", metavar="LIST",
                    help="with --format xlsx: enterprises, needs, projects, overdue, coverage (comma-separated or "
                    "repeated; default all)")
    sp.add_argument("--zone", help="with --format xlsx: only this zone id (default all zones)")
    sp.add_argument("--json", action="store_true")
    from chainmatch.registers.headers import KINDS

    sp = add("import", cmd_import, "import a zone's register (台账: .xlsx, or CSV in UTF-8 or GB18030) with Chinese "
             "headers; reports every problem before anything is written")
    sp.add_argument("file", help=".xlsx or .csv file")
    sp.add_argument("--kind", choices=KINDS, help="what the register holds (default: told by its headers)")
    sp.add_argument("--sheet", help="import only this sheet of an .xlsx (default: every sheet with a header)")
    sp.add_argument("--mapping", help="CSV file 'header,field' mapping headers the dictionary does not know")
    sp.add_argument("--encoding", help="a CSV file's encoding (default: detected, UTF-8 or GB18030)")
    sp.add_argument("--zone", help="zone (id or name) of rows without a zone column (default: the store's "
                    "only zone)")
    sp.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
    sp.add_argument("--report-xlsx", metavar="FILE", help="also write the register with each problem's cell marked "
                    "(errors red, warnings yellow, the fix as a comment) and a 问题清单 sheet")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp = add("template", cmd_template, "write an empty register (.xlsx) with Chinese headers, instructions (说明) "
             "and drop-down lists")
    sp.add_argument("--kind", choices=KINDS, required=True)
    sp.add_argument("--out", required=True, help=".xlsx file to write")
    sp.add_argument("--json", action="store_true")
    sp = add("migrate", cmd_migrate, "copy the embedded store into Neo4j (CHAINMATCH_NEO4J_*) and check the counts")
    sp.add_argument("--to", choices=["neo4j"], required=True)
    sp.add_argument("--batch", type=int, default=10_000, help="nodes or relationships per transaction")
    sp.add_argument("--json", action="store_true")
    sp = add("maps", cmd_maps, "chain investment maps (产业链招商图谱) of a zone or all zones: HTML/SVG, JSON, XLSX")
    sp.add_argument("--zone", required=True, help="zone id, or 'all'")
    sp.add_argument("--out", required=True, help="folder to write (index.html, one folder per zone)")
    sp.add_argument("--min-firms", type=int, default=2, help="a category with fewer local firms is a weak gap")
    sp.add_argument("--min-share", type=float, default=0.01,
                    help="a category below this share of the chain's local output is a weak gap (0.01 = 1%%)")
    sp.add_argument("--targets", type=int, default=10, help="outside firms named per gap")
    sp.add_argument("--xlsx-firms", type=int, default=300,
                    help="firms listed per category in each workbook, largest first (0: all; JSON has all)")
    sp.add_argument("--json", action="store_true", help="print the summary as JSON (no progress bar)")
    return p


def _say_error(e: ChainmatchError) -> None:
    """The error in Chinese (:func:`chainmatch.messages.chinese`), and the library's English words beside when
    they say something the Chinese does not."""
    import re

    from chainmatch.messages import chinese, is_chinese

    # A message the library wrote in Chinese (some start with an option or a field name) is said as it is.
    text = e.message if re.search(r"[\u4e00-\u9fff]", e.message) else chinese(e)
    sys.stderr.write(f"错误：{text}\n")
    if not is_chinese(e.message) and str(e) != text:
        sys.stderr.write(f"error: {e}\n")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    settings = get_settings()
    if args.db:
        settings = settings.model_copy(update={"db": Path(args.db)})
    try:
        code: int = args.fn(args, settings, out)
        return code
    except (DataError, NotFound, InvalidRequest) as e:
        _say_error(e)
        return 2
    except ChainmatchError as e:
        _say_error(e)
        return 2 if not isinstance(e, StoreError) else 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a stack trace for users, unless they ask for one
        if os.environ.get("CHAINMATCH_DEBUG"):
            raise
        sys.stderr.write(
            f"内部错误 / internal error: {type(e).__name__}: {e}. "
            "Run again with CHAINMATCH_DEBUG=1 for the details and report them.\n"
        )
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
