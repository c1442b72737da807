"""The interface's message catalogue (Russian first, English); pages pick the user's language."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGUAGES = ("ru", "uk", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app": {"ru": "Горячая линия", "en": "Hotline"},
    "login": {"ru": "Вход", "en": "Sign in"},
    "logout": {"ru": "Выйти", "en": "Sign out"},
    "username": {"ru": "Имя пользователя", "en": "User name"},
    "password": {"ru": "Пароль", "en": "Password"},
    "login_failed": {"ru": "Неверное имя или пароль", "en": "Wrong user name or password"},
    "login_limited": {
        "ru": "Слишком много попыток входа, повторите через минуту",
        "en": "Too many sign-in attempts, try again in a minute",
    },
    "login_required": {"ru": "Войдите, чтобы продолжить", "en": "Sign in to continue"},
    "forbidden": {"ru": "Недостаточно прав для этой страницы", "en": "Your role cannot open this page"},
    "wallboard": {"ru": "Табло", "en": "Wallboard"},
    "search": {"ru": "Поиск", "en": "Search"},
    "analytics": {"ru": "Аналитика", "en": "Analytics"},
    "requests": {"ru": "Обращения", "en": "Requests"},
    "queue": {"ru": "Очередь", "en": "Queue"},
    "waiting": {"ru": "Ожидают", "en": "Waiting"},
    "longest_wait": {"ru": "Макс. ожидание", "en": "Longest wait"},
    "agents_free": {"ru": "Свободно", "en": "Free"},
    "agents_talking": {"ru": "Говорят", "en": "Talking"},
    "agents_paused": {"ru": "На паузе", "en": "Paused"},
    "agents": {"ru": "Операторы", "en": "Agents"},
    "caller": {"ru": "Абонент", "en": "Caller"},
    "wait": {"ru": "Ожидание", "en": "Wait"},
    "state": {"ru": "Состояние", "en": "State"},
    "reason": {"ru": "Причина", "en": "Reason"},
    "service_level": {"ru": "Уровень сервиса", "en": "Service level"},
    "answered": {"ru": "Отвечено", "en": "Answered"},
    "abandoned": {"ru": "Потеряно", "en": "Abandoned"},
    "offered": {"ru": "Поступило", "en": "Offered"},
    "pbx_down": {"ru": "Нет связи с АТС", "en": "PBX connection lost"},
    "not_live_since": {"ru": "Данные не обновляются с", "en": "Not live since"},
    "live_stale": {
        "ru": "Нет обновлений — данные могут быть устаревшими",
        "en": "No updates: data may be stale",
    },
    "chart_today": {
        "ru": "Ожидающие и уровень сервиса за сегодня",
        "en": "Waiting callers and service level today",
    },
    "query": {"ru": "Слова для поиска", "en": "Words to find"},
    "since": {"ru": "С", "en": "From"},
    "until": {"ru": "По", "en": "To"},
    "topic": {"ru": "Тема", "en": "Topic"},
    "speaker": {"ru": "Говорит", "en": "Speaker"},
    "any": {"ru": "любой", "en": "any"},
    "find": {"ru": "Найти", "en": "Find"},
    "results": {"ru": "Найдено", "en": "Found"},
    "no_results": {"ru": "Ничего не найдено", "en": "Nothing found"},
    "transcript": {"ru": "Расшифровка", "en": "Transcript"},
    "topic_share": {"ru": "Доля тем по дням", "en": "Topic share per day"},
    "keyword_trends": {"ru": "Частые слова", "en": "Keyword trends"},
    "incidents": {"ru": "Инциденты", "en": "Incidents"},
    "number": {"ru": "Номер", "en": "Number"},
    "status": {"ru": "Статус", "en": "Status"},
    "created": {"ru": "Создано", "en": "Created"},
    "expected": {"ru": "Срок ответа", "en": "Answer due"},
    "summary": {"ru": "Суть обращения", "en": "Summary"},
    "overdue": {"ru": "Просроченные", "en": "Overdue"},
    "all": {"ru": "Все", "en": "All"},
    "new_request": {"ru": "Новое обращение", "en": "New request"},
    "caller_number": {"ru": "Телефон", "en": "Phone"},
    "caller_name": {"ru": "Имя", "en": "Name"},
    "address": {"ru": "Адрес", "en": "Address"},
    "save": {"ru": "Сохранить", "en": "Save"},
    "history": {"ru": "История", "en": "History"},
    "note": {"ru": "Комментарий", "en": "Note"},
    "change_status": {"ru": "Изменить статус", "en": "Change status"},
    "escalated": {"ru": "Передано руководителю", "en": "Escalated"},
    "escalate": {
        "ru": "Передать просроченные руководителю",
        "en": "Escalate overdue to the head of department",
    },
    "not_found": {"ru": "Не найдено", "en": "Not found"},
    "st_registered": {"ru": "Зарегистрировано", "en": "Registered"},
    "st_in_progress": {"ru": "В работе", "en": "In progress"},
    "st_answered": {"ru": "Дан ответ", "en": "Answered"},
    "st_closed": {"ru": "Закрыто", "en": "Closed"},
    "st_rejected": {"ru": "Отклонено", "en": "Rejected"},
    "ag_free": {"ru": "свободен", "en": "free"},
    "ag_ringing": {"ru": "звонок", "en": "ringing"},
    "ag_talking": {"ru": "разговор", "en": "talking"},
    "ag_paused": {"ru": "пауза", "en": "paused"},
    "ag_unavailable": {"ru": "недоступен", "en": "unavailable"},
    "sp_caller": {"ru": "абонент", "en": "caller"},
    "sp_agent": {"ru": "оператор", "en": "agent"},
    "sp_mixed": {"ru": "оба", "en": "both"},
    "text_source": {"ru": "Текст получен моделью", "en": "Text produced by"},
    "base": {"ru": "База (100%)", "en": "Base (100%)"},
    "base_answered": {"ru": "отвеченные звонки", "en": "answered calls"},
    "base_transcribed": {"ru": "расшифрованные звонки", "en": "transcribed calls"},
}


from api.i18n_supervision import extend  # noqa: E402  (the catalogue's second part)

extend(MESSAGES)

from api.loop_i18n import LOOP_MESSAGES  # noqa: E402 - the loop's pages add their own keys

MESSAGES.update(LOOP_MESSAGES)


def pick_language(request: Request, preferred: str | None = None) -> str:
    """?lang= beats the `lang` cookie beats the user's setting beats Accept-Language; Russian by default."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), preferred):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    for part in accept.split(","):
        code = part.split(";")[0].strip()[:2]
        if code in LANGUAGES:
            return code
    return "ru"


def translator(language: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(language) or entry["ru"]

    return t


def catalogue(language: str) -> dict[str, str]:
    """The whole catalogue in one language, for the pages' scripts."""
    t = translator(language)
    return {key: t(key) for key in MESSAGES}
