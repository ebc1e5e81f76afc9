"""Every writer keeps ``article_tally`` equal to the articles: ingest (with index pages filling
dates in later, and --prune), upload, PUT, DELETE; a refused write leaves it as it was."""

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.ingest import ingest
from writes.articles import article_bytes, article_text, gnews_path, tar_archive
from writes.store import dump_store
from writes.tally import assert_tally_right, tally_of_articles

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "corpus"
MARKDOWN = {"Content-Type": "text/markdown; charset=utf-8"}


def test_ingest_and_index_pages_and_prune_keep_the_tally(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(EXAMPLES, bare)
    for index_page in bare.rglob("README.md"):
        index_page.unlink()
    ingest(engine, bare, settings=settings)
    assert_tally_right(engine)
    before = tally_of_articles(engine)

    report = ingest(engine, EXAMPLES, settings=settings)  # index pages fill dates in
    assert report.counts()["updated"] > 0
    assert_tally_right(engine)
    assert tally_of_articles(engine) != before  # the fill-ins moved articles between months

    shutil.rmtree(bare / "content" / "gnews")
    report = ingest(engine, bare, settings=settings, prune=True)
    assert report.counts()["deleted"] > 0
    assert_tally_right(engine)


def test_upload_put_and_delete_keep_the_tally(
    client: TestClient, engine: Engine, auth: dict[str, str]
) -> None:
    archive = tar_archive((gnews_path(n), article_bytes(n)) for n in (201, 202, 203))
    r = client.post("/articles", headers=auth, files=[("file", ("a.tar.gz", archive))])
    assert r.status_code == 200, r.text
    assert_tally_right(engine)

    moved = article_text(201).replace("3/4/2024", "11/9/2021")  # another year and month
    r = client.put("/articles/gnews-201", headers={**auth, **MARKDOWN}, content=moved.encode())
    assert r.status_code == 200 and r.json()["result"] == "updated", r.text
    assert_tally_right(engine)
    assert (("gnews", 2021, 11, False)) in tally_of_articles(engine)

    text = article_text(203)
    stub = text[: text.index("这是第")]  # the header alone: an empty stub
    for body, empty in ((stub, True), (text, False)):
        r = client.put("/articles/gnews-203", headers={**auth, **MARKDOWN}, content=body.encode())
        assert r.status_code == 200 and r.json()["result"] == "updated", r.text
        assert_tally_right(engine)
        assert (("gnews", 2024, 3, True) in tally_of_articles(engine)) is empty

    assert client.delete("/articles/gnews-202", headers=auth).status_code == 204
    assert_tally_right(engine)

    before = dump_store(engine)
    bad = tar_archive([(gnews_path(204), article_bytes(204)), (gnews_path(205), b"\xff\xfe")])
    r = client.post("/articles", headers=auth, files=[("file", ("b.tar.gz", bad))])
    assert r.status_code >= 400
    assert dump_store(engine) == before
    assert_tally_right(engine)
