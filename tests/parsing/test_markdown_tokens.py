"""The fast token stream (plain paragraphs without markdown-it's block rules) parses the same."""

from pathlib import Path

import pytest
from markdown_it.token import Token

import app.parsing.body
from app.parsing.markdown_tokens import MARKDOWN, block_tokens
from parsing.golden import CASES, parse_case


def _whole(markdown: str, lines: list[str]) -> list[Token]:
    return MARKDOWN.parse(markdown)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_article_as_markdown_it_over_the_whole_body(
    sample_dir: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = parse_case(sample_dir, name)
    monkeypatch.setattr(app.parsing.body, "block_tokens", _whole)
    assert parse_case(sample_dir, name) == fast


def test_plain_runs_become_paragraphs_and_marked_runs_go_to_markdown_it() -> None:
    lines = ["第一段", "还是第一段", "", "## 标题", "", "- 列表", "", "第二段"]
    tokens = block_tokens("\n".join(lines), lines)
    blocks = [(t.type, t.map) for t in tokens if t.type in ("inline", "bullet_list_open")]
    assert blocks == [
        ("inline", [0, 2]),
        ("inline", [3, 4]),
        ("bullet_list_open", [5, 6]),
        ("inline", [5, 6]),
        ("inline", [7, 8]),
    ]
