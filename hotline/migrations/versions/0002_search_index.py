"""full-text index over transcript segment lemmas

SQLite: an external-content FTS5 table kept in step by triggers (bm25 ranking).
PostgreSQL: a stored generated column lemmas_tsv = to_tsvector('simple', lemmas) with a GIN index. The lemmas are already dictionary forms
(pymorphy3, Russian and Ukrainian), so the 'simple' configuration is right: a Russian stemmer on
top would merge unrelated words and mangle Ukrainian.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# Written out in full (not formatted in) so the SQL reads as it runs.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE transcript_segment_fts USING fts5(
        lemmas, content='transcript_segment', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER transcript_segment_fts_ai AFTER INSERT ON transcript_segment BEGIN
        INSERT INTO transcript_segment_fts(rowid, lemmas) VALUES (new.id, new.lemmas);
    END""",
    """CREATE TRIGGER transcript_segment_fts_ad AFTER DELETE ON transcript_segment BEGIN
        INSERT INTO transcript_segment_fts(transcript_segment_fts, rowid, lemmas) VALUES ('delete', old.id, old.lemmas);
    END""",
    """CREATE TRIGGER transcript_segment_fts_au AFTER UPDATE OF lemmas ON transcript_segment BEGIN
        INSERT INTO transcript_segment_fts(transcript_segment_fts, rowid, lemmas) VALUES ('delete', old.id, old.lemmas);
        INSERT INTO transcript_segment_fts(rowid, lemmas) VALUES (new.id, new.lemmas);
    END""",
    # Segments written before this revision.
    "INSERT INTO transcript_segment_fts(transcript_segment_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS transcript_segment_fts_au",
    "DROP TRIGGER IF EXISTS transcript_segment_fts_ad",
    "DROP TRIGGER IF EXISTS transcript_segment_fts_ai",
    "DROP TABLE IF EXISTS transcript_segment_fts",
]
POSTGRES_UP = [
    # Stored, so ranking reads the vector instead of re-parsing every matching segment.
    "ALTER TABLE transcript_segment ADD COLUMN IF NOT EXISTS lemmas_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, lemmas)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_transcript_segment_lemmas_fts ON transcript_segment USING gin (lemmas_tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_transcript_segment_lemmas_fts",
    "ALTER TABLE transcript_segment DROP COLUMN IF EXISTS lemmas_tsv",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
