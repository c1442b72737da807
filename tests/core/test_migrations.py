"""`hotline db upgrade` builds the schema the models describe, on SQLite and PostgreSQL, and reverts."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from hotline import db
from hotline.models import Base
from hotline.settings import DatabaseSettings

PRODUCT_TABLES = {
    "pbx", "live_snapshot", "call", "queue_entry", "agent", "agent_period", "ivr_visit", "caller_preference",
    "status_lookup", "citizen_request", "request_status_change", "callback_request", "recording",
    "transcription_job", "transcript", "transcript_segment", "transcript_word", "keyword_hit", "topic_score",
    "incident", "app_user", "api_token", "audit_log", "department", "department_member", "callback_attempt",
    "supervisor_alert",
}  # fmt: skip


def test_upgrade_builds_every_product_table_and_matches_the_models(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert tables >= PRODUCT_TABLES
    with engine.connect() as connection:
        drift = compare_metadata(
            MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": db.include_object}
            ),
            Base.metadata,
        )
    assert drift == [], f"models and migrations differ: {drift}"
    assert db.current_revision(engine) == db.head_revision(engine)


def test_downgrade_to_base_removes_everything_and_upgrade_is_repeatable(db_url: str) -> None:
    engine = db.make_engine(DatabaseSettings(url=db_url))
    db.upgrade(engine)
    db.upgrade(engine)  # a second upgrade is a no-op, not an error
    db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= PRODUCT_TABLES
    engine.dispose()
