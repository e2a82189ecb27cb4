"""The web app's own settings, declared once with their defaults and help text.

Portal-wide settings (data directory, catalogue URL, backend) live in :mod:`config.settings`;
these are the knobs of the pages only. ``create_app(test_config)`` and the Flask config can
override any of them by name. Settings marked ``env`` are also read from the environment
variable of the same name (the admin's credentials and the session key are never written in
files of the project).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{raw!r} is not a yes/no value (use 1/0, true/false, yes/no, on/off)")


@dataclass(frozen=True)
class UISetting:
    name: str
    default: Any
    help: str
    env: bool = False  # also read from the environment variable ``name``
    parse: Callable[[str], Any] = str




def _(message: str) -> str:
    """Marks the shipped tagline for pybabel extract (translated where it is shown)."""
    return message


# the shipped tagline is translated (search_ui/translations); a configured one is shown as is
DEFAULT_TAGLINE = _("Circular-economy strategies, roadmaps, guides and good practices from EU "
                    "bodies, URBACT and European cities — searchable in one place, in every "
                    "language.")

UI_SETTINGS: tuple[UISetting, ...] = (
    UISetting("CCP_PORTAL_NAME", "Circular City Portal", "The portal's name, shown on every page."),
    UISetting("CCP_PORTAL_TAGLINE", DEFAULT_TAGLINE,
              "The one-line description under the name (the shipped one is translated)."),
    UISetting("CCP_DEFAULT_LANGUAGE", "en", "The interface language for a browser that states "
              "none the portal speaks (en, nl, fr, de, it, pt, es, lt, pl, no, fi, el).",
              env=True),
    UISetting("CCP_PER_PAGE", 10, "Results per page when the request does not say."),
    UISetting("CCP_FACET_VISIBLE", 6, "Facet values shown before 'show more'."),
    UISetting("CCP_PAGINATION_WINDOW", 2, "Page links shown either side of the current page."),
    UISetting("CCP_RETRY_AFTER", 30, "Seconds sent in Retry-After when search is unavailable."),
    UISetting("CCP_EXCERPT_CHARS", 3000, "Characters of body text shown on a resource page."),
    UISetting("CCP_FEED_SIZE", 30, "Entries in an Atom feed of a search."),
    UISetting("CCP_SITEMAP_SIZE", 50_000, "Resource pages in one sitemap (at most 50,000); "
              "beyond, /sitemap.xml is an index of numbered sitemaps."),
    # -- the operators' admin under /admin/ (closed unless a user and a password are set) --
    UISetting("CCP_ADMIN_USER", None, "User name of the operators' admin under /admin/. "
              "Without it (and a password) the admin is closed.", env=True),
    UISetting("CCP_ADMIN_PASSWORD", None, "The admin's password in plain text: hashed at "
              "start-up, and only the hash is kept. Prefer CCP_ADMIN_PASSWORD_HASH.", env=True),
    UISetting("CCP_ADMIN_PASSWORD_HASH", None, "The admin's password as a werkzeug hash: "
              "python -c 'import getpass, werkzeug.security as w; "
              "print(w.generate_password_hash(getpass.getpass()))'", env=True),
    UISetting("CCP_SECRET_KEY", None, "Key that signs the admin's session cookies. Default: "
              "generated once and kept in DATA_DIR/secret_key (mode 0600), so every worker "
              "and restart shares it.", env=True),
    UISetting("CCP_ADMIN_COOKIE_SECURE", False, "Send the admin's session cookie over HTTPS "
              "only (set it when the portal is served over HTTPS).", env=True, parse=_flag),
    UISetting("CCP_ADMIN_SESSION_HOURS", 12, "Hours an admin login lasts.", env=True, parse=int),
    UISetting("CCP_ADMIN_SESSION_IDLE_MINUTES", 60, "Minutes without a request after which an "
              "admin login ends.", env=True, parse=int),
    UISetting("CCP_ADMIN_LOGIN_BACKOFF", 1.0, "Seconds a client must wait after its 5th failed "
              "admin login before the next try; the wait doubles with each further failure.",
              env=True, parse=float),
    UISetting("CCP_ADMIN_LOCK_SECONDS", 900, "Seconds a client address is locked out of the admin "
              "login after 10 failed logins.", env=True, parse=float),
    UISetting("CCP_ADMIN_ACCOUNT_MAX_WAIT", 60, "Longest wait (seconds) failed logins from many "
              "addresses can impose on the admin account.", env=True, parse=float),
    UISetting("CCP_PROXY_COUNT", 0, "Reverse proxies in front of the portal that set "
              "X-Forwarded-For (0: none). Set it behind a proxy, or every visitor shares one "
              "address for the admin's login throttling.", env=True, parse=int),
    # -- the OAI-PMH provider at /oai (search_ui/oai.py) --
    UISetting("CCP_OAI_REPOSITORY_HOST", None, "The host name in the OAI-PMH identifiers "
              "(oai:<host>:<resource id>), e.g. circular-cities.example.eu. Set it: without it "
              "identifiers take the host name each request came in on.", env=True),
    UISetting("CCP_OAI_ADMIN_EMAIL", "oai-admin@example.invalid", "The address OAI-PMH "
              "harvesters write to (Identify's adminEmail). The default is a placeholder: set "
              "a real one before national portals harvest the portal.", env=True),
    UISetting("CCP_OAI_PAGE_SIZE", 100, "Records per OAI-PMH ListRecords response (twice as "
              "many headers per ListIdentifiers response).", env=True, parse=int),
    UISetting("CCP_OAI_TOKEN_HOURS", 24, "Hours an OAI-PMH resumption token stays valid.",
              env=True, parse=float),
    UISetting("CCP_ADMIN_SCHEDULER_WAIT", 30, "Seconds a queued task may wait before the admin "
              "warns that no scheduler process is picking tasks up.", env=True, parse=int),
)


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in UI_SETTINGS}


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings marked ``env`` that the environment sets (empty values are unset)."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for s in UI_SETTINGS:
        if s.env and env.get(s.name):
            try:
                out[s.name] = s.parse(env[s.name])
            except ValueError as exc:
                raise ValueError(f"{s.name}: {exc}") from None
    return out
