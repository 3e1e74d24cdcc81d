from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from chainmatch.knowledge.classify import (
    Candidate,
    Classification,
    IndustryClassifier,
    build_classifier,
    classify,
    classify_many,
    default_classifier,
    normalize_text,
    read_synonyms,
)
from chainmatch.knowledge.industries import load_industries

LABELLED = Path(__file__).parent / "data" / "labelled_products.csv"


def labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("高压灭菌设备", "3531"),
        ("食品杀菌设备", "3531"),
        ("液压油缸", "3444"),
        ("肉制品", "1353"),
        ("皮鞋", "1952"),
        ("焦炭", "2521"),
        ("锂电池", "3841"),
    ],
)
def test_must_have_cases_rank_first(text: str, code: str) -> None:
    result = classify(text)
    assert result.reason is None
    assert result.candidates[0].code == code
    assert result.candidates[0].confidence > 0.5


def test_sterilizer_is_food_machinery_not_a_general_or_medical_code() -> None:
    best = classify("高压灭菌设备").candidates[0]
    assert best == Candidate(best.code, "食品、酒、饮料及茶生产专用设备制造", best.confidence, best.evidence)
    assert best.evidence == "contains '灭菌设备'"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "文本为空 (empty text)"),
        ("  ，。！ ", "文本为空 (empty text)"),
        ("hello world", "没有中文产品词 (no Chinese product words)"),
        ("12345", "没有中文产品词 (no Chinese product words)"),
        ("啊啊啊啊", "未识别出产品或行业词 (no product or industry words recognised)"),
        ("的了吗呢", "未识别出产品或行业词 (no product or industry words recognised)"),
        ("你好世界", "未识别出产品或行业词 (no product or industry words recognised)"),
    ],
)
def test_garbage_gives_empty_result_with_reason(text: str, reason: str) -> None:
    assert classify(text) == Classification(text, (), reason)


def test_full_width_spaces_and_punctuation_are_normalized() -> None:
    assert normalize_text("　液压　油缸（Ｌ型）！") == "液压油缸l型"
    assert classify("　液 压 油 缸。").candidates[0].code == "3444"


def test_firm_names_lose_their_legal_form() -> None:
    assert classify("漯河利通液压科技股份有限公司").candidates[0].code == "3444"


def test_candidates_are_ranked_and_bounded() -> None:
    result = classify("低温肉制品", top=3)
    assert len(result.candidates) == 3
    confidences = [c.confidence for c in result.candidates]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)
    assert all(c.code in load_industries() and load_industries().get(c.code).level == 4 for c in result.candidates)


def test_classify_many_matches_classify() -> None:
    texts = ["皮鞋", "", "焦炭"]
    assert classify_many(texts) == [classify(t) for t in texts]


def test_estimator_contract() -> None:
    clf = build_classifier()
    assert clone(clf).get_params() == clf.get_params()
    assert not hasattr(clf, "classes_")
    fitted = clf.fit(["皮鞋", "运动鞋", "火腿肠"], ["1952", "1951", "1353"])
    assert fitted is clf
    assert clf.classes_.tolist() == ["1353", "1951", "1952"]
    assert clf.predict(["男式皮鞋", "xyz"]).tolist() == ["1952", ""]
    with pytest.raises(ValueError, match="differ in length"):
        IndustryClassifier().fit(["皮鞋"], ["1952", "1951"])


def test_default_classifier_is_fitted_once() -> None:
    assert default_classifier() is default_classifier()


def test_synonym_file_uses_only_leaf_codes() -> None:
    industries = load_industries()
    for code, synonym in read_synonyms():
        assert code in industries and industries.get(code).level == 4, code
        assert synonym == synonym.strip() and synonym


def test_labelled_set_covers_all_sections_with_valid_leaves() -> None:
    rows = labelled()
    industries = load_industries()
    assert len(rows) >= 250
    assert {industries.section_of(r["code"]).code for r in rows} == {i.code for i in industries.at_level(1)}
    assert all(industries.get(r["code"]).level == 4 for r in rows)
    assert len({r["text"] for r in rows}) == len(rows)


def test_labelled_set_is_disjoint_from_synonyms_and_official_names() -> None:
    # Otherwise the accuracy below would measure lookup, not classification.
    known = {normalize_text(s) for _, s in read_synonyms()}
    known |= {normalize_text(i.name) for i in load_industries().at_level(4)}
    overlap = [r["text"] for r in labelled() if normalize_text(r["text"]) in known]
    assert overlap == []


def test_accuracy_on_labelled_set() -> None:
    rows = labelled()
    results = classify_many([r["text"] for r in rows], top=3)
    top1 = np.mean([bool(c.candidates) and c.candidates[0].code == r["code"] for r, c in zip(rows, results)])
    top3 = np.mean([r["code"] in [x.code for x in c.candidates] for r, c in zip(rows, results)])
    assert top3 >= 0.85
    assert top1 >= 0.80
