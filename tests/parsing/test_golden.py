"""Golden files: each sample file parsed and compared with expected/<name>.json.

The inputs are read from the corpus sample folder at run time; regenerate the expected files
with ``.venv/bin/python tests/parsing/regenerate.py`` and read them before committing.
"""

import json
from pathlib import Path

import pytest

from parsing.golden import CASES, EXPECTED, as_json, parse_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_matches_expected(sample_dir: Path, name: str) -> None:
    expected = json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
    assert as_json(parse_case(sample_dir, name)) == expected


def test_every_expected_file_has_a_case() -> None:
    assert {p.stem for p in EXPECTED.glob("*.json")} == set(CASES)
