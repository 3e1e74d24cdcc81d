"""Evaluation on hand-made data: exact ranks, metrics and the ICKG file reader (on a tiny file of that format)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainmatch.errors import DataError
from chainmatch.evaluation import _metrics, _rank_of, evaluate_ickg, evaluate_store, format_report
from chainmatch.loader import load_folder
from chainmatch.sqlite_store import SQLiteStore
from tests.test_loader import write_folder
from tests.test_ranking import sterilizer_zone


def test_rank_breaks_ties_by_popularity_and_skips_excluded() -> None:
    scores = np.array([0.0, 2.0, 2.0, 1.0, 5.0])
    popularity = np.array([0.0, 1.0, 3.0, 0.0, 0.0])
    # firm 4 outranks everything but is excluded; firm 2 wins the tie with 1 on popularity
    assert _rank_of(scores, 1, np.array([4]), popularity) == 2
    assert _rank_of(scores, 4, np.array([4]), popularity) == 1  # the target itself is never excluded


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
    assert set(methods) == {"chainmatch", "popularity", "same_industry", "tfidf", "text_measure", "io_links"}
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
