"""The shared query set on the sample corpus: search agrees with an independent matcher.

The sample is ingested as ``corpus ingest`` would; the expected hits of every query of
queries-dev.jsonl are computed here from the files themselves, by the contract's rules
(link targets, URLs and ``[[zh:`` markup stripped; NFKC, OpenCC t2s and casefold; Chinese
as substrings, Latin as whole words; every term required), with none of the app's code.
"""

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import opencc
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.ingest import ingest

QUERIES = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "queries-dev.jsonl"
_T2S = opencc.OpenCC("t2s")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ZH = re.compile(r"\[\[zh:([^\]\[]*)\]\]")
_URL = re.compile(r"(?:https?|ipfs)://[!-~]*")


def _fold(text: str) -> str:
    return str(_T2S.convert(unicodedata.normalize("NFKC", text))).casefold()


def _plain(markdown: str) -> str:
    text = _URL.sub(" ", _LINK.sub(r"\1", _ZH.sub(r"\1", markdown)))
    # Emphasis marks join what they wrap (**2019****年**); tags and entities are markup.
    text = re.sub(r"\*+|`+", "", re.sub(r"<[^>\n]{1,20}>", " ", text))
    return _fold(html.unescape(text))


def _matches(text: str, q: str) -> bool:
    for term in q.split():
        term = _fold(term)
        if re.fullmatch(f"[{_CJK}]+", term):
            if term not in text:
                return False
        elif not re.search(rf"(?<![^\W{_CJK}]){re.escape(term)}(?![^\W{_CJK}])", text):
            return False
    return True


def _found(client: TestClient, q: str) -> set[str]:
    paths: set[str] = set()
    params: dict[str, Any] = {"q": q, "limit": 200, "include_empty": "true"}
    while True:
        page = client.get("/search", params=params).json()
        paths |= {item["path"] for item in page["items"]}
        if page["next"] is None:
            assert page["total"] == len(paths)
            return paths
        params["cursor"] = page["next"]


@pytest.mark.slow
def test_query_set_on_the_sample(
    engine: Engine, settings: Settings, client: TestClient, sample_dir: Path
) -> None:
    report = ingest(engine, sample_dir, settings=settings)
    assert report.counts()["failed"] == 0
    with engine.connect() as conn:
        stored = {row[0] for row in conn.exec_driver_sql("SELECT path FROM article")}
    texts = {
        path: _plain((sample_dir / path).read_text(encoding="utf-8", errors="replace"))
        for path in stored
    }
    queries = [json.loads(line) for line in QUERIES.open(encoding="utf-8")]
    disagreements = {}
    truth_checked = markup_misses = 0
    for query in queries:
        expected = {path for path, text in texts.items() if _matches(text, query["q"])}
        found = _found(client, query["q"])
        if found != expected:
            disagreements[query["q"]] = (sorted(expected - found), sorted(found - expected))
        # The ground truth strips less (it keeps URLs and link text that is a URL): a file
        # of it may be missed only where the contract's matcher misses it too.
        in_sample = set(query["paths"] or ()) & stored
        truth_checked += len(in_sample)
        markup_only = {p for p in in_sample - found if not _matches(texts[p], query["q"])}
        assert in_sample - markup_only <= found, (query["q"], sorted(in_sample - found))
        markup_misses += len(markup_only)
    assert disagreements == {}
    assert truth_checked > 50  # the sample does hold files of the ground truth
    assert markup_misses <= truth_checked // 20
