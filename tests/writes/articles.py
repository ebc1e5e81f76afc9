"""Example articles and archives for the write tests, written here (no corpus text)."""

import io
import tarfile
import time
import zipfile
from collections.abc import Iterable


def article_text(n: int, *, title: str | None = None, body: str | None = None) -> str:
    """A GNews-style article (header, title, meta line, source link, body) numbered ``n``."""
    title = title or f"测试文章第{n}号：编辑上传的例子"
    body = body or f"这是第{n}篇测试文章的正文。\n\n它有两段，第二段提到美国和台湾。"
    return (
        "###  [:house:返回](README.md)\n---\n\n\n"
        f"## {title}\n"
        f"`3/4/2024 8:37 AM UTC 测试农场` [轉載自GNews](https://gnews.org/articles/{n})\n\n"
        f"{body}\n"
    )


def article_bytes(n: int, **kwargs: str) -> bytes:
    """``article_text`` as UTF-8."""
    return article_text(n, **kwargs).encode("utf-8")


def gnews_path(n: int) -> str:
    """The corpus path of GNews article ``n``."""
    return f"content/gnews/{n}.md"


def tar_archive(members: Iterable[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    """A tar archive (gz or xz) of regular files."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def tar_with_link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> bytes:
    """A tar.gz holding one good article and one link member ``name`` -> ``target``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        data = article_bytes(900)
        info = tarfile.TarInfo(gnews_path(900))
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(name)
        link.type = kind
        link.linkname = target
        tar.addfile(link)
    return out.getvalue()


def zip_archive(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A deflated zip archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def multipart_body(
    parts: Iterable[tuple[str, str | None, bytes]], boundary: str = "corpusTestBoundary"
) -> tuple[bytes, str]:
    """A multipart/form-data body from (field name, filename or None, data); and its type."""
    out = io.BytesIO()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
