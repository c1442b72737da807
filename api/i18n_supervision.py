"""Messages of the supervisor and analyst tools (staffing, reports, wallboard alerts, TV mode): ru, uk, en."""

from __future__ import annotations

SUPERVISION_MESSAGES: dict[str, dict[str, str]] = {
    "staffing": {"ru": "Штат", "uk": "Штат", "en": "Staffing"},
    "staffing_mode": {"ru": "Период", "uk": "Період", "en": "Period"},
    "staffing_past": {
        "ru": "прошедший (выбранные даты)",
        "uk": "минулий (вибрані дати)",
        "en": "past (chosen dates)",
    },
    "staffing_next_week": {
        "ru": "прогноз на следующую неделю",
        "uk": "прогноз на наступний тиждень",
        "en": "forecast for next week",
    },
    "staffing_chart": {
        "ru": "Нужно операторов и было на линии, по получасам",
        "uk": "Потрібно операторів і було на лінії, по півгодинах",
        "en": "Operators required and logged in, per half-hour",
    },
    "understaffed_intervals": {
        "ru": "Интервалы с нехваткой операторов",
        "uk": "Інтервали з нестачею операторів",
        "en": "Understaffed intervals",
    },
    "no_understaffed": {"ru": "Нехватки нет", "uk": "Нестачі немає", "en": "No understaffed interval"},
    "interval": {"ru": "Интервал", "uk": "Інтервал", "en": "Interval"},
    "seconds": {"ru": "с", "uk": "с", "en": "s"},
    "agents_required": {"ru": "Нужно операторов", "uk": "Потрібно операторів", "en": "Operators required"},
    "agents_logged_in": {"ru": "На линии", "uk": "На лінії", "en": "Logged in"},
    "sl_forecast": {"ru": "SL при этом составе", "uk": "SL за цього складу", "en": "SL with those"},
    "sl_target": {"ru": "Цель SL, %", "uk": "Ціль SL, %", "en": "SL target, %"},
    "sl_seconds": {"ru": "за, с", "uk": "за, с", "en": "within, s"},
    "model": {"ru": "Модель", "uk": "Модель", "en": "Model"},
    "patience": {"ru": "терпение абонентов", "uk": "терпіння абонентів", "en": "caller patience"},
    "unknown": {"ru": "неизвестно", "uk": "невідомо", "en": "unknown"},
    "definitions": {"ru": "Определения", "uk": "Визначення", "en": "Definitions"},
    "reports": {"ru": "Отчёты", "uk": "Звіти", "en": "Reports"},
    "tv_token_required": {
        "ru": "Нужна ссылка экрана с токеном (/tv?token=...)",
        "uk": "Потрібне посилання екрана з токеном (/tv?token=...)",
        "en": "This screen needs its link with a token (/tv?token=...)",
    },
    "tv_token_rejected": {
        "ru": "Токен экрана не подходит: откройте его действующую ссылку (/tv?token=...)",
        "uk": "Токен екрана не підходить: відкрийте його чинне посилання (/tv?token=...)",
        "en": "The token of this screen is not valid: open its current link (/tv?token=...)",
    },
    "alert_sound": {"ru": "Звук тревоги", "uk": "Звук тривоги", "en": "Alert sound"},
    "in_state": {"ru": "В состоянии", "uk": "У стані", "en": "In state"},
    "current_call": {"ru": "Текущий звонок", "uk": "Поточний дзвінок", "en": "Current call"},
    "topic_unknown": {
        "ru": "нет в каталоге тем",
        "uk": "немає в каталозі тем",
        "en": "not in the topic catalogue",
    },
    "sl_today": {"ru": "SL сегодня", "uk": "SL сьогодні", "en": "SL today"},
    "abandoned_today": {"ru": "Потеряно сегодня", "uk": "Втрачено сьогодні", "en": "Abandoned today"},
    "callbacks_pending": {"ru": "Ждут перезвона", "uk": "Чекають передзвону", "en": "Callbacks pending"},
    "al_longest_wait": {"ru": "долгое ожидание", "uk": "довге очікування", "en": "long wait"},
    "al_waiting": {"ru": "много ожидающих", "uk": "багато в черзі", "en": "many waiting"},
    "al_service_level": {"ru": "низкий SL", "uk": "низький SL", "en": "low SL"},
    "threshold": {"ru": "порог", "uk": "поріг", "en": "threshold"},
    "no_alerts": {"ru": "Тревог нет", "uk": "Тривог немає", "en": "No alerts"},
    "period": {"ru": "Период", "uk": "Період", "en": "Period"},
    "period_day": {"ru": "день", "uk": "день", "en": "day"},
    "period_week": {"ru": "неделя", "uk": "тиждень", "en": "week"},
    "period_month": {"ru": "месяц", "uk": "місяць", "en": "month"},
    "base_offered": {"ru": "поступившие звонки", "uk": "вхідні дзвінки", "en": "offered calls"},
    "no_topic": {"ru": "без темы", "uk": "без теми", "en": "no topic"},
    "when": {"ru": "Когда", "uk": "Коли", "en": "When"},
    "frequent_terms": {
        "ru": "Частые слова и фразы",
        "uk": "Часті слова і фрази",
        "en": "Frequent words and phrases",
    },
    "order": {"ru": "Сортировка", "uk": "Сортування", "en": "Order"},
    "order_calls": {"ru": "по числу звонков", "uk": "за кількістю дзвінків", "en": "by calls"},
    "order_change": {"ru": "по росту", "uk": "за зростанням", "en": "by rise"},
    "min_calls": {"ru": "Мин. звонков", "uk": "Мін. дзвінків", "en": "Min. calls"},
    "term": {"ru": "Слово / фраза", "uk": "Слово / фраза", "en": "Word / phrase"},
    "calls_with_term": {"ru": "Звонков с ним", "uk": "Дзвінків з ним", "en": "Calls with it"},
    "share_of_transcribed": {
        "ru": "% расшифрованных звонков",
        "uk": "% розшифрованих дзвінків",
        "en": "% of transcribed calls",
    },
    "occurrences": {"ru": "Упоминаний", "uk": "Згадок", "en": "Occurrences"},
    "change_pp": {
        "ru": "Изменение, п.п. к прошлому периоду",
        "uk": "Зміна, в.п. до попереднього періоду",
        "en": "Change, pp vs previous period",
    },
    "terms_measure": {
        "ru": "Доля — из {n} расшифрованных звонков периода (в прошлом периоде той же длины: {p}); "
        "слова из менее чем {m} звонков не показаны; стоп-слова исключены.",
        "uk": "Частка — з {n} розшифрованих дзвінків періоду (у попередньому періоді такої ж довжини: {p}); "
        "слова з менш ніж {m} дзвінків не показано; стоп-слова виключено.",
        "en": "Share of the period's {n} transcribed calls (previous period of the same length: {p}); "
        "words in fewer than {m} calls are not shown; stop words left out.",
    },
    "why_raised": {"ru": "Почему", "uk": "Чому", "en": "Why"},
    "acknowledge": {"ru": "Принято", "uk": "Прийнято", "en": "Acknowledge"},
    "acknowledged": {"ru": "Принято", "uk": "Прийнято", "en": "Acknowledged"},
    "wrapup": {"ru": "Поствызывная обработка, с", "uk": "Післявиклична обробка, с", "en": "Wrap-up, s"},
    "minutes": {"ru": "мин", "uk": "хв", "en": "min"},
    "interval_by": {"ru": "Группировать", "uk": "Групувати", "en": "Group"},
    "by_day": {"ru": "по датам", "uk": "за датами", "en": "by date"},
    "by_weekday": {"ru": "по дням недели", "uk": "за днями тижня", "en": "by weekday"},
    "occupancy_agents": {
        "ru": "Занятость операторов",
        "uk": "Зайнятість операторів",
        "en": "Occupancy per operator",
    },
    "occupancy_queues": {
        "ru": "Занятость по очередям",
        "uk": "Зайнятість за чергами",
        "en": "Occupancy per queue",
    },
    "pause_reasons": {"ru": "Причины пауз", "uk": "Причини пауз", "en": "Pause reasons"},
    "intervals": {"ru": "Звонки по интервалам", "uk": "Дзвінки за інтервалами", "en": "Calls per interval"},
}

# Ukrainian for the wallboard's older messages (the rest of the interface falls back to Russian).
UKRAINIAN: dict[str, str] = {
    "app": "Гаряча лінія",
    "logout": "Вийти",
    "wallboard": "Табло",
    "search": "Пошук",
    "analytics": "Аналітика",
    "requests": "Звернення",
    "queue": "Черга",
    "waiting": "Очікують",
    "longest_wait": "Найдовше очікування",
    "agents_free": "Вільні",
    "agents_talking": "Розмовляють",
    "agents_paused": "На паузі",
    "agents": "Оператори",
    "caller": "Абонент",
    "wait": "Очікування",
    "state": "Стан",
    "reason": "Причина",
    "service_level": "Рівень сервісу",
    "answered": "Відповіли",
    "abandoned": "Втрачено",
    "offered": "Надійшло",
    "pbx_down": "Немає зв'язку з АТС",
    "live_stale": "Немає оновлень — дані можуть бути застарілими",
    "chart_today": "Очікують і рівень сервісу сьогодні",
    "topic": "Тема",
    "since": "З",
    "until": "По",
    "find": "Знайти",
    "ag_free": "вільний",
    "ag_ringing": "дзвінок",
    "ag_talking": "розмова",
    "ag_paused": "пауза",
    "ag_unavailable": "недоступний",
}


def extend(messages: dict[str, dict[str, str]]) -> None:
    """Add these messages, and Ukrainian to the older ones, to the interface catalogue."""
    messages.update(SUPERVISION_MESSAGES)
    for key, text in UKRAINIAN.items():
        if key in messages:
            messages[key].setdefault("uk", text)
