"""Settings come from env (HOTLINE_*, nested with __) and TOML, refuse default secrets, and mask them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.errors import ConfigError
from hotline.settings import Settings, load_settings, masked

SECRET = "s3cr3t-session-key-for-tests-0123456789"


def test_defaults_use_an_embedded_sqlite_file_and_refuse_the_default_session_secret(
    settings_factory: type[Settings],
) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_API__SESSION_SECRET"):
        load_settings().require_secrets("api")
    settings = load_settings(demo=True)
    assert settings.database.url == "sqlite:///hotline.db"
    assert settings.agi.port == 4573


def test_environment_sets_nested_sections_and_the_pbx_list(
    settings_factory: type[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_API__SESSION_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_API__PORT", "8081")
    monkeypatch.setenv(
        "HOTLINE_AMI__PBXES",
        json.dumps(
            [{"name": "city", "host": "10.0.0.5", "secret": "amipass"}, {"name": "covid", "secret": "x"}]
        ),
    )
    settings = load_settings()
    assert settings.api.port == 8081
    assert [pbx.name for pbx in settings.ami.pbxes] == ["city", "covid"]
    assert settings.ami.pbxes[0].host == "10.0.0.5"
    assert settings.ami.pbxes[0].secret.get_secret_value() == "amipass"


def test_toml_file_is_read_and_environment_overrides_it(
    settings_factory: type[Settings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text(
        f"""
timezone = "Europe/Kyiv"
[api]
session_secret = "{SECRET}"
port = 9000
[database]
url = "postgresql+psycopg://hotline:dbpass@db.example/hotline"
[[ami.pbxes]]
name = "city"
secret = "amipass"
[transcription.models]
ru = "/srv/models/vosk-model-small-ru-0.22"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOTLINE_API__PORT", "9001")
    settings = load_settings(config)
    assert settings.timezone == "Europe/Kyiv"
    assert settings.api.port == 9001, "environment must win over the file"
    assert settings.ami.pbxes[0].name == "city"
    assert str(settings.transcription.models["ru"]).endswith("vosk-model-small-ru-0.22")

    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    assert load_settings().timezone == "Europe/Kyiv"


def test_default_pbx_secret_is_refused_with_the_variable_named(
    settings_factory: type[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_API__SESSION_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_AMI__PBXES", json.dumps([{"name": "city"}]))
    with pytest.raises(ConfigError, match=r"ami\.pbxes\[0\]\.secret.*'city'"):
        load_settings().require_secrets("ami")
    # the demo replays a capture against a local fake PBX, so defaults are fine there
    assert load_settings(demo=True).require_secrets("ami").ami.pbxes[0].name == "city"


def test_bad_values_name_the_file_and_the_field(settings_factory: type[Settings], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('demo = true\n[agi]\nport = "not-a-port"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(config) in str(caught.value)
    assert "agi.port" in str(caught.value)

    broken = tmp_path / "broken.toml"
    broken.write_text("[api\nport = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: invalid TOML"):
        load_settings(broken)
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_settings(demo=True, timezone="Mars/Olympus")


def test_masked_view_hides_every_secret_and_url_password(settings_factory: type[Settings]) -> None:
    settings = load_settings(
        api={"session_secret": SECRET, "redis_url": "redis://:redispass@127.0.0.1:6379/0"},
        database={"url": "postgresql+psycopg://hotline:dbpass@db/hotline"},
        ami={"pbxes": [{"name": "city", "secret": "amipass"}]},
        broker={"url": "amqp://guest:guestpass@mq//"},
    )
    text = json.dumps(masked(settings))
    for secret in (SECRET, "dbpass", "amipass", "redispass", "guestpass"):
        assert secret not in text
    view = masked(settings)
    assert view["database"]["url"] == "postgresql+psycopg://hotline:**********@db/hotline"
    assert view["ami"]["pbxes"][0]["name"] == "city"


def test_each_process_checks_only_the_secrets_it_uses(settings_factory: type[Settings]) -> None:
    settings = load_settings(ami={"pbxes": [{"name": "city"}]})  # both secrets at their default
    assert settings.require_secrets() is settings  # db upgrade, ami replay, reports: no secret used
    with pytest.raises(ConfigError, match="HOTLINE_API__SESSION_SECRET"):
        settings.require_secrets("api")
    with pytest.raises(ConfigError, match=r"ami.pbxes\[0\].secret for PBX 'city'"):
        settings.require_secrets("ami")
    ready = load_settings(api={"session_secret": SECRET}, ami={"pbxes": [{"name": "city", "secret": "x"}]})
    assert ready.require_secrets("api", "ami") is ready


def test_kpi_thresholds_live_in_reports_and_the_old_names_still_count_with_a_warning(
    settings_factory: type[Settings], caplog: pytest.LogCaptureFixture
) -> None:
    fresh = load_settings(demo=True, reports={"service_level_s": 30, "service_level_by_queue": {"q": 10}})
    assert (fresh.service_level_for("q"), fresh.service_level_for("other")) == (10, 30)
    assert not caplog.records
    old = load_settings(demo=True, ami={"service_level_s": 15, "short_abandon_s": 3})
    assert (old.reports.service_level_s, old.reports.short_abandon_s) == (15, 3)
    assert old.service_level_for("any") == 15
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "ami.service_level_s is deprecated; set reports.service_level_s instead",
        "ami.short_abandon_s is deprecated; set reports.short_abandon_s instead",
    ]
    both = load_settings(demo=True, ami={"service_level_s": 15}, reports={"service_level_s": 25})
    assert both.reports.service_level_s == 25  # the new name wins


def test_log_level_is_gone(settings_factory: type[Settings]) -> None:
    with pytest.raises(ConfigError, match="log_level"):
        load_settings(demo=True, log_level="INFO")
