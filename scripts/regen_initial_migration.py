"""Regenerate hotline/migrations/versions/0001_initial_schema.py from hotline/models/.

Only while hotline is unreleased: once a database in the field has 0001, add new revisions instead.
Usage: python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from hotline.db import alembic_config, make_engine
from hotline.settings import DatabaseSettings

VERSIONS = Path(__file__).resolve().parent.parent / "hotline" / "migrations" / "versions"


def main() -> None:
    target = VERSIONS / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    # Later revisions (0002 search index) hang off 0001: park them while 0001 is regenerated.
    later = [p for p in VERSIONS.glob("0*.py") if p != target]
    with tempfile.TemporaryDirectory() as scratch:
        parked = Path(scratch) / "parked"
        parked.mkdir()
        for path in later:
            path.rename(parked / path.name)
        try:
            engine = make_engine(DatabaseSettings(url=f"sqlite:///{scratch}/regen.db"))
            command.revision(
                alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
            )
        finally:
            for path in later:
                (parked / path.name).rename(path)
    text = target.read_text()
    # Migrations speak plain SQLAlchemy types so they never depend on our code's evolution.
    text = text.replace("hotline.timeutil.UtcDateTime(timezone=True)", "sa.DateTime(timezone=True)")
    text = text.replace("import hotline.timeutil\n", "")
    text = re.sub(r"\n\n\n+", "\n\n\n", text)
    target.write_text(text)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
