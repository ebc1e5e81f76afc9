"""Where a server's time goes, from py-spy's raw stacks (`py-spy record --format raw`)."""

import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*)\)$")
LIB_MARKERS = ("site-packages/", "dist-packages/", "/lib/python3")
# Innermost frames of a thread that only waits (the idle threads of the endpoint pool): py-spy
# samples them as active, so they are dropped here rather than counted as time spent.
WAITS = {"Condition.wait (threading.py)", "Event.wait (threading.py)", "Queue.get (queue.py)"}
# The CLI frames hold the whole event loop: as "app code" they would own every sample.
ENTRY = ("app/cli.py",)


def stacks(raw: Path) -> list[tuple[list[str], int]]:
    """Each stack (outermost frame first) with its sample count."""
    out = []
    for line in raw.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            out.append((frames.split(";"), int(count)))
    return out


def module(frame: str, tree: Path) -> str:
    """The frame's file as a module-like path: app/queries/list.py, sqlalchemy/orm/query.py."""
    match = FRAME.match(frame)
    file = match["file"] if match else frame
    for marker in (f"{tree}/", *LIB_MARKERS):
        if marker in file:
            file = file.split(marker, 1)[1]
            if marker == "/lib/python3":
                file = file.split("/", 1)[-1]  # drop the "11/" of lib/python3.11/
            break
    return file.lstrip("/")


def package(frame: str, tree: Path) -> str:
    """The top package of the frame's file (app code: two levels, e.g. app/queries)."""
    parts = module(frame, tree).split("/")
    if parts[0] == "app" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].removesuffix(".py")


def is_app(frame: str, tree: Path) -> bool:
    """True for a frame of the tree's own app/ code (not the CLI that starts the server)."""
    path = module(frame, tree)
    return path.startswith("app/") and path not in ENTRY


def short(frame: str, tree: Path) -> str:
    """``function (module path)``."""
    match = FRAME.match(frame)
    return f"{match['name']} ({module(frame, tree)})" if match else frame


def share(counter: Counter[str], total: int, top: int) -> list[str]:
    """The counter's biggest entries as ``  12.3%  name`` lines."""
    return [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]


def profile_summary(raw: Path, tree: Path, slots: int, top: int = 12) -> list[str]:
    """Lines that say where the sampled time went: by package, by function, by app call."""
    everything = stacks(raw)
    sampled = [(frames, n) for frames, n in everything if short(frames[-1], tree) not in WAITS]
    waiting = sum(n for _, n in everything) - sum(n for _, n in sampled)
    total = sum(n for _, n in sampled)
    if not total:
        return ["  no samples (was the server idle?)"]
    by_package: Counter[str] = Counter()
    by_self: Counter[str] = Counter()
    by_app: Counter[str] = Counter()
    handed_off: Counter[str] = Counter()
    for frames, n in sampled:
        by_package[package(frames[-1], tree)] += n
        by_self[short(frames[-1], tree)] += n
        for frame in {f for f in frames if is_app(f, tree)}:
            by_app[short(frame, tree)] += n
        # The deepest app frame and the package it called into: what the app's own time buys.
        deepest = max((i for i, f in enumerate(frames) if is_app(f, tree)), default=None)
        if deepest is None:
            handed_off[f"(outside app code) -> {package(frames[-1], tree)}"] += n
        else:
            callee = frames[deepest + 1] if deepest + 1 < len(frames) else None
            into = "itself" if callee is None else package(callee, tree)
            handed_off[f"{short(frames[deepest], tree)} -> {into}"] += n
    return [
        f"  {total} samples of working threads in {slots} sampling slots: on average "
        f"{total / slots:.2f} threads at work ({waiting} samples of waiting pool threads "
        "dropped; 'Runner.run' innermost = the event loop in C: sockets, HTTP parsing, waits)",
        "  self time by package (the innermost frame's):",
        *share(by_package, total, top),
        "  self time by function:",
        *share(by_self, total, top),
        "  time inside app functions (inclusive):",
        *share(by_app, total, top),
        "  the deepest app frame -> the package it was in when sampled:",
        *share(handed_off, total, top),
    ]
