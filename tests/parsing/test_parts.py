"""The parser's parts on small inputs written for the test: credits, dates, footers, body."""

from datetime import UTC, datetime

import pytest

from app.parsing import Byline, parse_article
from app.parsing.body import parse_body
from app.parsing.byline import bylines_of, credit_of_line
from app.parsing.footer import cut_footer
from app.parsing.head import parse_datetime
from app.parsing.script import script_of


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "翻译：甲｜校对：乙｜编辑&发布：丙",
            [
                Byline("translator", "甲", "翻译"),
                Byline("proofreader", "乙", "校对"),
                Byline("editor", "丙", "编辑&发布"),
                Byline("publisher", "丙", "编辑&发布"),
            ],
        ),
        ("素材：丁  翻译：戊\u2028编辑： 己", None),
        ("#### 听写整理编辑：某团/某人", [Byline("transcriber", "某团/某人", "听写整理编辑")]),
        (
            "*编辑&发布：庚*",
            [Byline("editor", "庚", "编辑&发布"), Byline("publisher", "庚", "编辑&发布")],
        ),
        ("**作者：某农场 辛**", [Byline("author", "某农场 辛", "作者")]),
        ("编辑 星星", [Byline("editor", "星星", "编辑")]),
        (
            "校对发布：癸",
            [Byline("proofreader", "癸", "校对发布"), Byline("publisher", "癸", "校对发布")],
        ),
        ("编辑上传 水星", [Byline("editor", "水星", "编辑上传")]),
        ("**By**：[某报](http://By：某报%20garbage)", [Byline("author", "某报", "By")]),
        ("**战友之家听写组**", [Byline("organisation", "战友之家听写组", None)]),
        ("【某某直播听写组】", [Byline("organisation", "某某直播听写组", None)]),
        ("某会翻译组：壬", [Byline("translator", "壬", "某会翻译组")]),
        ("作者：" + "很长的一句话" * 10, []),
        ("他说编辑：不是这样", []),
        ("图片来源：网络", []),
    ],
)
def test_credit_lines(line: str, expected: list[Byline] | None) -> None:
    found = credit_of_line(line.replace("\u2028", "\n"))
    if expected is None:  # the U+2028 line: three credits, one per segment
        assert [(b.role, b.name) for b in found] == [
            ("researcher", "丁"),
            ("translator", "戊"),
            ("editor", "己"),
        ]
    else:
        assert found == expected


def test_credits_are_read_at_the_top_and_bottom_only() -> None:
    lines = ["作者：甲"] + [f"第{n}段" for n in range(60)] + ["校对：乙"]
    lines[30] = "编辑：不在这里"
    assert [b.name for b in bylines_of(lines)] == ["甲", "乙"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/4/2024 8:37 AM UTC", datetime(2024, 3, 4, 8, 37, tzinfo=UTC)),
        ("11/10/2023 10:54 PM UTC ", datetime(2023, 11, 10, 22, 54, tzinfo=UTC)),
        ("1/1/2024 12:05 AM UTC", datetime(2024, 1, 1, 0, 5, tzinfo=UTC)),
        ("1/1/2024 12:05 PM UTC", datetime(2024, 1, 1, 12, 5, tzinfo=UTC)),
        ("2/30/2024 1:00 PM UTC", None),
        ("2024-03-04 08:37", None),
    ],
)
def test_us_datetimes(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_footers_and_lone_counter_are_cut() -> None:
    lines = [
        "正文。",
        "",
        "免责声明：本文内容仅代表作者个人观点，平台不承担任何法律风险。",
        "- [ROL Foundation](https://rolfoundation.org/)",
        "- [ROL Society](https://rolsociety.org/)",
        "- [Terms of use](https://gnews.org/terms-of-use-3/)",
        "- [Privacy Policy](https://gnews.org/privacy-policy/)",
        "0",
        "",
        "[原文連接](https://gnews.org/zh-hans/123456/)",
    ]
    footer = cut_footer(lines, 0)
    assert footer.body_end == 1
    assert footer.original_link == "https://gnews.org/zh-hans/123456/"


def test_promo_block_is_cut_but_a_closing_number_in_the_text_stays_once() -> None:
    lines = ["正文。", "1", "2", "**更多资讯，请关注：**", "[某农场Twitter](https://t.example/x)"]
    assert cut_footer(lines, 0).body_end == 2  # the promo goes, then one lone counter


def test_sections_open_at_headings_and_bold_lines() -> None:
    body = parse_body(
        "开头一段。\n\n**小标题**\n\n第一节正文。\n\n"
        "**一句加粗的强调，不是标题。**\n\n## 第二节\n\n第二节正文。\n\n"
        "**作者：某人**\n\n**前言：" + "很长" * 30 + "**\n"
    )
    assert [s.heading for s in body.sections] == [None, "小标题", "第二节"]
    assert body.sections[1].text == "第一节正文。\n一句加粗的强调，不是标题。"
    assert body.sections[2].markdown.startswith("## 第二节")


def test_reference_links_and_inline_citations() -> None:
    body = parse_body(
        "正文引用[某报道](https://news.example/a)。\n\n参考链接：\n\n"
        "【1】 [跨行的\n标题](https://ref.example/1)\n\nhttps://ref.example/2\n"
    )
    assert [(link.url, link.text, link.is_reference) for link in body.links] == [
        ("https://news.example/a", "某报道", False),
        ("https://ref.example/1", "跨行的标题", True),
        ("https://ref.example/2", None, True),
    ]
    assert "http" not in body.text


def test_images_captions_and_blogspot_escapes() -> None:
    body = parse_body(
        "![]()![](https://img.example/a.jpg)某网站.com\n\n"
        "![](ipfs://QmTest?.png)\n图：下一行的说明\n\n"
        "[!\\[\\](https://bp.example/s400/b.png)](https://bp.example/s1600/b.png)\n\n"
        '![图注文字](https://img.example/c.jpg "标题")\n\n'
        "![This image has an empty alt attribute; its file name is d.jpg](https://img.example/d.jpg)\n"
    )
    assert [(i.url, i.caption) for i in body.images] == [
        ("https://img.example/a.jpg", "某网站.com"),
        ("ipfs://QmTest?.png", "图：下一行的说明"),
        ("https://bp.example/s400/b.png", None),
        ("https://img.example/c.jpg", "图注文字"),
        ("https://img.example/d.jpg", None),
    ]
    assert body.links == []


def test_garbage_href_falls_back_to_link_text() -> None:
    body = parse_body("[https://ok.example/x](http://坏链接)\n\n[只有文字](http://By：坏%20)\n")
    assert [(link.url, link.text) for link in body.links] == [
        ("https://ok.example/x", "https://ok.example/x")
    ]
    assert body.text == "只有文字"


def test_entity_tags_leave_the_text() -> None:
    article = parse_article(
        "content/gnews/1.md",
        "## [[zh:美国]]标题\n`农场` [轉載自GNews](https://gnews.org/zh-hans/1/)\n\n"
        "[[zh:美国]]和[[zh:中国]]，又是[[zh:美国]]。\n",
    )
    assert article.title == "美国标题"
    assert article.entity_tags == ["美国", "中国"]
    assert "[[zh:" not in article.body_markdown
    assert article.body_text == "美国和中国，又是美国。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("郭文贵先生视频的文字版，这是简体中文的句子。", "simplified"),
        ("郭文貴先生視頻的文字版，這是繁體中文的句子。", "traditional"),
        ("郭文貴先生視頻的文字版，这是简体中文的句子。", "mixed"),
        ("only English here", None),
        ("中文", None),
    ],
)
def test_script(text: str, expected: str | None) -> None:
    assert script_of(text) == expected


def test_subtitle_dump_keeps_the_words_only() -> None:
    body = parse_body(
        "字幕文件：\n\n1\n00:00:01,000 –&gt; 00:00:02,500\n第一句\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n第二句 12\n"
    )
    assert body.text == "字幕文件：\n第一句\n第二句 12"


def test_numbers_stay_in_ordinary_text() -> None:
    assert parse_body("第一段\n\n2024\n\n12:30 开始\n").text == "第一段\n2024\n12:30 开始"


def test_glued_title_gives_the_headline_and_the_source() -> None:
    article = parse_article(
        "content/2020/03/20200306-1234567890123456789.md",
        "###  [:house:返回首頁](https://github.com/ourhimalayas/txt)\n---\n\n"
        "# 郭文貴先生視頻的文字版轉載自[戰友之聲](http://littleantvoice.blogspot.com)"
        "**文字版****2020****年测试**[!\\[\\](https://bp.example/s400/a.png)](https://bp.example/s1600/a.png)\n\n"
        "正文。\n",
    )
    assert (article.title, article.title_source, article.title_is_placeholder) == (
        "文字版2020年测试",
        "body",
        False,
    )
    assert article.source is not None
    assert (article.source.name, article.source.external_id) == ("戰友之聲", "1234567890123456789")
    assert article.published_at == datetime(2020, 3, 6, tzinfo=UTC)
    assert article.published_precision == "filename"


def test_generic_title_takes_the_first_short_line() -> None:
    article = parse_article(
        "content/2018/04/20180418-1234567890123456789.md",
        "# 郭文貴先生視頻的文字版\n轉載自[戰友之聲](http://littleantvoice.blogspot.com)\n\n"
        "2017年11月7日\n\n**某某听写组**\n\n一个测试标题（文字稿）\n\n" + "正文很长。" * 40 + "\n",
    )
    assert article.title == "一个测试标题（文字稿）"
    assert article.title_source == "body"


def test_placeholder_dates_in_paths_are_not_dates() -> None:
    stub = "## \n[轉載自GNews](https://gnews.org/ThreadView/0)"
    article = parse_article("content/transcript/1969/12/19691231-1087431.md", stub)
    assert article.published_at is None
    assert article.source is None
    assert article.is_empty
