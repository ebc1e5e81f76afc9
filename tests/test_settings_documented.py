"""Every setting of app/config.py is documented in the README's configuration table."""

import re
from pathlib import Path

from app.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def env_name(field: str) -> str:
    """The environment variable a setting is read from."""
    aliases = {"database_url": "DATABASE_URL", "database_read_url": "DATABASE_READ_URL"}
    return aliases.get(field, f"CORPUS_{field.upper()}")


def documented() -> set[str]:
    """Variables named in the first column of the README's tables."""
    text = README.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.MULTILINE))


def test_every_setting_is_in_the_readme() -> None:
    missing = {env_name(f) for f in Settings.model_fields} - documented()
    assert missing == set(), f"add these to the README's configuration table: {sorted(missing)}"


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    stale = documented() - {env_name(f) for f in Settings.model_fields}
    assert stale == set(), f"settings the README names but app/config.py lacks: {sorted(stale)}"
