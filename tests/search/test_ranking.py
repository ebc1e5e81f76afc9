"""Ranking is BM25 on both databases: every score equals the formula, computed here by hand.

The expected scores use only the definition (app/search/ranking.py documents it; FTS5's
``bm25()`` is the reference): occurrences counted in the text, lengths counted as CJK
characters plus words, document frequencies counted over the test's own articles. A long
text puts occurrences where PostgreSQL's chunks overlap, so an occurrence counted twice or
not at all there changes a score.
"""

import math
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.search.folding import fold
from app.search.postgres_index import CHUNK_TOKENS, OVERLAP_TOKENS, chunk_spans, field_tokens
from app.search.segmenting import token_string
from search.conftest import Doc

K1, B, TITLE_WEIGHT, TITLE_TIER = 1.2, 0.75, 4.0, 1000.0
_CJK = "\u4e00-\u9fff"


def _length(text: str) -> int:
    """Tokens of ``text``: each CJK character and each run of other word characters."""
    return len(re.findall(f"[{_CJK}]", text)) + len(re.findall(rf"[^\W{_CJK}]+", text))


def _occurrences(term: str, text: str) -> int:
    """Occurrences of ``term``, overlapping ones too; Latin words whole and caseless."""
    if re.fullmatch(f"[{_CJK}]+", term):
        return len(re.findall(f"(?={re.escape(term)})", text))
    return len(re.findall(rf"(?<![^\W{_CJK}]){re.escape(term)}(?![^\W{_CJK}])", text, re.I))


def expected_scores(docs: dict[str, Doc], terms: list[str]) -> dict[str, float]:
    """BM25 (+ the title tier) of every article holding all ``terms``, by the definition."""
    lengths = {i: _length(d.title) + _length(d.body) for i, d in docs.items()}
    avgdl = sum(lengths.values()) / len(docs)

    def frequency(term: str, doc: Doc) -> float:
        return TITLE_WEIGHT * _occurrences(term, doc.title) + _occurrences(term, doc.body)

    idf = {}
    for term in terms:
        holding = sum(1 for d in docs.values() if frequency(term, d) > 0)
        idf[term] = max(math.log((len(docs) - holding + 0.5) / (holding + 0.5)), 1e-6)
    scores = {}
    for ident, doc in docs.items():
        f = {term: frequency(term, doc) for term in terms}
        if not all(f.values()):
            continue
        norm = K1 * (1 - B + B * lengths[ident] / avgdl)
        score = sum(idf[t] * f[t] * (K1 + 1) / (f[t] + norm) for t in terms)
        if all(_occurrences(t, doc.title) for t in terms):
            score += TITLE_TIER
        scores[ident] = score
    return scores


def _spans(text: str) -> list[tuple[int, int, int]]:
    """The chunks PostgreSQL's index cuts a body into (one position per CJK character)."""
    return chunk_spans(field_tokens(token_string(fold(text)).split()))


def _long_text() -> str:
    """Over three chunks of characters, with 中国 inside overlaps and across chunks' ends.

    The chunks' bounds come from the index's own chunker; 中 and 国 stand apart in every
    chunk's range beforehand, so that placing 中国 moves no bound (checked here).
    """
    # 50 different characters: none repeats often enough to cut a chunk short.
    chars = [chr(0x4E80 + n % 50) for n in range(3 * CHUNK_TOKENS)]
    for at in range(0, len(chars), 500):
        chars[at + 200], chars[at + 300] = "中", "国"
    spans = _spans("".join(chars))
    assert len(spans) >= 3, spans
    for (_, end, _), (start, _, head) in zip(spans, spans[1:], strict=False):
        assert head == OVERLAP_TOKENS
        # In the overlap, across the end, after it (when the text goes on that far: the last
        # chunk, an edge chunk, is shorter than 100 tokens).
        for at in (start + 5, end - 1, end + 100):
            if at + 2 <= len(chars):
                chars[at : at + 2] = ["中", "国"]
    chars[10:12] = ["中", "国"]
    assert _spans("".join(chars)) == spans
    return "".join(chars)


DOCS = [
    Doc("中国新闻", "中国的港口。中国"),
    Doc("港口", "今天说到中国"),
    Doc("港口消息", "中国" + "很长的一段话没有别的词" * 30),
    Doc("美国", "美国和中国谈判美国"),
    Doc("长篇", _long_text()),
    Doc("谢谢", "谢谢谢谢谢大家"),
    Doc("Trump", "trump said TRUMP; Trumpet is not"),
    *[Doc(f"其他{n}", "无关的内容 other words" * (n + 1)) for n in range(8)],
]


@pytest.mark.parametrize(
    "terms", [["中国"], ["国"], ["中国", "美国"], ["港口"], ["谢谢"], ["trump"], ["中国", "港口"]]
)
def test_scores_are_bm25_on_both_databases(
    client: TestClient, index: Any, terms: list[str]
) -> None:
    ids = index(DOCS)
    expected = expected_scores(dict(zip(ids, DOCS, strict=True)), terms)
    response = client.get("/search", params={"q": " ".join(terms), "limit": 100})
    assert response.status_code == 200, response.text
    got = {item["id"]: item["score"] for item in response.json()["items"]}
    assert got.keys() == expected.keys()
    for ident, score in expected.items():
        assert got[ident] == pytest.approx(score, rel=1e-6, abs=2e-6), ident


def test_length_and_rarity_order_body_matches(client: TestClient, index: Any) -> None:
    short, long_, *_ = index(
        [
            Doc("甲", "提到港口一次"),
            Doc("乙", "提到港口一次" + "别的话" * 200),
            *[Doc(f"丙{n}", "别的话") for n in range(4)],
        ]
    )
    items = client.get("/search", params={"q": "港口"}).json()["items"]
    assert [i["id"] for i in items] == [short, long_]  # same count, the shorter text first
    assert items[0]["score"] > items[1]["score"]
