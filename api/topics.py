"""Topic names in the interface language, from the IVR catalogue (the one list of topics)."""

from __future__ import annotations

import logging
import threading

from hotline.catalogue import load_catalogue
from hotline.errors import HotlineError
from hotline.settings import Settings

log = logging.getLogger(__name__)
# Topics that are menu functions, not subjects of a citizen's request.
NOT_REQUEST_TOPICS = frozenset({"status", "operator"})


class TopicNames:
    """Loaded once per process on first use; an unreadable catalogue shows raw topic ids."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._names: dict[str, dict[str, str]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        with self._lock:
            if self._names is None:
                try:
                    catalogue = load_catalogue(self._settings.agi.catalogue_path)
                    self._names = {
                        topic.id: {str(lang): name for lang, name in topic.names.items()}
                        for topic in catalogue.topics
                    }
                except HotlineError as exc:
                    log.warning("topic catalogue unavailable; topic ids shown", extra={"error": str(exc)})
                    self._names = {}
            return self._names

    def names(self, language: str) -> dict[str, str]:
        return {
            topic: names.get(language) or names.get("ru") or topic for topic, names in self._load().items()
        }

    def request_topics(self, language: str) -> dict[str, str]:
        return {k: v for k, v in self.names(language).items() if k not in NOT_REQUEST_TOPICS}
