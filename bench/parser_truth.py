"""Parse the whole dev archive and check the parser against the index ground truth.

Usage: .venv/bin/python bench/parser_truth.py [--archive PATH] [--truth PATH] [--examples N]

Prints files, crashes, parse throughput (MB/s on one core, parsing only: the archive is read
and decompressed first), and agreement with index-truth-dev.jsonl (titles, dates, gnews
source urls, empty stubs), then the remaining disagreements by category.
"""

import argparse
import html
import json
import re
import sys
import tarfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.parsing import IndexRecord, ParsedArticle, parse_article, parse_index_page  # noqa: E402
from app.parsing.text import strip_entity_markup  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
GENERIC = "郭文貴先生視頻的文字版"
_SPACE = re.compile(r"\s+")
# The whole of an empty transcript stub: a bare `## ` and the ThreadView/0 placeholder link.
_STUB = re.compile(
    rb"^\s*## *\r?\n\[\xe8\xbd\x89\xe8\xbc\x89\xe8\x87\xaaGNews\]\(https://gnews\.org/ThreadView/0\)\s*$"
)


def norm(text: str | None) -> str:
    """The comparison form: entities decoded, [[zh:]] stripped, white space collapsed."""
    return _SPACE.sub(" ", strip_entity_markup(html.unescape(text or ""))).strip()


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060"), None)
_QUOTES = str.maketrans({"'": '"', "‘": '"', "’": '"', "“": '"', "”": '"'})


def title_difference(ours: str, theirs: str) -> str:
    """Why two titles differ, as a category for the report."""
    if not ours:
        return "no title in the file"
    if ours == theirs.translate(_INVISIBLE).strip():
        return "index title carries invisible characters"
    if ours.translate(_QUOTES) == theirs.translate(_QUOTES):
        return "quote marks differ"
    if theirs.endswith("\\n") and ours == theirs[:-2].strip():
        return "index title ends in a literal \\n"
    squeezed_ours, squeezed_theirs = ours.replace(" ", ""), theirs.replace(" ", "")
    if squeezed_ours in squeezed_theirs:
        return "index title adds words around the file's"
    if squeezed_theirs in squeezed_ours:
        return "index title is part of the file's"
    return "different wording"


def read_archive(path: Path) -> list[tuple[str, bytes]]:
    """Every regular file of the archive, in archive order."""
    files = []
    with tarfile.open(path, "r:xz") as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    files.append((member.name.removeprefix("./"), handle.read()))
    return files


Parsed = tuple[
    dict[str, ParsedArticle], dict[str, list[IndexRecord]], list[tuple[str, str]], float, float
]


def parse_all(files: list[tuple[str, bytes]]) -> Parsed:
    """Parse every file: index pages apart, articles by path; crashes listed."""
    articles: dict[str, ParsedArticle] = {}
    index_pages: dict[str, list[IndexRecord]] = {}
    crashes: list[tuple[str, str]] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for path, raw in files:
        try:
            text = raw.decode("utf-8")
            records = parse_index_page(path, text)
            if records is not None:
                index_pages[path] = records
                continue
            articles[path] = parse_article(path, text)
        except Exception:  # noqa: BLE001 - the point is to count every kind of crash
            crashes.append((path, traceback.format_exc(limit=3)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return articles, index_pages, crashes, wall, cpu


def pct(part: int, whole: int) -> str:
    """``part/whole = NN.NN%``."""
    return f"{part}/{whole} = {100 * part / whole:.2f}%" if whole else "0/0"


def read_truth(path: Path) -> dict[str, dict[str, Any]]:
    """index-truth-dev.jsonl by corpus path."""
    truth = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            truth[record["path"]] = record
    return truth


def compare_index_pages(
    index_pages: dict[str, list[IndexRecord]], truth: dict[str, dict[str, Any]]
) -> None:
    """Print how the entries read from the archive's index pages agree with the truth."""
    entries = [r for records in index_pages.values() for r in records]
    known = [r for r in entries if r.path in truth]
    titled = [r for r in known if truth[r.path].get("title")]
    titles = sum(1 for r in titled if norm(r.title) == norm(truth[r.path]["title"]))
    dated = [r for r in known if truth[r.path].get("published_at")]
    dates = sum(
        1
        for r in dated
        if r.published_at is not None
        and r.published_at.strftime("%Y-%m-%dT%H:%M") == truth[r.path]["published_at"][:16]
    )
    print(
        f"index page entries: {len(entries)}, {len(known)} of them in the truth;"
        f" titles agree {pct(titles, len(titled))}, dates agree {pct(dates, len(dated))}"
    )


def compare(
    articles: dict[str, ParsedArticle],
    truth: dict[str, dict[str, Any]],
    examples: int,
    stubs: set[str],
) -> None:
    """Print agreement with the index ground truth, and the disagreements by category."""
    problems: dict[str, list[str]] = defaultdict(list)
    title_ok = title_n = body_ok = body_n = date_ok = date_n = 0
    for path, article in articles.items():
        want = truth.get(path)
        if want is None:
            continue
        if (
            want.get("title")
            and article.title_source == "file"
            and not article.title_is_placeholder
        ):
            title_n += 1
            if norm(article.title) == norm(want["title"]):
                title_ok += 1
            else:
                why = title_difference(norm(article.title), norm(want["title"]))
                problems[f"title/{why}"].append(
                    f"{path}: {norm(article.title)!r} != {norm(want['title'])!r}"
                )
        elif want.get("title") and (article.title_source == "body" or article.title == GENERIC):
            body_n += 1
            if norm(article.title) == norm(want["title"]):
                body_ok += 1
            else:
                why = title_difference(norm(article.title), norm(want["title"]))
                problems[f"body-derived title/{why}"].append(
                    f"{path}: {article.title!r} != {want['title']!r}"
                )
        wanted_time = want.get("published_at") or want.get("published_date")
        if wanted_time:
            date_n += 1
            got = article.published_at
            if want.get("published_at"):
                ok = got is not None and got.strftime("%Y-%m-%dT%H:%MZ") == wanted_time[:16] + "Z"
            else:
                ok = got is not None and got.date().isoformat() == wanted_time
            if ok:
                date_ok += 1
            else:
                problems[f"date/{article.collection}"].append(f"{path}: {got} != {wanted_time}")
    gnews = [a for a in articles.values() if a.collection == "gnews"]
    with_url = sum(1 for a in gnews if a.source is not None and a.source.url)
    flagged = sum(1 for path in stubs if articles[path].is_empty)
    empty = Counter(a.collection for a in articles.values() if a.is_empty)
    print(f"title agreement (file has a real title): {pct(title_ok, title_n)}  (bar 99.5%)")
    print(f"body-derived title agreement (generic-title files): {pct(body_ok, body_n)}")
    print(f"published time agreement to the minute: {pct(date_ok, date_n)}  (bar 99.5%)")
    print(f"gnews source url coverage: {pct(with_url, len(gnews))}  (bar 100%)")
    print(
        f"empty stubs (`## ` + ThreadView/0) flagged: {pct(flagged, len(stubs))}"
        "  (2,831 in the whole repository; the dev archive holds nine tenths of its files)"
    )
    print(f"all articles flagged empty, by collection: {dict(empty)}")
    print("disagreements by category:")
    for category, items in sorted(problems.items(), key=lambda kv: -len(kv[1])):
        print(f"  {category}: {len(items)}")
        for item in items[:examples]:
            print(f"      {item[:220]}")


def main() -> None:
    """Parse the archive, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=SHARED / "ourhimalayas-txt-dev.tar.xz")
    parser.add_argument("--truth", type=Path, default=SHARED / "index-truth-dev.jsonl")
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    files = read_archive(args.archive)
    size = sum(len(raw) for _, raw in files)
    print(f"read {len(files)} files, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    articles, index_pages, crashes, wall, cpu = parse_all(files)
    pages = {path: len(records) for path, records in index_pages.items()}
    print(f"files: {len(files)}  articles: {len(articles)}  index pages: {len(pages)} {pages}")
    print(f"crashes: {len(crashes)}")
    for path, trace in crashes[: args.examples]:
        print(f"  {path}\n{trace}")
    print(
        f"parse: {wall:.1f} s wall, {cpu:.1f} s CPU; throughput {size / 1e6 / cpu:.2f} MB/s per"
        f" core of CPU time ({size / 1e6 / wall:.2f} MB/s wall, one process; the machine is shared)"
    )
    stubs = {path for path, raw in files if _STUB.match(raw)}
    truth = read_truth(args.truth)
    compare(articles, truth, args.examples, stubs)
    compare_index_pages(index_pages, truth)


if __name__ == "__main__":
    main()
