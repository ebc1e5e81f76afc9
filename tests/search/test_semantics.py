"""What matches: terms ANDed, phrases, Chinese substrings of any length, whole Latin words,
Traditional = Simplified, full-width = half-width, and never markup or URLs. Both databases."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from search.conftest import Doc


def hits(client: TestClient, q: str, **params: Any) -> list[str]:
    """Ids found for ``q`` (all of them: one big page), checking ``total`` agrees."""
    response = client.get("/search", params={"q": q, "limit": 200, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return sorted(item["id"] for item in body["items"])


@pytest.fixture
def archive(index: Any) -> dict[str, str]:
    """A handful of articles written to exercise every rule; name -> id."""
    docs = {
        "guo": Doc("郭文貴談美國", "郭文貴先生說，中共必須被消滅。Steve Bannon 也在節目中。"),
        "simplified": Doc("郭文贵谈美国", "郭文贵先生说，中共必须被消灭。"),
        "bannon": Doc("班农", "Bannon said the CCP must go. The BANNON show."),
        "bannonxyz": Doc("其他", "Bannonxyz is not a word we look for; nor is xBannon."),
        "fullwidth": Doc("全角", "ＧＴＶ直播：ＧＴＶ与ｇｅｔｔｒ，１２３号"),
        "halfwidth": Doc("半角", "GTV直播 gettr 123号"),
        "single": Doc("一个字", "只有一个字：鳳"),
        "phrase": Doc("短语", "The rule of law foundation stands. law of rule is different."),
        "apart": Doc("分开", "rule here. And the law there, of course."),
    }
    ids = index(list(docs.values()))
    return dict(zip(docs, ids, strict=True))


def test_traditional_query_finds_simplified_text_and_back(
    client: TestClient, archive: dict[str, str]
) -> None:
    both = sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "郭文貴") == both
    assert hits(client, "郭文贵") == both
    assert hits(client, "消滅") == both
    assert hits(client, "凤") == [archive["single"]]  # the text has 鳳


def test_chinese_matches_as_substring_of_one_and_two_characters(
    client: TestClient, archive: dict[str, str]
) -> None:
    assert hits(client, "鳳") == [archive["single"]]
    assert hits(client, "贵") == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "文贵") == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "播") == sorted([archive["fullwidth"], archive["halfwidth"]])
    assert hits(client, "贵先生说") == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "贵说") == []
    assert hits(client, "说中共") == []  # 说，中共: no substring across punctuation
    assert hits(client, '"说，中共"') == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "字") == [archive["single"]]  # in the title (一个字) and the text


def test_terms_are_all_required(client: TestClient, archive: dict[str, str]) -> None:
    assert hits(client, "郭文贵 bannon") == [archive["guo"]]
    assert hits(client, "郭文贵   消灭") == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, "郭文贵 鳳") == []


def test_latin_terms_match_whole_words_in_any_case(
    client: TestClient, archive: dict[str, str]
) -> None:
    assert hits(client, "Bannon") == sorted([archive["guo"], archive["bannon"]])
    assert hits(client, "BANNON") == hits(client, "bannon")
    assert hits(client, "Bannonxyz") == [archive["bannonxyz"]]
    assert hits(client, "Banno") == []
    assert hits(client, "xyz") == []


def test_full_width_and_half_width_are_the_same(
    client: TestClient, archive: dict[str, str]
) -> None:
    both = sorted([archive["fullwidth"], archive["halfwidth"]])
    assert hits(client, "GTV") == both
    assert hits(client, "ＧＴＶ") == both
    assert hits(client, "gettr") == both
    assert hits(client, "１２３") == both


def test_quoted_phrase_matches_as_written(client: TestClient, archive: dict[str, str]) -> None:
    assert hits(client, '"rule of law"') == [archive["phrase"]]
    assert hits(client, "rule of law") == sorted([archive["phrase"], archive["apart"]])
    assert hits(client, '"law of rule"') == [archive["phrase"]]
    assert hits(client, '"中共必须"') == sorted([archive["guo"], archive["simplified"]])
    assert hits(client, '"Steve Bannon" 郭') == [archive["guo"]]


def test_markup_and_urls_never_match(client: TestClient, index: Any) -> None:
    markdown = (
        "###  [:house:返回](README.md)\n---\n\n## 标题在这里\n"
        "`3/4/2024 8:37 AM UTC 某农场` [轉載自GNews](https://gnews.org/articles/99)\n\n"
        "[[zh:中国]]的新闻，见[原文](https://example.org/zhongguo/target)和"
        "![图片说明](https://assets.example.org/picture.png) 以及 https://bare.example.com/naked\n"
    )
    [article] = index([Doc("标题在这里", "中国的新闻，见原文和图片说明", markdown=markdown)])
    assert hits(client, "中国的新闻") == [article]  # [[zh:中国]] reads as 中国
    assert hits(client, "原文") == [article]  # link text
    assert hits(client, "图片说明") == [article]  # alt text
    assert hits(client, "返回") == [article]  # the header as the file shows it
    assert hits(client, "轉載自") == [article]
    for hidden in ("zh", "target", "example", "zhongguo", "picture", "png", "naked", "https",
                   "gnews.org", "articles", "README"):
        assert hits(client, hidden) == [], hidden


@pytest.mark.parametrize("q", ["", " ", "  \t ", "，。！", '""', "***", "[[ ]]", "—…"])
def test_query_that_folds_to_nothing_is_422(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 422


def test_missing_or_bad_parameters_are_422(client: TestClient) -> None:
    for params in ({}, {"q": "中", "limit": 0}, {"q": "中", "sort": "title"},
                   {"q": "中", "cursor": "garbage"}, {"q": "中\x00"}):
        response = client.get("/search", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
