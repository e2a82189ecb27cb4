"""Who may use the admin: credentials, the session key, logins, sessions, the login throttle,
and CSRF tokens.

- Credentials come from ``CCP_ADMIN_USER`` and ``CCP_ADMIN_PASSWORD`` (plain text, hashed at
  start-up with :func:`werkzeug.security.generate_password_hash`; only the hash stays in the
  app's config) or ``CCP_ADMIN_PASSWORD_HASH``. Without both a user and a password the admin
  is closed.
- Sessions live on the server, in the catalogue (:class:`indexer.accounts.SessionStore`): the
  signed Flask cookie (HttpOnly, SameSite=Lax) carries only a random token whose SHA-256 is the
  session's id. Logging out revokes the session, so a copy of the cookie taken before is
  worthless afterwards. A session ends after ``CCP_ADMIN_SESSION_IDLE_MINUTES`` without a
  request and ``CCP_ADMIN_SESSION_HOURS`` after the login, and is bound to a tag derived from
  the user and the password hash: a new password ends every session made with the old one.
  The signing key is ``CCP_SECRET_KEY``, else one generated once into ``DATA_DIR/secret_key``
  (mode 0600) so that every worker and every restart shares it.
- Failed logins are throttled per client and per account (see :func:`login_gate`), answered
  at once with 429 and ``Retry-After``; no request ever sleeps.
- Every form carries a per-session CSRF token, checked with :func:`hmac.compare_digest` on
  every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from urllib.parse import urlsplit

from flask import (
    Flask,
    after_this_request,
    current_app,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import check_password_hash, generate_password_hash

from indexer.accounts import LoginThrottle, SessionStore, ThrottlePolicy

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
SECRET_KEY_FILE = "secret_key"
_HASH_METHODS = ("scrypt", "pbkdf2")



def N_(message: str) -> str:
    """Marks a message for pybabel extract; it is translated where it is shown."""
    return message


HOW_TO_ENABLE = N_(
    "Set CCP_ADMIN_USER and CCP_ADMIN_PASSWORD (or CCP_ADMIN_PASSWORD_HASH, a werkzeug "
    "password hash) in the web app's environment and restart it."
)


@dataclass(frozen=True)
class AdminAuth:
    """The admin's credentials as the app holds them (never the password in clear)."""

    user: str | None
    password_hash: str | None
    closed_because: str | None = None  # None: the admin is open

    @property
    def enabled(self) -> bool:
        return self.closed_because is None


LIMIT_SETTINGS = {"session_hours": "CCP_ADMIN_SESSION_HOURS",
                  "idle_minutes": "CCP_ADMIN_SESSION_IDLE_MINUTES",
                  "backoff": "CCP_ADMIN_LOGIN_BACKOFF",
                  "lock_seconds": "CCP_ADMIN_LOCK_SECONDS",
                  "account_max_wait": "CCP_ADMIN_ACCOUNT_MAX_WAIT"}


@dataclass(frozen=True)
class AdminLimits:
    """How long sessions last and how failed logins are slowed down (see :func:`login_gate`)."""

    session_hours: float = 12
    idle_minutes: float = 60
    backoff: float = 1.0
    lock_seconds: float = 900
    account_max_wait: float = 60

    @classmethod
    def from_config(cls, cfg) -> AdminLimits:
        """Read from the app's config (defaults above); a bad value stops the start-up."""
        values = {}
        for field, name in LIMIT_SETTINGS.items():
            raw = cfg.get(name)
            if raw is None or raw == "":
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
            if not math.isfinite(value) or value < 0 or (value == 0 and field in (
                    "session_hours", "idle_minutes")):
                raise ValueError(f"{name} must be a positive number, not {raw!r}")
            values[field] = value
        return cls(**values)


def limits() -> AdminLimits:
    return current_app.extensions["ccp_admin_limits"]


def _looks_like_werkzeug_hash(value: str) -> bool:
    parts = value.split("$", 2)
    return (len(parts) == 3 and all(parts)
            and parts[0].split(":", 1)[0] in _HASH_METHODS)


def load_secret_key(data_dir: Path) -> str:
    """The key in ``data_dir/secret_key``; generated (mode 0600) the first time.

    Several workers starting at once agree on one key: each writes a candidate to a private
    temporary file and links it into place, and whoever loses the race reads the winner's.
    """
    path = Path(data_dir) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
                log.info("generated the session key in %s", path)
            except FileExistsError:
                pass  # another worker was first: use its key
        finally:
            os.unlink(tmp)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s can be read by other users (mode %o); it should be 0600", path, mode)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable key (delete it to have a new one made)")
    return key


def configure(app: Flask, data_dir: Path) -> AdminAuth:
    """Read the credentials and the session key into ``app``; says why the admin is closed."""
    cfg = app.config
    user = (cfg.get("CCP_ADMIN_USER") or "").strip() or None
    plain = cfg.get("CCP_ADMIN_PASSWORD") or None
    given_hash = (cfg.get("CCP_ADMIN_PASSWORD_HASH") or "").strip() or None
    # whatever happens next, the plain password does not stay in the app's config
    cfg["CCP_ADMIN_PASSWORD"] = None
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_NAME"] = "ccp_admin_session"
    cfg["SESSION_COOKIE_SECURE"] = bool(cfg.get("CCP_ADMIN_COOKIE_SECURE"))
    lim = AdminLimits.from_config(cfg)
    app.extensions["ccp_admin_limits"] = lim
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=lim.session_hours)

    if given_hash and plain:
        log.warning("both CCP_ADMIN_PASSWORD_HASH and CCP_ADMIN_PASSWORD are set; "
                    "the hash is used")
    if given_hash:
        if not _looks_like_werkzeug_hash(given_hash):
            return _closed("CCP_ADMIN_PASSWORD_HASH is not a werkzeug password hash "
                           "(method$salt$hash, e.g. scrypt:32768:8:1$…).")
        password_hash = given_hash
    elif plain:
        password_hash = generate_password_hash(plain)
    else:
        password_hash = None
    del plain
    cfg["CCP_ADMIN_PASSWORD_HASH"] = password_hash

    if not user and not password_hash:
        return _closed(N_("No admin credentials are configured."))
    if not user:
        return _closed(N_("CCP_ADMIN_USER is not set."))
    if not password_hash:
        return _closed(N_("No admin password is set."))

    if not cfg.get("SECRET_KEY"):
        if cfg.get("CCP_SECRET_KEY"):
            if len(str(cfg["CCP_SECRET_KEY"])) < 16:
                log.warning("CCP_SECRET_KEY is short; use at least 32 random characters")
            cfg["SECRET_KEY"] = cfg["CCP_SECRET_KEY"]
        else:
            try:
                cfg["SECRET_KEY"] = load_secret_key(data_dir)
            except (OSError, ValueError) as exc:
                log.error("admin closed: no session key (%s)", exc)
                return _closed(f"The session key cannot be stored in the data directory "
                               f"({exc}). Set CCP_SECRET_KEY, or make "
                               f"{Path(data_dir) / SECRET_KEY_FILE} writable.")
    return AdminAuth(user=user, password_hash=password_hash)


def _closed(reason: str) -> AdminAuth:
    return AdminAuth(user=None, password_hash=None, closed_because=reason)


def auth() -> AdminAuth:
    return current_app.extensions["ccp_admin"]


# -- logins and sessions -----------------------------------------------------------------------
def credential_tag(a: AdminAuth | None = None) -> str:
    """A tag of the configured credentials (user and password hash, keyed with the session
    key): sessions made under another tag are not accepted."""
    a = a or auth()
    key = str(current_app.secret_key).encode()
    msg = f"{a.user}\0{a.password_hash}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _sessions() -> SessionStore:
    from ..app_services import services

    return SessionStore(services().catalogue.engine)


def credentials_match(user: str, password: str) -> bool:
    """Compare in constant time; the password is checked even when the user is wrong, so a
    wrong user name takes as long to refuse as a wrong password. A mismatch is counted by the
    login throttle against the client (and the account, when the user name is the admin's)."""
    a = auth()
    if not a.enabled:
        return False
    user_ok = hmac.compare_digest(user.encode("utf-8"), str(a.user).encode("utf-8"))
    password_ok = check_password_hash(str(a.password_hash), password)
    if user_ok and password_ok:
        return True
    _record_failure(user)
    return False


def log_in() -> None:
    """Start a fresh session for the admin (new token, new CSRF token), clear the failed-login
    counters of this client and of the account, and mark this browser as known."""
    a = auth()
    token = _sessions().create(str(a.user), credential_tag(a), client=request.remote_addr,
                               lifetime=timedelta(hours=limits().session_hours))
    _record_success(str(a.user))
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    log.info("admin %s logged in from %s", a.user, request.remote_addr)


def log_out() -> None:
    """End the session on the server too (a copy of the cookie no longer opens the admin)."""
    token = session.get("sid")
    if isinstance(token, str) and token:
        _sessions().revoke(token)
    session.clear()


def current_user() -> str | None:
    """The logged-in admin, or None (no session; revoked, expired or idle too long; or the
    credentials changed since the login)."""
    a = auth()
    if not a.enabled:
        return None
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    idle = timedelta(minutes=limits().idle_minutes)
    found = _sessions().check(token, credential_tag(a), idle=idle)
    if found is None or found.user != a.user:
        return None
    return found.user


# -- the login throttle -------------------------------------------------------------------------
BROWSER_COOKIE = "ccp_admin_browser"
BROWSER_SALT = "ccp-admin-known-browser"
BROWSER_DAYS = 90
CLIENT_FREE, CLIENT_LOCK_AFTER = 5, 10  # failures from one address: free, then a lock
ACCOUNT_FREE = 10  # failures against the account from all addresses together before a wait
FORGET_AFTER = 86400.0  # seconds after the last failure that it is forgotten


def login_gate():
    """Refuse a login attempt at once (429 with ``Retry-After``) while its client or the
    account must wait; runs before the login view, which counts failures and successes.

    How it decides, and why (the same trade-off django-axes and Mastodon make):

    - The **client** (its address; an IPv6 client by its /64) is the thing that gets locked:
      5 failures are free, then each further attempt must wait 1, 2, 4, 8, 16 s
      (``CCP_ADMIN_LOGIN_BACKOFF`` doubling), and the 10th failure locks the address for
      ``CCP_ADMIN_LOCK_SECONDS`` (15 min); every failure after a lock locks it again, until a
      day without failures or a successful login clears it.
    - The **account** is only slowed, never locked for long: failures from all addresses
      together (10 free) make the next attempt on the account wait a doubling delay capped at
      ``CCP_ADMIN_ACCOUNT_MAX_WAIT`` (1 min). An attacker spread over many addresses gets at
      most about one guess a minute, and cannot keep the custodian out for more than a minute.
    - A **known browser** (one that logged in as this user with the current password; it
      carries a signed cookie for 90 days) is exempt from the address and account counters
      and has a counter of its own with the client's rules, so the custodian's own browser
      gets in during an attack on the account, or when sharing an address with an attacker.
    - The wait is answered, never slept, so an attack holds no worker thread. Attempts
      refused with 429 are not counted. Parallel attempts checked in the same instant may
      each be let through once (at most the server's thread count) before the count catches
      up. The message does not say whether the user name exists.
    """
    if request.endpoint != "admin.login" or request.method != "POST" or not auth().enabled:
        return None
    user = request.form.get("username", "")[:200]
    try:
        wait = _throttle().retry_after(_throttle_keys(user))
    except SQLAlchemyError as exc:
        log.error("admin login refused: the catalogue cannot be read (%s)", exc)
        resp = make_response(render_template(
            "admin/error.html", status=503, title=_("The admin cannot log you in now"),
            message=_("The catalogue that keeps the admin's logins cannot be reached. "
                      "Try again in a minute.")), 503)
        resp.headers["Retry-After"] = "60"
        return resp
    if wait <= 0:
        return None
    log.info("admin login for user %r from %s refused for %d s: too many failed logins",
                user, request.remote_addr, wait)

    resp = make_response(render_template(
        "admin/login.html", next=safe_next(request.values.get("next")), username=user,
        error=_("Too many failed logins. Try again in %(wait)s.", wait=_in_words(wait))), 429)
    resp.headers["Retry-After"] = str(wait)
    return resp


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    return ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))


def _throttle() -> LoginThrottle:
    from ..app_services import services

    lim = limits()
    client = ThrottlePolicy(free=CLIENT_FREE, first_wait=lim.backoff,
                            max_wait=lim.backoff * 2 ** (CLIENT_LOCK_AFTER - CLIENT_FREE),
                            lock_after=CLIENT_LOCK_AFTER, lock_for=lim.lock_seconds,
                            forget_after=FORGET_AFTER)
    account = ThrottlePolicy(free=ACCOUNT_FREE, first_wait=lim.backoff,
                             max_wait=lim.account_max_wait, forget_after=FORGET_AFTER)
    return LoginThrottle(services().catalogue.engine,
                         {"client": client, "browser": client, "account": account})


def client_key(address: str | None) -> str:
    """The throttle key of a client address: an IPv6 client is its /64 (one subscriber's
    network), an IPv4-mapped address its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"client:{(address or 'unknown')[:200]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return f"client:{ip.ipv4_mapped}"
        return f"client:{ipaddress.ip_network((ip, 64), strict=False)}"
    return f"client:{ip}"


def _is_admin_user(user: str) -> bool:
    return hmac.compare_digest(user.encode("utf-8"), str(auth().user).encode("utf-8"))


def _known_browser(user: str) -> str | None:
    """The id of this browser when it logged in before as ``user`` with the current
    credentials (a signed cookie), else None."""
    raw = request.cookies.get(BROWSER_COOKIE)
    if not raw or not _is_admin_user(user):
        return None
    try:
        data = URLSafeTimedSerializer(current_app.secret_key, salt=BROWSER_SALT).loads(
            raw, max_age=BROWSER_DAYS * 86400)
    except BadSignature:
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("b"), str)
            or data.get("t") != credential_tag()[:16]):
        return None
    return data["b"]


def _throttle_keys(user: str) -> list[str]:
    browser = _known_browser(user)
    if browser:
        return [f"browser:{browser}"]
    keys = [client_key(request.remote_addr)]
    if _is_admin_user(user):  # unknown user names count against the client only
        keys.append(f"account:{auth().user}")
    return keys


def _record_failure(user: str) -> None:
    counts = _throttle().failed(_throttle_keys(user))
    log.info("failed admin logins so far: %s", ", ".join(f"{k} {n}" for k, n in counts.items()))


def _record_success(user: str) -> None:
    """Clear the counters of the client, the account and this browser; (re)mark the browser
    as known."""
    keys = [client_key(request.remote_addr), f"account:{user}"]
    browser = _known_browser(user)
    if browser:
        keys.append(f"browser:{browser}")
    _throttle().succeeded(keys)
    value = URLSafeTimedSerializer(current_app.secret_key, salt=BROWSER_SALT).dumps(
        {"b": secrets.token_urlsafe(16), "t": credential_tag()[:16]})
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))

    @after_this_request
    def _remember_browser(resp):
        resp.set_cookie(BROWSER_COOKIE, value, max_age=BROWSER_DAYS * 86400,
                        path=(request.script_root or "") + "/admin/", secure=secure,
                        httponly=True, samesite="Lax")
        return resp


# -- CSRF --------------------------------------------------------------------------------------
def csrf_token() -> str:
    """This session's CSRF token (made on first use); put it in every form."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_valid() -> bool:
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# the longest "next" URL a login follows
MAX_NEXT_URL = 2000


def safe_next(value: str | None) -> str | None:
    """A local admin URL to go to after logging in; anything else (other sites, the login
    page itself) is ignored."""
    if not value or len(value) > MAX_NEXT_URL or "\\" in value:
        return None
    parts = urlsplit(value)
    prefix = (request.script_root or "") + "/admin/"
    if parts.scheme or parts.netloc or not value.startswith(prefix) or value.startswith("//"):
        return None
    if parts.path == url_for("admin.login"):
        return None
    return value
