"""Golden files for the parser: which sample files, and the JSON form compared with expected/."""

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from app.parsing import ParsedArticle, parse_article

EXPECTED = Path(__file__).parent / "expected"
# Long texts are kept as length, hash and both ends: an expected file stays readable, and the
# repository holds the parser's findings, not copies of the corpus's articles.
_LONG = 200

# name -> (file under the corpus sample folder, corpus path the parser is told)
CASES: dict[str, tuple[str, str]] = {
    "seed-slot-copy": ("gnews-slot-copies/seed-1262645.md", "content/gnews/1/README.md"),
    "gnews-old-farm": ("content/gnews/2656565.md", ""),
    "gnews-new-author": ("content/gnews/2362915.md", ""),
    "gnews-new-no-author": ("content/gnews/1005610.md", ""),
    "gnews-zh-title": ("content/gnews/1076484.md", ""),
    "gnews-ipfs-image": ("content/gnews/1541924.md", ""),
    "gnews-u2028-credits": ("content/gnews/1072121.md", ""),
    "gnews-reference-link-across-lines": ("content/gnews/1008553.md", ""),
    "gnews-h2-sections": ("content/gnews/1005670.md", ""),
    "gnews-spaced-credit": ("content/gnews/2545786.md", ""),
    "gnews-credits-pipe": ("content/gnews/2671638.md", ""),
    "gnews-farm-promo": ("content/gnews/2414152.md", ""),
    "gnews-paywall": ("content/gnews/2360859.md", ""),
    "gnews-empty-title": ("content/gnews/2639994.md", ""),
    "gnews-title-only-video": ("content/gnews/1015024.md", ""),
    "gnews-srt-dump": ("content/gnews/2416089.md", ""),
    "gettr-repost": ("content/gettr/p10stpz2042.md", ""),
    "gettr-hashtags-quoted": ("content/gettr/p16y4l82b90.md", ""),
    "gettr-url-only": ("content/gettr/p1aiwaz0cc9.md", ""),
    "transcript-thread": ("content/transcript/2019/02/20190228-53482094.md", ""),
    "transcript-empty-stub": ("content/transcript/2019/03/20190305-1092684.md", ""),
    "transcript-epoch-stub": ("content/transcript/1969/12/19691231-1087431.md", ""),
    "transcript-gnews-copy": ("content/transcript/2022/04/20220427-2427971.md", ""),
    "legacy-blogspot-generic": ("content/2018/04/20180418-1194055060299517840.md", ""),
    "legacy-blogspot-glued": ("content/2020/03/20200306-1461257140477457088.md", ""),
    "legacy-original-link-at-end": ("content/2020/11/20201130-640933.md", ""),
    "legacy-video-link": ("content/2021/08/20210812-1569762.md", ""),
    "legacy-heading-credit": ("content/2021/10/20211031-1632203.md", ""),
    "legacy-code-fence": ("content/2018/10/20181010-3706069488897098623.md", ""),
    "legacy-navbar": ("content/2019/05/20190521-5140210759327330200.md", ""),
    "court-txt": ("content/court-case-2024/Case-23_cr_00118_Transcript-22-05-2024.txt", ""),
    "about-bom": ("content/about.md", ""),
}


def corpus_path(name: str) -> str:
    """The corpus-root path of a case (the sample path unless the case names another)."""
    sample, path = CASES[name]
    return path or sample


def parse_case(sample_dir: Path, name: str) -> ParsedArticle:
    """Parse one case's input, read from the sample folder."""
    text = (sample_dir / CASES[name][0]).read_text(encoding="utf-8")
    return parse_article(corpus_path(name), text)


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _LONG:
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
        return {"length": len(value), "sha256": digest, "start": value[:60], "end": value[-40:]}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


def as_json(article: ParsedArticle) -> dict[str, Any]:
    """The golden form of a parsed article: every field, long texts shortened."""
    document: dict[str, Any] = _shorten(dataclasses.asdict(article))
    document["authors"] = article.authors
    return document


def dump(document: dict[str, Any]) -> str:
    """Stable JSON text for an expected file."""
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
