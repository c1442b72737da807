"""call fields that search filters on, copied onto transcript segments

Search filters segments by their call (start time, queue, topic, agent, PBX). Joining
transcript → recording → call for every match of a common word made filtered searches slow, so each
segment carries a copy of the effective values (the same coalesces search used to apply):
call_started_at = coalesce(call.started_at, recording.created_at), call_topic =
coalesce(transcript.topic, call.ivr_topic), call_pbx = coalesce(recording.pbx, call.pbx), and the
call's queue and agent.

transcription/store.py writes them with the segments. Triggers on call, recording and transcript
rewrite them when those rows change later: the AMI listener upserts the call record while the call
goes on, a recording imported before its call was known gets `call_id` later (transcription/jobs.py),
and a deleted call sets `recording.call_id` to NULL. Triggers, not application code, because several
processes write those tables. They fire only when one of the copied values really changes, so the
listener's frequent upserts of live calls (which have no transcript yet) cost one comparison.

PostgreSQL: the GIN index of 0002 is rebuilt with the filter columns next to the lemmas (btree_gin).
SQLite needs 3.33 or later (UPDATE ... FROM).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "call_started_at": sa.DateTime(timezone=True),
    "call_queue": sa.String(length=64),
    "call_topic": sa.String(length=64),
    "call_agent": sa.String(length=255),
    "call_pbx": sa.String(length=64),
}

# The effective values of every transcript, keyed by transcript id (`{where}` narrows it).
FIELDS = """SELECT t.id AS transcript_id,
        coalesce(c.started_at, r.created_at) AS started_at, c.queue AS queue,
        coalesce(t.topic, c.ivr_topic) AS topic, c.agent AS agent, coalesce(r.pbx, c.pbx) AS pbx
    FROM transcript t JOIN recording r ON r.id = t.recording_id LEFT JOIN call c ON c.id = r.call_id
    WHERE {where}"""

# Rows already right are left alone (no rewrite, no index churn).
CHANGED = " OR ".join(
    f"transcript_segment.call_{name} IS DISTINCT FROM f.{name}"
    for name in ("started_at", "queue", "topic", "agent", "pbx")
)

# UPDATE ... FROM: SQLite 3.33+ and PostgreSQL (no alias for the target: SQLite triggers refuse one).
REFRESH = """UPDATE transcript_segment SET call_started_at = f.started_at, call_queue = f.queue,
        call_topic = f.topic, call_agent = f.agent, call_pbx = f.pbx
    FROM ({fields}) AS f
    WHERE transcript_segment.transcript_id = f.transcript_id AND ({changed})"""


def _refresh(where: str, *, sqlite: bool) -> str:
    changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT") if sqlite else CHANGED
    return REFRESH.format(fields=FIELDS.format(where=where), changed=changed)


# What changes a copied value, per table (compared old against new in the trigger condition).
WATCHED = {
    "call": ("started_at", "queue", "agent", "pbx", "ivr_topic"),
    "recording": ("call_id", "pbx", "created_at"),
    "transcript": ("topic", "recording_id"),
}
# Which transcripts a changed row touches.
SCOPE = {
    "call": "r.call_id = {row}.id",
    "recording": "r.id = {row}.id",
    "transcript": "t.id = {row}.id",
}


def _sqlite_up() -> list[str]:
    statements = []
    for table, columns in WATCHED.items():
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
        refresh = _refresh(SCOPE[table].format(row="new"), sqlite=True)
        statements.append(
            f"""CREATE TRIGGER {table}_search_fields_au AFTER UPDATE OF {", ".join(columns)} ON {table}
    WHEN {changed} BEGIN
    {refresh};
END"""
        )
    return statements


def _postgres_up() -> list[str]:
    branches = "\n    ".join(
        f"{'IF' if n == 0 else 'ELSIF'} TG_TABLE_NAME = '{table}' THEN\n        "
        + _refresh(SCOPE[table].format(row="NEW"), sqlite=False)
        + ";"
        for n, table in enumerate(WATCHED)
    )
    statements = [
        f"""CREATE OR REPLACE FUNCTION transcript_segment_search_fields() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {branches}
    END IF;
    RETURN NULL;
END $$"""
    ]
    for table, columns in WATCHED.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        statements.append(
            f"CREATE TRIGGER {table}_search_fields_au AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION transcript_segment_search_fields()"
        )
    return statements


# PostgreSQL: the GIN index of 0002 also holds the filter columns (btree_gin), so a filtered search
# intersects posting lists inside one index and reads only the rows that pass every condition; a
# separate B-tree per filter made the planner walk thousands of rows and test each one's tsvector.
FILTERED_GIN = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "DROP INDEX IF EXISTS ix_transcript_segment_lemmas_fts",
    "CREATE INDEX ix_transcript_segment_lemmas_fts ON transcript_segment USING gin "
    "(lemmas_tsv, call_started_at, call_queue, call_topic, call_agent, call_pbx, speaker)",
]
PLAIN_GIN = [
    "DROP INDEX IF EXISTS ix_transcript_segment_lemmas_fts",
    "CREATE INDEX ix_transcript_segment_lemmas_fts ON transcript_segment USING gin (lemmas_tsv)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Plain ALTER TABLE, never a batch copy: copying the table would drop the FTS triggers of 0002.
    for name, type_ in COLUMNS.items():
        op.add_column("transcript_segment", sa.Column(name, type_, nullable=True))
    if dialect == "postgresql":  # rebuilt below with the filter columns; cheaper than updating it
        op.execute(FILTERED_GIN[1])
    # Segments stored before this revision.
    op.execute(_refresh("true", sqlite=dialect == "sqlite"))
    if dialect == "sqlite":
        statements = _sqlite_up()
    elif dialect == "postgresql":
        statements = FILTERED_GIN + _postgres_up()
    else:
        statements = []
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in WATCHED:
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_search_fields_au"
            + (f" ON {table}" if dialect != "sqlite" else "")
        )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS transcript_segment_search_fields()")
        # btree_gin stays: other objects may use it, and it costs nothing unused.
        for statement in PLAIN_GIN:
            op.execute(statement)
    for name in reversed(COLUMNS):
        op.drop_column("transcript_segment", name)
