"""The Vosk models of this worker process: resolved per call language, loaded once, kept.

Resolution and loading are workers.transcribe's (``VOSK_MODEL_<LANG>``, else an installed
``vosk_model_<lang>`` package); this module adds the per-process cache that `python -m workers`
fills before rq forks, so every work horse shares the models' pages instead of reloading them.
"""
from __future__ import annotations

import logging
import pkgutil
import threading
from typing import Mapping

from workers.transcribe import ModelNotFoundError, load_model, model_path_for

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[str, object] = {}


def model_path(config: Mapping, language: str) -> str | None:
    """The model directory for a call language, or None when there is none."""
    try:
        return model_path_for(language, env=config)
    except (ModelNotFoundError, ValueError):
        return None


def installed_packages() -> set[str]:
    """Languages of the installed ``vosk_model_<lang>`` packages (found without importing them)."""
    prefix = "vosk_model_"
    return {m.name[len(prefix):] for m in pkgutil.iter_modules() if m.name.startswith(prefix)}


def languages(config: Mapping) -> list[str]:
    """Languages with a model: configured ``VOSK_MODEL_*`` ones, installed packages, the default language."""
    wanted = {key[len("VOSK_MODEL_"):].lower() for key in config if key.startswith("VOSK_MODEL_") and config[key]}
    wanted |= installed_packages()
    wanted.add(config["DEFAULT_LANGUAGE"])
    return sorted(lang for lang in wanted if model_path(config, lang) is not None)


def get(config: Mapping, language: str):
    """The loaded ``vosk.Model`` for a language; raise ModelNotFoundError when there is none."""
    path = model_path_for(language, env=config)  # raises with a readable reason
    with _lock:
        model = _loaded.get(path)
        if model is None:
            model = load_model(path)
            _loaded[path] = model
            log.info("loaded Vosk model for %s from %s", language, path)
        return model


def preload(config: Mapping, extra: tuple[str, ...] = ()) -> list[str]:
    """Load every available model now (before forking); return the languages that have one."""
    loaded = []
    for language in sorted(set(languages(config)) | set(extra)):
        try:
            get(config, language)
            loaded.append(language)
        except (ModelNotFoundError, ValueError) as exc:
            log.warning("%s: its shares will go to needs-listening", exc)
    return loaded


def loaded_count() -> int:
    """How many distinct models this process holds."""
    return len(_loaded)
