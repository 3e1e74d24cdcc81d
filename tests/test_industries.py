from __future__ import annotations

import pytest

from chainmatch.errors import NotFound, UnknownIndustryCode
from chainmatch.knowledge.industries import Industry, check_code, load_industries, normalize_code


def test_counts_per_level_match_the_standard() -> None:
    ind = load_industries()
    assert [len(ind.at_level(level)) for level in (1, 2, 3, 4)] == [20, 97, 473, 1381]


def test_every_parent_exists_and_is_one_level_up() -> None:
    ind = load_industries()
    for industry in ind:
        if industry.level == 1:
            assert industry.parent is None
        else:
            assert industry.parent is not None
            assert ind.get(industry.parent).level == industry.level - 1


def test_get_returns_frozen_industry() -> None:
    food_machinery = load_industries().get("3531")
    assert food_machinery == Industry(
        code="3531",
        name="食品、酒、饮料及茶生产专用设备制造",
        parent="353",
        level=4,
        level_name="小类",
        description="指主要用于食品、酒、饮料生产及茶制品加工等专用设备的制造",
    )
    with pytest.raises(AttributeError):
        food_machinery.name = "x"  # type: ignore[misc]


def test_hierarchy_queries() -> None:
    ind = load_industries()
    assert [i.code for i in ind.ancestors("3444")] == ["344", "34", "C"]
    assert [i.code for i in ind.children("13")] == ["131", "132", "133", "134", "135", "136", "137", "139"]
    assert ind.section_of("0111").code == "A"
    assert ind.section_of("9700").code == "T"
    assert [i.code for i in ind.leaves_under("3531")] == ["3531"]
    leaves_35 = ind.leaves_under("35")
    assert len(leaves_35) == 56 and all(i.level == 4 and i.code.startswith("35") for i in leaves_35)
    assert len(ind.leaves_under("C")) == sum(1 for i in ind.at_level(4) if 13 <= int(i.code[:2]) <= 43)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("C3531", "3531"), ("c3531", "3531"), (" 3531 ", "3531"), ("３５３１", "3531"), ("b0610", "0610"), ("f", "F")],
)
def test_codes_are_normalized(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected
    assert check_code(raw) == expected
    assert raw in load_industries()


def test_wrong_section_prefix_is_refused() -> None:
    assert normalize_code("A3531") == "A3531"
    with pytest.raises(UnknownIndustryCode) as info:
        check_code("A3531")
    assert info.value.candidates[0] == "3531"


def test_unknown_code_lists_siblings_first() -> None:
    with pytest.raises(UnknownIndustryCode) as info:
        check_code("3530")
    assert info.value.candidates == ["3531", "3532", "3533", "3534"]
    assert str(info.value) == (
        "'3530' is not a GB/T 4754-2017 code. Closest matches: 3531, 3532, 3533, 3534."
    )
    assert isinstance(info.value, NotFound)
    assert info.value.details == {"candidates": ["3531", "3532", "3533", "3534"]}


def test_unknown_code_nearest_numerically_within_prefix() -> None:
    with pytest.raises(UnknownIndustryCode) as info:
        check_code("3538")
    assert info.value.candidates[0] == "3534"


@pytest.mark.parametrize("raw", ["", "X", "hello", "12345"])
def test_garbage_codes_are_refused(raw: str) -> None:
    assert raw not in load_industries()
    with pytest.raises(UnknownIndustryCode):
        check_code(raw)


def test_contains_is_false_for_non_strings() -> None:
    assert 3531 not in load_industries()


def test_catalogue_is_cached() -> None:
    assert load_industries() is load_industries()


def test_transcription_fixes_are_in_place() -> None:
    # The source transcription mixed in 2011 codes and broke a few parent links (see chainmatch/data/README.md).
    ind = load_industries()
    assert ind.get("3032").name == "建筑用石加工"
    assert ind.get("3071").name == "建筑陶瓷制品制造"
    assert "3035" not in ind and "9292" not in ind
    assert [i.code for i in ind.ancestors("8890")] == ["889", "88", "R"]
    assert [i.code for i in ind.ancestors("9700")] == ["970", "97", "T"]
    assert [i.code for i in ind.children("361")] == ["3611", "3612"]
