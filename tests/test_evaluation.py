"""Evaluation on hand-made data: exact ranks, metrics and the ICKG file reader (on a tiny file of that format)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainmatch.errors import DataError
from chainmatch.loader import load_folder
from chainmatch.matching.evaluation import _metrics, _ranks, evaluate_ickg, evaluate_store, format_report
from chainmatch.stores.sqlite import SQLiteStore
from tests.test_loader import write_folder
from tests.test_ranking import sterilizer_zone


def test_rank_breaks_ties_by_popularity_then_position_and_never_ranks_the_supplier() -> None:
    scores = np.array([0.0, 2.0, 2.0, 1.0, 5.0])
    popularity = np.array([0.0, 1.0, 3.0, 0.0, 0.0])
    # firm 4 leads; firm 2 wins the tie with 1 on popularity; firm 0 (the supplier) comes after everyone
    assert _ranks(scores, popularity, 0).tolist() == [5, 2, 1, 3, 0]
    assert _ranks(np.zeros(3), np.zeros(3), 1).tolist() == [0, 3, 1]  # a full tie: by position


def test_metrics_of_known_ranks() -> None:
    m = _metrics(np.array([1.0, 3.0, 60.0]))
    assert m["hit@10"].tolist() == [1, 1, 0] and m["recall@50"].tolist() == [1, 1, 0]
    assert m["mrr"].tolist() == pytest.approx([1, 1 / 3, 1 / 60])
    assert m["ndcg@10"].tolist() == pytest.approx([1, 0.5, 0])


def test_store_evaluation_finds_the_hidden_food_buyer(tmp_path: Path) -> None:
    files = sterilizer_zone()
    files["trades.csv"] = "from_id,to_id,product\nM,F1,高压灭菌设备"
    store = SQLiteStore.open(tmp_path / "e.db")
    load_folder(store, write_folder(tmp_path / "d", files))
    report = evaluate_store(store, hide=0.5, bootstrap=50)
    store.close()
    assert report.queries == 1
    methods = {r.method: r.metrics for r in report.methods}
    # the one trade is hidden, so no trade is known: the trade baselines are left out
    assert set(methods) == {"chainmatch", "popularity", "same_industry", "tfidf", "text_measure", "product_chains",
                            "io_links"}
    assert methods["chainmatch"]["hit@10"].value == 1.0
    assert "chainmatch" in format_report(report)


def test_store_without_trades_is_refused_with_a_reason(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "e.db")
    load_folder(store, write_folder(tmp_path / "d", sterilizer_zone()))
    with pytest.raises(DataError, match="no supplier → buyer link"):
        evaluate_store(store)
    store.close()


def test_ickg_format_train_builds_the_graph_and_valid_is_measured(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text(
        "head,relation_zh,relation,tail,date,split\n"
        "甲钢铁,涉足行业,operates_in_industry,钢铁行业,2024-01-01,train\n"
        "乙汽车,涉足行业,operates_in_industry,汽车行业,2024-01-01,train\n"
        "丙汽车,涉足行业,operates_in_industry,汽车行业,2024-01-01,train\n"
        "钢铁行业,上游于,upstream_of,汽车行业,2024-01-01,train\n"
        "甲钢铁,供给,supplies,乙汽车,2024-02-01,train\n"
        "甲钢铁,供给,supplies,丙汽车,2024-03-01,valid\n",
        encoding="utf-8",
    )
    report = evaluate_ickg(path, bootstrap=20)
    assert (report.queries, report.firms) == (1, 3)
    chainmatch = next(r for r in report.methods if r.method == "chainmatch")
    assert chainmatch.metrics["mrr"].value == 1.0  # 丙汽车 is the only other firm downstream of 钢铁


def test_ickg_wrong_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not an ICKG quadruples file"):
        evaluate_ickg(path)
    with pytest.raises(DataError, match="Cannot read"):
        evaluate_ickg(tmp_path / "missing.csv")


def _chainkg_like(tmp_path: Path) -> Path:
    """A tiny folder in ChainKG's own format: a coke maker whose true buyers make methanol and urea."""
    folder = tmp_path / "ckg"
    folder.mkdir()
    (folder / "firms.csv").write_text(
        "code,short_name,full_name,sw_l3_code,sw_l3_name\n"
        "A,甲焦化,甲焦化股份有限公司,220101,煤化工\nB,乙化工,乙化工股份有限公司,220101,煤化工\n"
        "C,丙化肥,丙化肥股份有限公司,220401,氮肥\nD,丁服装,丁服装股份有限公司,350101,服装\n"
        "E,戊焦化,戊焦化股份有限公司,220101,煤化工\n", encoding="utf-8")
    (folder / "company_product.csv").write_text(
        "code,product,weight\nA,焦炭,0.8\nA,焦炉煤气,0.2\nB,甲醇,0.6\nB,焦炉煤气制甲醇,0.001\nC,尿素,0.9\n"
        "D,男装,1.2\nE,焦炭,1\n", encoding="utf-8")
    (folder / "pairs_dev.csv").write_text(
        "supplier_code,buyer_code,via_products,max_makers\nA,B,焦炭->甲醇,2\nA,C,焦炭->尿素,2\n", encoding="utf-8")
    return folder


def test_chainkg_files_as_they_are_are_measured_with_every_baseline(tmp_path: Path) -> None:
    from chainmatch.matching.evaluation import chainkg_benchmark, evaluate

    bench = chainkg_benchmark(_chainkg_like(tmp_path))
    assert len(bench.hidden) == 2 and bench.index.n == 5 and bench.industry is not None
    assert "男装" in bench.index.products[bench.index.pos["D"]]  # a share above 1 is clipped, not refused
    report = evaluate(bench, bootstrap=20)
    methods = {r.method: r for r in report.methods}
    assert {"chainmatch", "tfidf", "text_measure", "same_industry", "popularity", "io_links"} <= set(methods)
    assert methods["chainmatch"].metrics["any-hit@10"].value == 1.0  # 5 firms: a true buyer is always in the top 10
    assert methods["popularity"].tied_top10 == 0.0  # fewer than 10 firms can be shown: no full tied list
    assert report.pairs == 2 and report.queries == 1
    with pytest.raises(DataError, match="part has value"):
        chainkg_benchmark(tmp_path / "ckg", part="valid")


def test_register_and_pairs_file_train_rows_become_trades(tmp_path: Path) -> None:
    from chainmatch.matching.evaluation import register_benchmark

    files = sterilizer_zone()
    folder = write_folder(tmp_path / "d", files)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("supplier_id,buyer_id,split\nM,F1,train\nM,F3,test\n", encoding="utf-8")
    bench = register_benchmark(folder, pairs)
    m, f1, f3 = (bench.index.pos[x] for x in ("M", "F1", "F3"))
    assert bench.hidden == [(m, f3)] and bench.train == [(m, f1)]
    assert f1 in bench.index.trade_out[m].tolist() and f3 not in bench.index.trade_out[m].tolist()
    pairs.write_text("supplier_id,buyer_id\nM,NOBODY\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: no enterprise has the id 'NOBODY'"):
        register_benchmark(folder, pairs)
    pairs.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="supplier_id and buyer_id"):
        register_benchmark(folder, pairs)


def test_real_register_strings_are_classified_or_abstained_from() -> None:
    """The 340 hand-labelled register strings: the figures the README reports, held as floors."""
    from chainmatch.matching.evaluation import classification_on_strings

    report = classification_on_strings(Path(__file__).parent / "data" / "register_products.csv")
    assert report.labelled + report.no_industry == 340
    assert report.top1 >= 0.62 and report.abstention <= 0.35  # measured 0.643 and 29.2%
    assert report.abstained_right >= report.no_industry * 0.7  # strings naming no industry get no code (20 of 28)
