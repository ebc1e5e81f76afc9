"""The oldest format, the seed slot copy, must come out whole (issue 2)."""

from pathlib import Path

import pytest

from app.parsing import ParsedArticle, parse_article

SEED = "gnews-slot-copies/seed-1262645.md"


@pytest.fixture(scope="module")
def seed(sample_dir: Path) -> ParsedArticle:
    text = (sample_dir / SEED).read_text(encoding="utf-8")
    return parse_article("content/gnews/5/README.md", text)


def test_title(seed: ParsedArticle) -> None:
    assert seed.title == "俄媒分析两国外长会晤带来美俄合作的领域"
    assert not seed.title_is_placeholder


def test_meta_tag(seed: ParsedArticle) -> None:
    assert seed.meta_tags == ["HimalayaRussia"]


def test_source(seed: ParsedArticle) -> None:
    assert seed.source is not None
    assert seed.source.name == "GNews"
    assert seed.source.url == "https://gnews.org/zh-hans/1262645/"
    assert seed.source.external_id == "1262645"


def test_editor_byline(seed: ParsedArticle) -> None:
    editors = [(b.name, b.role_as_written) for b in seed.bylines if b.role == "editor"]
    assert editors == [("水星", "编辑上传")]


def test_image_with_credit(seed: ParsedArticle) -> None:
    assert len(seed.images) == 1  # the empty ![]() placeholder is dropped
    image = seed.images[0]
    assert image.url.endswith("/R-10.jpg")
    assert image.caption == "nbcnews.com"


def test_sections(seed: ParsedArticle) -> None:
    headings = [s.heading for s in seed.sections]
    assert headings == [None, "从一般主题到特定主题", "利益重叠的领域", "召开总统会议的机会"]
    assert [s.index for s in seed.sections] == [0, 1, 2, 3]
    assert seed.sections[0].text.startswith("俄罗斯莫斯科喀秋莎农场")
    assert seed.sections[1].markdown.startswith("**从一般主题到特定主题**")
    assert "**" not in seed.sections[1].text


def test_reference_link(seed: ParsedArticle) -> None:
    rbc = [link for link in seed.links if "rbc.ru" in link.url]
    assert len(rbc) == 1
    assert rbc[0].is_reference
    assert rbc[0].section_index == 3


def test_no_trailing_counter(seed: ParsedArticle) -> None:
    assert not seed.body_markdown.rstrip().endswith("\n0")
    assert seed.body_text.rstrip().splitlines()[-1] != "0"
    assert seed.body_markdown.rstrip().endswith("5fcd5526)")


def test_header_dropped(seed: ParsedArticle) -> None:
    assert ":house:" not in seed.body_markdown
    assert "返回首頁" not in seed.body_text
    assert "HimalayaRussia" not in seed.body_markdown


def test_plain_text_has_no_markup(seed: ParsedArticle) -> None:
    assert "](" not in seed.body_text
    assert "http" not in seed.body_text
    assert "**" not in seed.body_text
