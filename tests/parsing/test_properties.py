"""Properties of the parser over generated text (hypothesis): whatever the text, it answers,
always the same, and a served body parsed again settles at once.

The text is arbitrary Unicode, or lines made of the archive's own markup (headings, the meta
line, ``[[zh:`` tags, links, footers, fences) cut and joined at random, which reaches the
parser's branches far more often than random characters do.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.parsing import parse_article, parse_index_page

MARKUP = st.sampled_from(
    [
        "## ",
        "# ",
        "###  [:house:返回](README.md)",
        "---",
        "`3/4/2024 8:37 AM UTC 农场` [轉載自GNews](https://gnews.org/articles/1)",
        "[[zh:美国]]",
        "[[zh:半个",
        "[链接](http://example.org/a)",
        "![图](http://example.org/i.png)",
        "参考链接：",
        "**",
        "*",
        "> ",
        "- ",
        "1. ",
        "```",
        "<br>",
        "郭文貴",
        "GTV",
        "作者：水星",
        "编辑上传：",
        "#喜马拉雅",
        "|a|b|\n|-|-|",
        "\n",
        "\n\n",
        "\r\n",
        "\ufeff",
        "0",
        " " * 40,
    ]
)
TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(MARKUP, st.text(max_size=6)), max_size=40).map("".join),
)
PATHS = st.sampled_from(
    [
        "content/gnews/1.md",
        "content/gettr/2022/01/p1.md",
        "content/transcript/2019/03/20190305-1.md",
        "content/court-case-2024/Case-1.txt",
        "README.md",
    ]
)
# Derandomised, so a failure in CI is the same failure on a laptop; bounded for CI time.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(path=PATHS, text=TEXT)
def test_parse_article_never_raises_and_is_deterministic(path: str, text: str) -> None:
    article = parse_article(path, text)
    assert parse_article(path, text) == article
    assert len(article.content_hash) == 64
    assert "[[zh:" not in article.body_text
    assert [s.index for s in article.sections] == list(range(len(article.sections)))


@PROPERTY
@given(text=TEXT)
def test_parse_index_page_never_raises_and_is_deterministic(text: str) -> None:
    assert parse_index_page("content/gnews/README.md", text) == parse_index_page(
        "content/gnews/README.md", text
    )


@PROPERTY
@given(path=PATHS, text=TEXT)
def test_a_served_body_parsed_again_is_stable(path: str, text: str) -> None:
    # The first re-parse may still read a header off the body (a body that opens with a
    # heading or a meta line); from there on the served body is a fixed point.
    served = parse_article(path, text).body_markdown
    again = parse_article(path, served)
    settled = parse_article(path, again.body_markdown)
    assert settled.body_markdown == again.body_markdown
    assert settled.body_text == again.body_text
    assert settled.sections == again.sections
