"""Reading sources safely: paths relative to the corpus root, links and escapes refused, limits."""

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from app.config import Settings
from app.ingest import SourceError, UploadedFile, open_source
from app.ingest.sources import corpus_path, root_of
from ingest.corpus_kit import EXAMPLES, add_tar_link, member_bytes, write_tar, write_zip

SETTINGS = Settings(database_url="sqlite://")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("content/gnews/1.md", "content/gnews/1.md"),
        ("./content/gnews/1.md", "content/gnews/1.md"),
        ("txt-main/content/gnews/1.md", "content/gnews/1.md"),
        ("README.md", "README.md"),
        ("content\\gnews\\1.md", "content/gnews/1.md"),
    ],
)
def test_member_names_become_corpus_paths(name: str, expected: str) -> None:
    assert corpus_path(name) == (expected, None)


@pytest.mark.parametrize(
    "name",
    ["../evil.md", "content/../../evil.md", "/etc/passwd.md", "C:/evil.md", "a\\..\\..\\b.md", ""],
)
def test_names_that_escape_the_root_are_refused(name: str) -> None:
    path, problem = corpus_path(name)
    assert path is None and problem


def test_a_folder_inside_content_keeps_paths_from_the_root(sample_dir: Path) -> None:
    assert root_of(sample_dir) == sample_dir.resolve()
    assert root_of(sample_dir / "content" / "gnews") == sample_dir.resolve()
    assert root_of(EXAMPLES / "content" / "gnews" / "9000101.md") == EXAMPLES.resolve()


def test_folder_walk_gives_content_paths() -> None:
    files = list(open_source(EXAMPLES / "content" / "gnews", SETTINGS))
    assert {f.path for f in files} == {
        "content/gnews/9000101.md",
        "content/gnews/9000102.md",
        "content/gnews/1900103.md",
        "content/gnews/1900104.md",
        "content/gnews/README.md",
    }
    assert all(f.data and f.problem is None for f in files)


def test_tar_members_that_are_links_or_escape_are_refused(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "a.tar",
        [*member_bytes(), ("../evil.md", b"# x\n"), ("/abs/evil.md", b"# x\n")],
        "w",
    )
    add_tar_link(archive, "content/gnews/link.md", "/etc/passwd")
    add_tar_link(archive, "content/gnews/hard.md", "content/gnews/9000101.md", tarfile.LNKTYPE)
    files = {f.path: f for f in open_source(archive, SETTINGS)}
    refused = {path: f.problem for path, f in files.items() if f.problem}
    assert set(refused) == {
        "../evil.md",
        "/abs/evil.md",
        "content/gnews/link.md",
        "content/gnews/hard.md",
    }
    assert "escapes" in refused["../evil.md"] and "absolute" in refused["/abs/evil.md"]
    assert "link" in refused["content/gnews/link.md"] and "link" in refused["content/gnews/hard.md"]
    assert len(files) - len(refused) == len(member_bytes())


def test_zip_symlink_member_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", member_bytes())
    with zipfile.ZipFile(archive, "a") as z:
        info = zipfile.ZipInfo("content/gnews/link.md")
        info.external_attr = 0o120777 << 16  # S_IFLNK
        z.writestr(info, "/etc/passwd")
    problems = {f.path: f.problem for f in open_source(archive, SETTINGS) if f.problem}
    assert list(problems) == ["content/gnews/link.md"] and "link" in str(
        problems["content/gnews/link.md"]
    )


def test_a_member_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = ("content/gnews/big.md", b"## big\n" + b"x" * 5000)
    archive = write_tar(tmp_path / "a.tar.gz", [*member_bytes(), big], "w:gz")
    small = Settings(database_url="sqlite://", max_file_bytes=4000)
    files = {f.path: f for f in open_source(archive, small)}
    assert files["content/gnews/big.md"].data is None
    assert "too large" in str(files["content/gnews/big.md"].problem)


def test_a_zip_member_larger_than_its_header_says_is_cut_off(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", [("content/gnews/big.md", b"y" * 50_000)])
    small = Settings(database_url="sqlite://", max_file_bytes=10_000)
    raw = bytearray(archive.read_bytes())
    # Make the central directory claim a small size, as a zip bomb would.
    with zipfile.ZipFile(archive) as z:
        info = z.infolist()[0]
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    files = list(open_source(archive, small))
    assert info.file_size == 50_000
    assert [f.data for f in files] == [None]
    assert "too large" in str(files[0].problem) or "unreadable" in str(files[0].problem)


def test_member_count_limit_stops_reading_and_marks_the_source_incomplete(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "a.tar.xz", member_bytes(), "w:xz")
    few = Settings(database_url="sqlite://", max_archive_members=3)
    reader = open_source(archive, few)
    assert len(list(reader)) == 3
    assert reader.state.complete is False
    assert "more than 3 files" in str(reader.limit_problem())


def test_unpacked_bytes_limit_stops_reading(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", member_bytes())
    few = Settings(database_url="sqlite://", max_archive_uncompressed_bytes=2000)
    reader = open_source(archive, few)
    files = list(reader)
    assert sum(len(f.data or b"") for f in files) <= 2000
    assert reader.state.complete is False and reader.limit_problem()


def test_other_suffixes_are_skipped_not_failed(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "a.zip", [*member_bytes(), ("content/gnews/photo.png", b"\x89PNG")]
    )
    reader = open_source(archive, SETTINGS)
    paths = [f.path for f in reader]
    assert "content/gnews/photo.png" not in paths and reader.state.skipped == 1


def test_an_uploaded_file_is_read_from_its_stream() -> None:
    data = (EXAMPLES / "content" / "gnews" / "9000101.md").read_bytes()
    files = list(open_source(UploadedFile("content/gnews/9000101.md", io.BytesIO(data)), SETTINGS))
    assert [(f.path, f.data) for f in files] == [("content/gnews/9000101.md", data)]


def test_a_corrupt_archive_is_a_source_error(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "a.tar.gz", member_bytes(), "w:gz")
    archive.write_bytes(archive.read_bytes()[:2000])
    reader = open_source(archive, SETTINGS)
    with pytest.raises(SourceError):
        list(reader)
    assert reader.state.complete is False


def test_a_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        list(open_source(tmp_path / "nothing-here", SETTINGS))
