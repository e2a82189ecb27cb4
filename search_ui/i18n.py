"""The interface in the partnership's languages: Flask-Babel, the language in the URL, the choice.

The language of a page is chosen, in this order, by

1. the first segment of the URL: ``/lt/search?q=…`` (links are shareable and crawlable);
2. the ``ccp_lang`` cookie, set whenever a page is visited under a language prefix (the
   switcher's links are such pages), so ``/`` shows the language last chosen;
3. the browser's ``Accept-Language`` on a first visit;
4. ``CCP_DEFAULT_LANGUAGE`` (English).

The prefix is handled by :class:`LanguagePrefix`, a WSGI middleware that moves ``/lt`` from
``PATH_INFO`` to ``SCRIPT_NAME``: every route stays as it is, and ``url_for`` builds links
that keep the language (``/lt/resource/…``). :func:`base_script_root` is the application's
root without the language, for cookies and links that must not depend on it.

Catalogues live in ``search_ui/translations/<locale>/LC_MESSAGES/messages.po``; ``pybabel
compile`` makes the ``.mo`` files, and :func:`ensure_compiled` compiles any that are missing
or older than their ``.po`` at start-up, so a fresh checkout serves translated pages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, get_locale, get_translations, refresh

log = logging.getLogger(__name__)

__all__ = [
    "COOKIE",
    "LOCALES",
    "TRANSLATIONS_DIR",
    "UI_LANGUAGES",
    "LanguagePrefix",
    "base_script_root",
    "ensure_compiled",
    "init_app",
    "language_name",
    "ui_language",
    "user_languages",
]

# The interface's languages, as they appear in URLs (the portal's language codes), in the
# order of the switcher: English, then the partnership's cities and member states.
UI_LANGUAGES: tuple[str, ...] = ("en", "nl", "fr", "de", "it", "pt", "es", "lt", "pl", "no",
                                 "fi", "el")
# URL code -> gettext/Babel locale: Norwegian is written in Bokmål (nb), Portuguese as in
# Portugal (pt_PT: the partnership's Porto; Babel's plain "pt" is Brazilian).
LOCALES: dict[str, str] = {code: {"no": "nb", "pt": "pt_PT"}.get(code, code)
                           for code in UI_LANGUAGES}
_CODE_OF_LOCALE = {loc: code for code, loc in LOCALES.items()}
# Accept-Language tags that mean one of the interface's languages
_ALIASES = {"nb": "no", "nn": "no"}
COOKIE = "ccp_lang"
COOKIE_DAYS = 365
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
_URL_LANGUAGE = "ccp.url_language"
_BASE_SCRIPT = "ccp.base_script_name"
_CHOSEN = "ccp.ui_language"
_USER_LANGUAGES = "ccp.user_languages"
_TRANSLATIONS = "ccp.translations"


class LanguagePrefix:
    """WSGI middleware: ``/lt/search`` is the app's ``/search`` in Lithuanian.

    The language segment moves to ``SCRIPT_NAME`` (so ``url_for`` keeps it in every link) and
    is remembered in the environ; other paths pass unchanged.
    """

    def __init__(self, app, codes: Iterable[str] = UI_LANGUAGES):
        self.app = app
        self.codes = frozenset(codes)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or ""
        head, _, rest = path.lstrip("/").partition("/")
        script = environ.get("SCRIPT_NAME", "")
        environ[_BASE_SCRIPT] = script
        if path.startswith("/") and head in self.codes:
            environ[_URL_LANGUAGE] = head
            environ["SCRIPT_NAME"] = f"{script}/{head}"
            environ["PATH_INFO"] = "/" + rest
        return self.app(environ, start_response)


def base_script_root() -> str:
    """The application's root without the language segment ('' when mounted at /)."""
    return request.environ.get(_BASE_SCRIPT, request.script_root or "")


def url_language() -> str | None:
    """The language named by the URL's prefix, if any."""
    return request.environ.get(_URL_LANGUAGE)


def _code_of_tag(tag: str) -> str | None:
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    primary = _ALIASES.get(primary, primary)
    return primary if primary in UI_LANGUAGES else None


def accepted_languages() -> list[str]:
    """The portal's language codes the browser accepts, best first (any of the portal's
    languages, not only the interface's: a Swedish reader reads Swedish documents)."""
    from config.models import LANGUAGES

    out: list[str] = []
    for tag, quality in request.accept_languages:
        if quality <= 0 or tag == "*":
            continue
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        primary = _ALIASES.get(primary, primary)
        if primary in LANGUAGES and primary not in out:
            out.append(primary)
    return out


def choose_language() -> str:
    """The interface language of this request (a code of UI_LANGUAGES)."""
    cached = request.environ.get(_CHOSEN)  # per request (an app context may serve several)
    if cached:
        return cached
    code = url_language()
    if code is None:
        code = _code_of_tag(request.cookies.get(COOKIE, ""))
    if code is None:
        for tag in accepted_languages():
            if tag in UI_LANGUAGES:
                code = tag
                break
    if code is None:
        code = current_app.config.get("CCP_DEFAULT_LANGUAGE") or "en"
    request.environ[_CHOSEN] = code
    return code


def ui_language() -> str:
    """The interface language's code ('en' outside a request)."""
    if not has_request_context():
        return "en"
    return choose_language()


def user_languages(limit: int = 6) -> list[str]:
    """The user's languages: the interface's, then those the browser accepts (portal codes)."""
    if not has_request_context():
        return [ui_language()][:limit]
    mine = request.environ.get(_USER_LANGUAGES)  # per request, asked once per result
    if mine is None:
        mine = [ui_language()]
        mine += [c for c in accepted_languages() if c not in mine]
        request.environ[_USER_LANGUAGES] = mine
    return mine[:limit]


def language_name(code: str | None, in_language: str | None = None) -> str:
    """The name of language ``code`` in the interface language ('Italian', 'italų')."""
    if not code:
        return ""
    return _language_name(code, in_language or ui_language())


@lru_cache(maxsize=1024)
def _language_name(code: str, in_language: str) -> str:
    locale = Locale.parse(LOCALES.get(in_language, "en"))
    name = locale.languages.get(LOCALES.get(code, code)) or locale.languages.get(code)
    return name or code


def translations():
    """This request's gettext catalogue (looked up once per request, not once per string)."""
    if not has_request_context():
        return get_translations()
    found = request.environ.get(_TRANSLATIONS)
    if found is None:
        found = request.environ[_TRANSLATIONS] = get_translations()
    return found


def _install_template_gettext(app: Flask) -> None:
    """The templates' ``_``/``gettext``/``ngettext`` (Flask-Babel's, with the catalogue looked
    up once per request: a search page translates some 70 strings)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def _locale_selector() -> str:
    return LOCALES[choose_language()]


def _path_and_query() -> str:
    """This page's path (without the language) and its query, re-encoded as UTF-8."""
    qs = urlencode(list(request.args.items(multi=True)))
    return request.path + (f"?{qs}" if qs else "")


def _alternates() -> list[dict[str, str]]:
    """The same page in every interface language: the switcher's links and hreflang."""
    from config.models import LANGUAGES

    base = base_script_root()
    tail = _path_and_query()
    current = ui_language()
    out = []
    for code in UI_LANGUAGES:
        out.append({"code": code, "lang": LOCALES[code].replace("_", "-"),
                    "name": LANGUAGES.get(code, code), "href": f"{base}/{code}{tail}",
                    "current": code == current})
    return out


def _context() -> dict[str, Any]:
    locale = get_locale()
    code = ui_language()
    return {
        "ui_lang": code,
        "html_lang": str(locale).replace("_", "-") if locale else code,
        "html_dir": "rtl" if locale and locale.character_order == "right-to-left" else "ltr",
        "language_alternates": _alternates(),
        "default_url": base_script_root() + _path_and_query(),
    }


def _remember(resp):
    """Remember a language chosen in the URL; say the page depends on the browser's choice."""
    code = url_language()
    if code is not None:
        if (request.cookies.get(COOKIE) != code and resp.status_code < 400
                and resp.mimetype == "text/html"):  # a page read, not an API call
            resp.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 86400,
                            path=(base_script_root() or "") + "/", samesite="Lax",
                            httponly=True)
    else:
        resp.vary.add("Accept-Language")
        resp.vary.add("Cookie")
    if "Content-Language" not in resp.headers:
        resp.headers["Content-Language"] = LOCALES[ui_language()].replace("_", "-")
    return resp


def ensure_compiled(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older (returns those made).

    A wheel or a checkout then serves translations without a separate ``pybabel compile``;
    a read-only install keeps the ``.mo`` files it shipped with.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    made = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}")
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=po.parent.parent.name)
            with tmp.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            os.replace(tmp, mo)  # workers starting together never read half a file
            made.append(mo)
        except OSError as exc:
            log.warning("cannot compile %s: %s", po, exc)
            tmp.unlink(missing_ok=True)
    return made


def init_app(app: Flask) -> None:
    """Install Flask-Babel, the language prefix, the cookie and the template helpers."""
    ensure_compiled()
    Babel(app, locale_selector=_locale_selector,
          default_translation_directories=str(TRANSLATIONS_DIR))
    _install_template_gettext(app)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.wsgi_app = LanguagePrefix(app.wsgi_app)
    # Flask-Babel keeps the locale on the app context, which may outlive one request
    app.before_request(refresh)
    app.context_processor(_context)
    app.after_request(_remember)
