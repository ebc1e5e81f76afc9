"""Index pages are recognised by their content, in each of the archive's formats.

Every page here is written for the test, in the shape of the archive's README files.
"""

from datetime import UTC, datetime
from pathlib import Path

from app.parsing import IndexRecord, parse_index_page

NAV = (
    "\ufeff###  [:house:首页](/README.md) | [:newspaper:GNews](/content/gnews/README.md) | "
    "[:books:視頻文字](/content/transcript/README.md)\r\n---\r\n\r\n"
)

GNEWS_H4 = NAV + (
    "#### [测试标题一&#124;副题](/content/gnews/2000001.md)\r\n"
    "第一条摘要，结尾截断... `4/2/2024 3:57 PM UTC 测试农场`\r\n\r\n"
    "#### [[[zh:美国]]测试标题二](/content/gnews/2000002.md)\r\n"
    "第二条摘要 `12/31/2023 12:05 AM UTC`\r\n\r\n"
    "#### [测试标题三](/content/gnews/2000003.md)\r\n"
    "`样例农场`\r\n"
)


def test_gnews_h4_entries() -> None:
    records = parse_index_page("content/gnews/README.md", GNEWS_H4)
    assert records == [
        IndexRecord(
            "content/gnews/2000001.md",
            "测试标题一|副题",
            "第一条摘要，结尾截断...",
            datetime(2024, 4, 2, 15, 57, tzinfo=UTC),
            "测试农场",
        ),
        IndexRecord(
            "content/gnews/2000002.md",
            "美国测试标题二",
            "第二条摘要",
            datetime(2023, 12, 31, 0, 5, tzinfo=UTC),
            None,
        ),
        IndexRecord("content/gnews/2000003.md", "测试标题三", None, None, "样例农场"),
    ]


def test_root_readme_keeps_articles_and_drops_navigation() -> None:
    page = (
        NAV
        + (
            "推薦文章👇\n\n[法庭文件](/content/court-case-2024/README.md)\n\n"
            "[外部指南](https://github.com/example/guide)\n\n---\n\n"
        )
        + GNEWS_H4.removeprefix(NAV)
    )
    records = parse_index_page("README.md", page)
    assert records is not None
    assert [r.path for r in records] == [
        "content/gnews/2000001.md",
        "content/gnews/2000002.md",
        "content/gnews/2000003.md",
    ]


def test_gettr_link_entries() -> None:
    page = NAV + (
        "[@tester 4/2/2023 3:50 PM UTC  - :tv:直播](/content/gettr/p000test01.md)\n\n"
        "第一段贴文\n\n#FreeTest \n\n"
        '<img src="https://media.example.org/1.jpg" width="506" height="284">\n\n---\n\n'
        "[@other 4/1/2023 11:02 AM UTC  - :tv:直播](/content/gettr/p000test02.md)\n\n"
        "Second post text...\n\n---\n\n"
        "[@third 3/30/2023 1:00 AM UTC  - :tv:直播](/content/gettr/p000test03.md)\n\n"
    )
    records = parse_index_page("content/gettr/README.md", page)
    assert records is not None
    assert records[0] == IndexRecord(
        "content/gettr/p000test01.md",
        None,
        "第一段贴文\n#FreeTest",
        datetime(2023, 4, 2, 15, 50, tzinfo=UTC),
        "@tester",
    )
    assert records[1].summary == "Second post text..."
    assert records[2].author == "@third"
    assert records[2].summary is None


def test_transcript_link_entries_skip_page_navigation() -> None:
    page = NAV + (
        "## 頁面 1/3 **1** [2](/content/transcript/README-2.md) "
        "[查看全部](/content/transcript/README-all.md)\n\n"
        "[2023年1月2日测试直播全文字版](/content/transcript/2023/01/20230102-1000001.md)\n\n"
        "[2023年1月1日测试直播](/content/transcript/2023/01/20230101-1000000.md)\n\n"
        "[2022年12月31日测试](/content/transcript/2022/12/20221231-999999.md)\n"
    )
    records = parse_index_page("content/transcript/README.md", page)
    assert records is not None
    assert [(r.path, r.title) for r in records] == [
        ("content/transcript/2023/01/20230102-1000001.md", "2023年1月2日测试直播全文字版"),
        ("content/transcript/2023/01/20230101-1000000.md", "2023年1月1日测试直播"),
        ("content/transcript/2022/12/20221231-999999.md", "2022年12月31日测试"),
    ]


def test_court_links_are_relative_to_the_page() -> None:
    page = (
        "# Court transcripts\n\n"
        "[May 31, 2024 Transcript](Case-99_cr_00001_Transcript-31-05-2024.txt)\n\n"
        "[May 30, 2024 Transcript](Case-99_cr_00001_Transcript-30-05-2024.md)\n\n"
        "[May 29, 2024 Transcript](./Case-99_cr_00001_Transcript-29-05-2024.txt)\n"
    )
    records = parse_index_page("content/court-case-2099/README.md", page)
    assert records is not None
    assert records[0] == IndexRecord(
        "content/court-case-2099/Case-99_cr_00001_Transcript-31-05-2024.txt",
        "May 31, 2024 Transcript",
        None,
        datetime(2024, 5, 31, tzinfo=UTC),
        None,
    )
    assert records[2].path == "content/court-case-2099/Case-99_cr_00001_Transcript-29-05-2024.txt"


def test_oldest_gnews_index_links_slots() -> None:
    page = NAV + "".join(
        f"### [槽位标题{n}](/content/gnews/{n}/README.md)\n` 农场{n}`\n\n" for n in range(1, 4)
    )
    records = parse_index_page("content/gnews/README.md", page)
    assert records is not None
    assert records[0] == IndexRecord("content/gnews/1/README.md", "槽位标题1", None, None, "农场1")


def test_links_outside_the_corpus_are_not_entries() -> None:
    page = NAV + "".join(f"[上一层{n}](../../../etc/passwd{n}.md)\n\n" for n in range(5))
    assert parse_index_page("content/gnews/README.md", page) is None


def test_an_article_is_not_an_index_page() -> None:
    article = (
        "###  [:house:返回](README.md)\n---\n\n## 一篇文章\n"
        "`3/4/2024 8:37 AM UTC 测试农场` [轉載自GNews](https://gnews.org/articles/2000004)\n\n"
        "正文第一段，提到[另一篇](/content/gnews/2000005.md)。\n\n正文第二段。\n"
    )
    assert parse_index_page("content/gnews/2000004.md", article) is None


def test_a_slot_copy_is_an_article_not_an_index_page(sample_dir: Path) -> None:
    for path in sorted((sample_dir / "gnews-slot-copies").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert parse_index_page("content/gnews/3/README.md", text) is None, path.name


def test_empty_and_plain_files_are_not_index_pages() -> None:
    assert parse_index_page("README.md", "") is None
    assert parse_index_page("README.md", "just some words\n") is None
