"""Peak memory of the server while it takes a ~100 MB upload of 10,000 articles.

Builds a .tar.gz of synthetic articles (generated text, no corpus copies) in a temp folder,
starts ``corpus serve`` as a real process on a loopback port over a temp SQLite database,
uploads the archive with httpx as a stream, and prints the server's resident memory before
and at its peak (``VmHWM`` of /proc/<pid>/status, reset just before the upload through
``clear_refs``; a sampler of ``VmRSS`` checks it), and the ingest report's counts.

Bar (issue 6): peak growth <= 100 MB.

    .venv/bin/python bench/upload_memory.py [--articles 10000] [--archive-mb 100]
"""

import argparse
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

BAR_MB = 100
VENV_BIN = Path(sys.executable).parent
# About 3,000 common CJK code points: random text of them gzips to ~65% (3 bytes a char).
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
GZIP_RATIO = 0.65


def article(rng: random.Random, n: int, chars: int) -> bytes:
    """One GNews-style article of about ``chars`` characters of generated text."""
    paragraphs = []
    left = chars
    while left > 0:
        size = min(left, rng.randint(80, 400))
        paragraphs.append("".join(rng.choices(CJK, k=size)) + "。")
        left -= size
        if rng.random() < 0.1:
            paragraphs.append(f"### 第{len(paragraphs)}节")
    title = "".join(rng.choices(CJK, k=rng.randint(8, 24)))
    text = (
        "###  [:house:返回](README.md)\n---\n\n\n"
        f"## {title}\n"
        f"`3/4/2024 8:37 AM UTC 合成农场{n % 50}` [轉載自GNews](https://gnews.org/articles/{n})\n\n"
        + "\n\n".join(paragraphs)
        + "\n"
    )
    return text.encode("utf-8")


def build_archive(path: Path, count: int, archive_mb: float) -> None:
    """Writes ``count`` synthetic articles to a .tar.gz of about ``archive_mb`` MB."""
    rng = random.Random(6)
    chars = int(archive_mb * 1e6 / count / GZIP_RATIO / 3)
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        for i in range(count):
            n = 9_000_000 + i
            data = article(rng, n, chars)
            info = tarfile.TarInfo(f"content/gnews/{n}.md")
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def multipart_stream(archive: Path, boundary: str) -> tuple[Iterator[bytes], int]:
    """The multipart body of one file part, read from disk in 1 MiB pieces, and its length."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{archive.name}"\r\nContent-Type: application/gzip\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        yield head
        with archive.open("rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk
        yield tail

    return pieces(), len(head) + archive.stat().st_size + len(tail)


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every 50 ms and keeps the highest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            except (FileNotFoundError, KeyError):
                return
            time.sleep(0.05)


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    """Waits for /readyz to answer 200."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready in 60 s")


def main() -> None:
    """Runs the benchmark and prints its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--archive-mb", type=float, default=100.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="corpus-bench-upload-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        archive = work / "articles.tar.gz"
        started = time.perf_counter()
        build_archive(archive, args.articles, args.archive_mb)
        print(
            f"archive: {archive.stat().st_size / 1e6:.1f} MB, {args.articles} articles, "
            f"built in {time.perf_counter() - started:.1f} s"
        )

        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "CORPUS_UPLOAD_TEMP_DIR": str(work),
            "CORPUS_LOG_LEVEL": "WARNING",
            "CORPUS_RATE_LIMITS_ENABLED": "false",
        }
        created = subprocess.run(
            [str(VENV_BIN / "corpus"), "token", "create", "--name", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = created.stdout.strip().splitlines()[0]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(VENV_BIN / "corpus"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_ready(base, server)
        httpx.get(f"{base}/articles", timeout=10)  # warm the routes before the baseline
        baseline_kb = status_kb(server.pid, "VmRSS")
        # Reset the peak so VmHWM measures this upload alone, not the start-up.
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        sampler = RssSampler(server.pid)
        sampler.start()

        boundary = "benchBoundary6"
        body, length = multipart_stream(archive, boundary)
        started = time.perf_counter()
        response = httpx.post(
            f"{base}/articles",
            content=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(length),
            },
            timeout=httpx.Timeout(1800, connect=10),
        )
        upload_s = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        hwm_kb = status_kb(server.pid, "VmHWM")  # read now: later requests raise it too
        peak_kb = max(hwm_kb, sampler.peak_kb)
        if response.status_code != 200:
            raise SystemExit(f"upload answered {response.status_code}: {response.text[:500]}")
        counts = response.json()["counts"]
        digest = httpx.get(f"{base}/changes/digest", timeout=30).json()

        growth_mb = (peak_kb - baseline_kb) / 1024
        print(f"upload: {length / 1e6:.1f} MB body, answered 200 in {upload_s:.1f} s")
        print(f"report counts: {json.dumps(counts)}")
        print(f"stored: {digest['count']} articles, last_seq {digest['last_seq']}")
        print(
            f"server RSS: baseline {baseline_kb / 1024:.1f} MB, peak {peak_kb / 1024:.1f} MB "
            f"(VmHWM {hwm_kb / 1024:.1f} MB, sampled VmRSS "
            f"{sampler.peak_kb / 1024:.1f} MB)"
        )
        verdict = "PASS" if growth_mb <= BAR_MB else "FAIL"
        print(f"peak growth: {growth_mb:.1f} MB (bar <= {BAR_MB} MB): {verdict}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
