"""Rewrite the golden files: .venv/bin/python tests/parsing/regenerate.py [NAME ...].

Read every rewritten file before committing it: the expected output is checked by eye.
"""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

from conftest import SAMPLE  # noqa: E402

from parsing.golden import CASES, EXPECTED, as_json, dump, parse_case  # noqa: E402


def main(names: list[str]) -> None:
    """Write expected/<name>.json for the given cases (all when none are given)."""
    EXPECTED.mkdir(exist_ok=True)
    for name in names or list(CASES):
        (EXPECTED / f"{name}.json").write_text(dump(as_json(parse_case(SAMPLE, name))), "utf-8")
        print(f"wrote {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
