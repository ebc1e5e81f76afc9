"""Whatever a file holds, the parser answers and never raises."""

import random

import pytest

from app.parsing import parse_article, parse_index_page

rng = random.Random(20261126)
GARBAGE = "".join(
    chr(rng.choice([rng.randrange(0, 0x80), rng.randrange(0x80, 0xD7FF)])) for _ in range(20_000)
)

INPUTS = {
    "empty": "",
    "only-blank-lines": "\n\n \r\n\t\n",
    "only-header": "###  [:house:返回](README.md)\r\n---\r\n",
    "binary-looking": "\x00\x01\x02\xff\ufffd" * 500 + GARBAGE,
    "long-line": "长" * 10_000 + "[链接](http://example.org/" + "a" * 10_000 + ")",
    "long-line-of-marks": "*_[]()!`<&" * 5_000,
    "unclosed-everything": "## [未闭合\n**粗体\n![图](http://x\n```\n代码没有结束\n<br\n[[zh:半个",
    "deep-quotes": ">" * 5_000 + " 深引用\n",
    "deep-lists": "".join("  " * n + "- 项\n" for n in range(300)),
    "brackets": "[" * 20_000 + "]" * 20_000,
    "emphasis-storm": "**a*" * 10_000,
    "meta-without-title": "`3/4/2024 8:37 AM UTC 农场` [轉載自GNews](https://gnews.org/articles/1)\n",
    "bad-datetime": "## 标题\n`13/45/2024 99:99 PM UTC 农场` [轉載自GNews](https://gnews.org/articles/1)\n",
    "bom-and-crlf": "\ufeff## 标题\r\n正文\r\n",
    "garbage-href": "[文字](http://By：秘翻 粤时报%20" + "x" * 500 + ")\n",
    "many-lines": "第一行\n" * 50_000,
    # Long runs of spaces once cost time squared in their length in a line-level pattern.
    "deep-indented-list": "".join("  " * n + "- 项\n" for n in range(1000)),
    "lines-of-spaces": (" " * 5_000 + "参考链接：\n") * 100,
    "title-of-spaces": "## 标题" + " " * 50_000 + "\n正文\n",
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_parse_article_never_raises(name: str) -> None:
    article = parse_article("content/gnews/1.md", INPUTS[name])
    assert len(article.content_hash) == 64
    assert "[[zh:" not in article.body_text
    assert all(s.index == k for k, s in enumerate(article.sections))


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_parse_index_page_never_raises(name: str) -> None:
    assert parse_index_page("README.md", INPUTS[name]) is None


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "x",
        "content/a.txt",
        "content/court-case-2024/Case-00-00-0000.txt",
        "../../x.md",
    ],
)
def test_odd_paths(path: str) -> None:
    article = parse_article(path, "## 标题\n正文\n")
    assert article.path == path


def test_empty_text_is_an_empty_article() -> None:
    article = parse_article("content/transcript/2019/03/20190305-1.md", "")
    assert article.is_empty
    assert article.title is None
    assert article.title_is_placeholder
    assert article.sections[0].text == ""


def test_same_text_same_hash_and_changed_text_new_hash() -> None:
    text = "## 标题\n正文\n"
    first = parse_article("content/gnews/1.md", text).content_hash
    assert parse_article("content/gnews/1.md", text).content_hash == first
    assert parse_article("content/gnews/1.md", text + "多一行\n").content_hash != first
