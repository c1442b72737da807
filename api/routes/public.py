"""Citizen self-service without a login (ru/uk/en): the IVR's FAQ answers and a request status page.

The status page needs both the request number and the caller's phone number, applies the same
unknown-number limits as the phone (hotline/lookup_limits.py, per address and for everyone), and
shows status, department and expected date only: never a name, a number or the request's text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, WiringDep
from api.wiring import Wiring
from hotline import lookup_limits
from hotline.catalogue import Catalogue, load_catalogue
from hotline.errors import HotlineError
from hotline.settings import Settings
from hotline.timeutil import utcnow

router = APIRouter(include_in_schema=False)
PublicLang = Literal["ru", "uk", "en"]

LABELS: dict[str, dict[str, str]] = {
    "title": {"ru": "Горячая линия города", "uk": "Гаряча лінія міста", "en": "City hotline"},
    "faq": {"ru": "Частые вопросы", "uk": "Поширені питання", "en": "Frequently asked questions"},
    "status": {"ru": "Статус обращения", "uk": "Статус звернення", "en": "Request status"},
    "number": {"ru": "Номер обращения", "uk": "Номер звернення", "en": "Request number"},
    "phone": {"ru": "Ваш номер телефона", "uk": "Ваш номер телефону", "en": "Your phone number"},
    "check": {"ru": "Проверить", "uk": "Перевірити", "en": "Check"},
    "department": {"ru": "Отдел", "uk": "Відділ", "en": "Department"},
    "expected": {"ru": "Ответ ожидается до", "uk": "Відповідь очікується до", "en": "Answer expected by"},
    "not_found": {
        "ru": "Обращение с таким номером и телефоном не найдено.",
        "uk": "Звернення з таким номером і телефоном не знайдено.",
        "en": "No request with this number and phone number.",
    },
    "limited": {
        "ru": "Слишком много проверок. Попробуйте позже или позвоните на горячую линию.",
        "uk": "Забагато перевірок. Спробуйте пізніше або зателефонуйте на гарячу лінію.",
        "en": "Too many checks. Try again later or call the hotline.",
    },
}


def _catalogue(settings: Settings) -> Catalogue:
    return load_catalogue(settings.agi.catalogue_path)


def _page(
    request: Request, wiring: Wiring, lang: PublicLang, status_code: int = 200, **context: Any
) -> HTMLResponse:
    labels = {key: texts[lang] for key, texts in LABELS.items()}
    try:
        catalogue = _catalogue(wiring.settings)
        faq = [
            {
                "topic": topic.names.get(lang, topic.id),
                "items": [(f.question[lang], f.answer[lang]) for f in topic.faq],
            }
            for topic in catalogue.topics
            if topic.faq
        ]
    except (HotlineError, KeyError):
        faq = []
    response = wiring.templates.TemplateResponse(
        request, "public.html", {"lang": lang, "l": labels, "faq": faq, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; frame-ancestors 'none'"
    )
    return response


@router.get("/public")
def public_page(request: Request, wiring: WiringDep, lang: PublicLang = "ru") -> HTMLResponse:
    return _page(request, wiring, lang)


@router.post("/public/status")
def public_status(
    request: Request,
    wiring: WiringDep,
    session: SessionDep,
    number: Annotated[str, Form(max_length=32, pattern=r"^\s*[0-9 ]{1,32}\s*$")],
    phone: Annotated[str, Form(max_length=32, pattern=r"^\s*\+?[0-9 ()-]{5,32}\s*$")],
    lang: Annotated[PublicLang, Form()] = "ru",
) -> HTMLResponse:
    who = "web:" + (request.client.host if request.client else "unknown")
    verdict, found = lookup_limits.lookup(
        session,
        wiring.settings.lookups,
        who=who,
        number=number.replace(" ", ""),
        now=utcnow(),
        phone=phone,
    )
    if verdict is not lookup_limits.Verdict.ALLOWED:
        page = _page(request, wiring, lang, status_code=429, message=LABELS["limited"][lang])
    elif found is None:
        page = _page(request, wiring, lang, status_code=404, message=LABELS["not_found"][lang])
    else:
        catalogue = _catalogue(wiring.settings)
        result = {
            "number": found.number,
            "status": catalogue.prompts[f"status_{found.status.value}"][lang],
            "department": found.department.title if found.department else None,
            "expected": found.expected_at.isoformat(),
        }
        page = _page(request, wiring, lang, result=result)
    session.commit()  # every lookup counts against the limits, whatever the answer
    return page
