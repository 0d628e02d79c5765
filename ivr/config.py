"""Configuration: embedded defaults, then the environment, then a test dict.

Modelled on Starlette's Config: local use needs nothing set; production refuses
to start and names every missing secret.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Variables production must set explicitly; the embedded defaults are for local use only.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")

#: Default auth token shared by Peerline and its phone simulator when nothing is configured.
DEV_AUTH_TOKEN = "dev-simulator-auth-token"
DEV_ACCOUNT_SID = "AC" + "0" * 32


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run Peerline safely."""


def _defaults(var_dir: Path) -> dict:
    return {
        "PEERLINE_ENV": "development",
        "SECRET_KEY": "dev-only-secret-key-change-me",
        "CALLER_HASH_KEY": None,  # derived from SECRET_KEY unless set
        "DATABASE_URL": f"sqlite:///{var_dir / 'peerline.db'}",
        "REDIS_URL": None,  # None: jobs run inline, in-process
        "RQ_QUEUE": "peerline",
        "TWILIO_ACCOUNT_SID": DEV_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN,
        "TWILIO_API_BASE": None,  # e.g. http://127.0.0.1:5050 for a simulator over HTTP
        "TWILIO_NUMBER": "+15005550006",
        "TWILIO_TIMEOUT": 10,  # seconds for one REST call to Twilio
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",  # the address ./dev up and `peerline call --url` use
        "CRISIS_NUMBER": "",
        "CRISIS_SPOKEN_NUMBER": "988",
        "ONCALL_NUMBER": "",
        "STORAGE_DIR": str(var_dir / "storage"),
        "SHARE_RETENTION_DAYS": 90,
        "MAX_SHARE_SECONDS": 180,
        "MAX_REPLY_SECONDS": 90,  # a reply to a story is shorter than a share
        "SHARE_MAX_ATTEMPTS": 4,  # processing attempts before a share shows "processing failed"
        "SHARE_RETRY_INTERVALS": "30,120,600",  # seconds between them (rq Retry backoff)
        "SWEEP_INTERVAL_S": 300,
        "FLOWS_DIR": str(ROOT / "flows"),
        "AUDIO_DIR": str(ROOT / "audio"),
        "DEFAULT_LANGUAGE": "en",
        "GATHER_TIMEOUT": 6,
        "LOG_LEVEL": "INFO",
        # Bodies: Twilio's webhooks and staff forms are a few kB; anything bigger is refused (413).
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 200,
        # A hung database: connecting gives up after 3 s, one round trip in a web request after 5 s.
        "DB_CONNECT_TIMEOUT_S": 3,
        "DB_STATEMENT_TIMEOUT_S": 5,
        "STORAGE_URL": None,  # s3://bucket/prefix for shared object storage; unset: the directory STORAGE_DIR
        "STORAGE_TIMEOUT": 10,  # seconds for one object-store call
        "STORAGE_CHECK_AT_START": "1",
        "SIMULATOR_URL": "http://127.0.0.1:5050",  # where `peerline call --url` finds `peerline simulator`  # probe the store at start-up (production refuses to start if it fails)
    }


_INT_KEYS = {"SHARE_RETENTION_DAYS", "MAX_SHARE_SECONDS", "MAX_REPLY_SECONDS", "GATHER_TIMEOUT", "TWILIO_TIMEOUT",
             "SHARE_MAX_ATTEMPTS", "SWEEP_INTERVAL_S", "MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE",
             "MAX_FORM_PARTS", "DB_CONNECT_TIMEOUT_S", "DB_STATEMENT_TIMEOUT_S"}


def load_config(test_config: dict | None = None, environ: os._Environ | dict | None = None) -> dict:
    """Return the merged configuration (defaults, environment, test dict); validate it."""
    environ = os.environ if environ is None else environ
    var_dir = Path(environ.get("PEERLINE_VAR_DIR", ROOT / "var"))
    config = _defaults(var_dir)
    for key in config:
        if key in environ and environ[key] != "":
            value = environ[key]
            config[key] = int(value) if key in _INT_KEYS else value
    for key, value in environ.items():
        if key.startswith("VOSK_MODEL_"):
            config[key] = value
    if test_config:
        config.update(test_config)
    _check(config, environ, test_config or {})
    if not config["CALLER_HASH_KEY"]:
        config["CALLER_HASH_KEY"] = hashlib.sha256(
            b"peerline-caller-hash:" + config["SECRET_KEY"].encode()
        ).hexdigest()
    config["PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"].rstrip("/")
    config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(config["DATABASE_URL"])
    return config


def _check(config: dict, environ, test_config: dict) -> None:
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
