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
