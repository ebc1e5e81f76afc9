"""Reading page benchmark: what a first visit downloads and how soon it shows articles.

    .venv/bin/python bench/reader.py                          # the browser tests' data, temp SQLite
    .venv/bin/python bench/reader.py --database-url URL       # a database already ingested

Without ``--database-url`` it ingests what the browser tests read (examples/corpus/ and eight
archive articles of ../shared/corpus/sample/) into a temporary SQLite file. Then it starts
``corpus serve`` and headless Chromium with a fresh profile (no cache) for each of ``--runs``
cold loads of three views: the list (``/``), a search (``/?q=郭文貴``) and an article (the
search's first hit). Prints, per view, the median
bytes transferred (compressed, as the browser received them, page + assets + API answers),
the time to DOMContentLoaded and the time until the page has shown the articles (the
``reader:shown`` mark the page sets after rendering), in ms from navigation start.
A benchmark, not a test.
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
from served import served

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "corpus" / "sample"
sys.path.insert(0, str(REPO / "tests"))  # the tests' DevTools client, one copy of it

from reading.cdp import Page  # noqa: E402
from reading.demo import TRADITIONAL, build_corpus  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.ingest import ingest  # noqa: E402
from app.migrate import upgrade_to_head  # noqa: E402

TIMINGS = """(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const shown = performance.getEntriesByName("reader:shown")[0];
  const bytes = [nav, ...performance.getEntriesByType("resource")]
    .reduce((sum, entry) => sum + entry.transferSize, 0);
  return [bytes, nav.domContentLoadedEventEnd, shown ? shown.startTime : null];
})()"""


def _demo_database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'corpus.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        ingest(engine, build_corpus(folder, SAMPLE, hostile=False))
    finally:
        engine.dispose()
    return url


def _cold_load(url: str, folder: Path) -> tuple[int, float, float]:
    page = Page(folder)
    try:
        page.goto(url)
        page.wait("performance.getEntriesByName('reader:shown').length > 0", f"{url} shown")
        bytes_, dcl, shown = page.evaluate(TIMINGS)
        return int(bytes_), float(dcl), float(shown)
    finally:
        page.close()


def main() -> None:
    """Runs the cold loads and prints one line per view."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database_url = args.database_url or _demo_database(folder)
        with served(database_url) as server:
            hits = httpx.get(f"{server.base}/search", params={"q": TRADITIONAL}).json()["items"]
            views = {"list": "/", "search": f"/?q={TRADITIONAL}"}
            if hits:
                views["article"] = f"/?article={hits[0]['id']}"
            for view, path in views.items():
                url = server.base + path
                runs = [_cold_load(url, folder / f"{view}-{i}") for i in range(args.runs)]
                bytes_, dcl, shown = (statistics.median(each) for each in zip(*runs, strict=True))
                print(
                    f"{view:8} {path[:40]:40} transferred {bytes_ / 1024:6.1f} KiB  "
                    f"DOMContentLoaded {dcl:6.1f} ms  shown {shown:6.1f} ms  "
                    f"(median of {args.runs} cold loads)"
                )


if __name__ == "__main__":
    main()
