"""``corpus ingest PATH [--prune] [--report FILE]`` from the command line."""

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from ingest.corpus_kit import copy_examples


def test_report_file_has_one_json_line_per_failed_file(env_database: str, tmp_path: Path) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    (corpus / "content" / "gnews" / "bad.md").write_bytes(b"\x00\x01binary")
    (corpus / "content" / "gnews" / "empty.md").write_bytes(b"")
    report = tmp_path / "failed.jsonl"

    result = CliRunner().invoke(
        cli, ["ingest", str(corpus), "--report", str(report), "--workers", "0"]
    )

    assert result.exit_code == 0, result.output
    assert "added 13, updated 0, unchanged 0, deleted 0, failed 2" in result.output
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert sorted(lines, key=lambda d: d["path"]) == [
        {"path": "content/gnews/bad.md", "reason": "binary file (NUL bytes)"},
        {"path": "content/gnews/empty.md", "reason": "empty file"},
    ]


def test_prune_from_the_command_line(env_database: str, tmp_path: Path) -> None:
    corpus = copy_examples(tmp_path / "corpus")
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(corpus), "--workers", "0"]).exit_code == 0
    (corpus / "content" / "about.md").unlink()

    result = runner.invoke(cli, ["ingest", str(corpus), "--prune", "--workers", "0"])

    assert result.exit_code == 0, result.output
    assert "added 0, updated 0, unchanged 12, deleted 1, failed 0" in result.output
    empty_report = tmp_path / "none.jsonl"
    again = runner.invoke(
        cli, ["ingest", str(corpus), "--report", str(empty_report), "--workers", "0"]
    )
    assert again.exit_code == 0 and empty_report.read_text() == ""


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "missing")])
    assert result.exit_code == 2
