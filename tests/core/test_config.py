"""Configuration: embedded defaults, environment, and production refusing to start without secrets."""
import pytest

from ivr.config import ConfigError, load_config


def test_embedded_defaults_need_nothing():
    config = load_config(environ={"PEERLINE_VAR_DIR": "/tmp/peerline-x"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/peerline-x/peerline.db"
    assert config["REDIS_URL"] is None


def test_environment_overrides_defaults():
    config = load_config(environ={"DATABASE_URL": "postgres://u@h/db", "REDIS_URL": "redis://h:6379/2",
                                  "GATHER_TIMEOUT": "9"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["REDIS_URL"] == "redis://h:6379/2"
    assert config["GATHER_TIMEOUT"] == 9


def test_production_names_every_missing_secret():
    with pytest.raises(ConfigError) as err:
        load_config(environ={"PEERLINE_ENV": "production", "SECRET_KEY": "s"})
    assert "TWILIO_AUTH_TOKEN" in str(err.value) and "PUBLIC_BASE_URL" in str(err.value)
    assert "SECRET_KEY" not in str(err.value)


def test_production_starts_with_secrets():
    config = load_config(environ={"PEERLINE_ENV": "production", "SECRET_KEY": "s",
                                  "TWILIO_AUTH_TOKEN": "t", "PUBLIC_BASE_URL": "https://x.org/"})
    assert config["PUBLIC_BASE_URL"] == "https://x.org"


def test_caller_hash_key_is_derived_not_the_secret():
    config = load_config(environ={"SECRET_KEY": "abc"})
    assert config["CALLER_HASH_KEY"] and config["CALLER_HASH_KEY"] != "abc"
