"""Synthetic git repositories for the history tests, made with git commands in tmp dirs."""

import subprocess
from datetime import UTC, datetime
from pathlib import Path

# Commit times of the test histories: one a day from 2021-09-09 10:00 UTC.
START = int(datetime(2021, 9, 9, 10, 0, tzinfo=UTC).timestamp())
DAY = 86400


def at(n: int) -> datetime:
    """The commit time of the n-th commit (from 0) a ``Repo`` makes."""
    return datetime.fromtimestamp(START + n * DAY, UTC)


def gnews(title: str, link: str, body: str = "正文。") -> bytes:
    """A GNews article (slot or file) in the oldest format: header, title, meta line, body."""
    return (
        "###  [:house:返回首頁](https://github.com/ourhimalayas/txt)\r\n---\r\n\r\n\r\n"
        f"## {title}\r\n` 秘密翻译组` [轉載自GNews]({link})\r\n\r\n{body}\r\n"
    ).encode()


class Repo:
    """A working tree whose every ``commit`` is one commit, one day after the last."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.commits = 0
        root.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        """Runs git in the working tree with the next commit's times; its output."""
        when = f"@{START + self.commits * DAY} +0000"
        env = {
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@localhost",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@localhost",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
            "HOME": str(self.root),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, check=True
        )
        return done.stdout.decode()

    def commit(self, writes: dict[str, bytes | None]) -> str:
        """Writes (bytes) or deletes (None) these paths and commits; the commit id."""
        for path, data in writes.items():
            full = self.root / path
            if data is None:
                full.unlink()
                continue
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_bytes(data)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", f"commit {self.commits}")
        self.commits += 1
        return self.git("rev-parse", "HEAD").strip()

    def bundle(self, path: Path) -> Path:
        """The whole repository as a bundle file."""
        self.git("bundle", "create", str(path), "--all")
        return path

    def bare(self, path: Path) -> Path:
        """A bare clone of the repository."""
        self.git("clone", "--quiet", "--bare", str(self.root), str(path))
        return path
