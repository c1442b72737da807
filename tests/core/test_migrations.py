"""`hotline db upgrade` builds the schema the models describe, on SQLite and PostgreSQL, and reverts."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from hotline import db
from hotline.domain import AttemptResult
from hotline.models import Base, Call, CallbackAttempt, CallbackRequest, CallOutcome
from hotline.settings import DatabaseSettings

PRODUCT_TABLES = {
    "pbx", "live_snapshot", "call", "queue_entry", "agent", "agent_period", "ivr_visit", "caller_preference",
    "status_lookup", "citizen_request", "request_status_change", "callback_request", "recording",
    "transcription_job", "transcript", "transcript_segment", "transcript_word", "keyword_hit", "topic_score",
    "incident", "app_user", "api_token", "audit_log", "department", "department_member", "callback_attempt",
    "supervisor_alert", "login_failure_run", "login_failure",
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


def test_0007_reclassifies_stored_dial_back_legs_and_reverts(db_url: str) -> None:
    """Records an older listener stored as `ivr_only` that are certainly dial-back legs get their outcome;
    a citizen's IVR-only call keeps it; downgrade gives the older code values it can read."""
    engine = db.make_engine(DatabaseSettings(url=db_url))
    db.upgrade(engine, "0006")
    at = datetime(2026, 12, 2, 15, 13, tzinfo=UTC)
    factory = db.make_session_factory(engine)
    with factory() as session:
        citizen = Call(pbx="lab", linkedid="1.1", started_at=at, dialed_number="84950000000")
        spool_failed = Call(pbx="lab", linkedid="1.2", started_at=at, dialed_number="failed")
        answered_leg = Call(pbx="lab", linkedid="1.3", started_at=at, dialed_number="+79163330701")
        request = CallbackRequest(caller_number="+79163330701", requested_at=at)
        for call in (citizen, spool_failed, answered_leg):
            call.outcome = CallOutcome.IVR_ONLY
        session.add_all([citizen, spool_failed, answered_leg, request])
        session.flush()
        session.add(
            CallbackAttempt(
                callback_id=request.id,
                number=1,
                pbx="lab",
                action_id="dialer-1",
                channel="Local/+79163330701@hotline-callback-out/n",
                linkedid="1.3",
                call_id=answered_leg.id,
                result=AttemptResult.HUNG_UP,
                started_at=at,
            )
        )
        session.commit()

    def outcomes() -> dict[str, CallOutcome]:
        with factory() as session:
            return {c.linkedid: c.outcome for c in session.scalars(select(Call))}

    db.upgrade(engine)
    assert outcomes() == {
        "1.1": CallOutcome.IVR_ONLY,
        "1.2": CallOutcome.DIAL_BACK_FAILED,
        "1.3": CallOutcome.DIAL_BACK,
    }
    db.downgrade(engine, "0006")
    assert set(outcomes().values()) == {CallOutcome.IVR_ONLY}
    engine.dispose()
