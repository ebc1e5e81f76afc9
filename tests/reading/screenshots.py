"""Takes the reading page's screenshots in docs/ (desktop and phone), over the demo data plus a
few archive articles: ``.venv/bin/python tests/reading/screenshots.py``."""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, as pytest has it

from app.migrate import upgrade_to_head  # noqa: E402
from reading.cdp import Page  # noqa: E402
from reading.demo import REPO, TRADITIONAL, build_corpus, serve_corpus  # noqa: E402

SAMPLE = REPO.parent / "shared" / "corpus" / "sample"
DOCS = REPO / "docs"


def main() -> None:
    """Serves the data, opens the page in Chinese, and writes four PNGs to docs/."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database_url = f"sqlite:///{folder / 'corpus.db'}"
        upgrade_to_head(database_url)
        corpus = build_corpus(folder, SAMPLE, hostile=False)
        server = serve_corpus(database_url, corpus, folder / "serve.log")
        page = Page(folder / "profile")
        try:
            page.resize(1280, 860)
            page.goto(f"{server.url}/")
            page.wait("!!document.querySelector('#results .card')", "the list")
            if page.evaluate("document.documentElement.lang") != "zh":
                page.click("#lang")
            chinese_list = (
                "document.documentElement.lang === 'zh' && !!document.querySelector('.card')"
            )
            page.wait(chinese_list, "the Chinese list")
            page.screenshot(DOCS / "reader-desktop-list.png")
            page.type("#q", TRADITIONAL)
            page.press_enter()
            page.wait("!!document.querySelector('#results mark')", "the hits")
            page.screenshot(DOCS / "reader-desktop-search.png")
            page.resize(390, 844, mobile=True)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(DOCS / "reader-phone-search.png")
            page.click("#results .card:nth-child(2) .title")
            page.wait("!!document.querySelector('#article-body p')", "the article")
            page.screenshot(DOCS / "reader-phone-article.png")
        finally:
            page.close()
            server.stop()


if __name__ == "__main__":
    main()
