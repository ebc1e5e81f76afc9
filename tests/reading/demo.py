"""The data the reading page is tried on: the demo corpus, a few archive articles, hostile text."""

from pathlib import Path

from mirror.processes import Server

from app.db import make_engine
from app.ingest import ingest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "corpus"
SIMPLIFIED, TRADITIONAL = "郭文贵", "郭文貴"
# A title and body that would run script if the page parsed article text as HTML, and a
# match after characters outside the BMP (two UTF-16 units each) to pin the highlight offsets.
HOSTILE_ID = "gnews-9999001"
HOSTILE_TITLE = '<img src=x onerror="window.pwned=1">标题<b>粗</b>'
HOSTILE = f"""###  [:house:返回](README.md)
---


## {HOSTILE_TITLE}
`3/6/2024 9:00 AM UTC ` [轉載自GNews](https://gnews.org/articles/9999001)

😀😀😀 {SIMPLIFIED}的视频 <script>window.pwned=2</script> 结束。
"""


def archive_files(sample: Path, count: int = 8) -> list[Path]:
    """The first ``count`` GNews articles of the sample that name 郭文贵 in Simplified."""
    found = sorted(
        path
        for path in (sample / "content" / "gnews").glob("*.md")
        if SIMPLIFIED in path.read_text(encoding="utf-8")
    )
    return found[:count]


def build_corpus(folder: Path, sample: Path, *, hostile: bool) -> Path:
    """A corpus folder: the demo articles, a few archive articles, and the hostile one if asked."""
    root = folder / "corpus"
    for path in EXAMPLES.rglob("*"):
        if path.is_file():
            target = root / path.relative_to(EXAMPLES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    for path in archive_files(sample):
        (root / "content" / "gnews" / path.name).write_bytes(path.read_bytes())
    if hostile:
        (root / "content" / "gnews" / "9999001.md").write_text(HOSTILE, encoding="utf-8")
    return root


def serve_corpus(database_url: str, corpus: Path, log: Path) -> Server:
    """Ingests ``corpus`` into the (migrated) database and starts ``corpus serve`` over it."""
    engine = make_engine(database_url)
    try:
        report = ingest(engine, corpus)
    finally:
        engine.dispose()
    assert not report.failed, report.failed
    return Server(database_url, log).start()

