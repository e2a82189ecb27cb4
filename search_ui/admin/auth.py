"""Who may use the admin: credentials, the session key, logins, and CSRF tokens.

- Credentials come from ``CCP_ADMIN_USER`` and ``CCP_ADMIN_PASSWORD`` (plain text, hashed at
  start-up with :func:`werkzeug.security.generate_password_hash`; only the hash stays in the
  app's config) or ``CCP_ADMIN_PASSWORD_HASH``. Without both a user and a password the admin
  is closed.
- Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax). The signing key is
  ``CCP_SECRET_KEY``, else one generated once into ``DATA_DIR/secret_key`` (mode 0600) so that
  every worker and every restart shares it. A session also carries a tag derived from the
  user and the password hash: changing either logs every session out.
- Every form carries a per-session CSRF token, checked with :func:`hmac.compare_digest` on
  every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, request, session
from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
SECRET_KEY_FILE = "secret_key"
_HASH_METHODS = ("scrypt", "pbkdf2")

HOW_TO_ENABLE = (
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
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(cfg["CCP_ADMIN_SESSION_HOURS"]))

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
        return _closed("No admin credentials are configured.")
    if not user:
        return _closed("CCP_ADMIN_USER is not set.")
    if not password_hash:
        return _closed("No admin password is set.")

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


# -- logins ------------------------------------------------------------------------------------
def _session_tag(a: AdminAuth) -> str:
    key = str(current_app.secret_key).encode()
    msg = f"{a.user}\0{a.password_hash}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def credentials_match(user: str, password: str) -> bool:
    """Compare in constant time; the password is checked even when the user is wrong, so a
    wrong user name takes as long to refuse as a wrong password."""
    a = auth()
    if not a.enabled:
        return False
    user_ok = hmac.compare_digest(user.encode("utf-8"), str(a.user).encode("utf-8"))
    password_ok = check_password_hash(str(a.password_hash), password)
    return user_ok and password_ok


def log_in() -> None:
    """Start a fresh session for the admin (a new CSRF token too)."""
    a = auth()
    session.clear()
    session.permanent = True
    session["user"] = a.user
    session["tag"] = _session_tag(a)
    session["csrf"] = secrets.token_urlsafe(32)
    log.info("admin %s logged in from %s", a.user, request.remote_addr)


def log_out() -> None:
    session.clear()


def current_user() -> str | None:
    """The logged-in admin, or None (also when the credentials changed since the login)."""
    a = auth()
    if not a.enabled:
        return None
    user, tag = session.get("user"), session.get("tag")
    if not isinstance(user, str) or not isinstance(tag, str) or user != a.user:
        return None
    if not hmac.compare_digest(tag.encode(), _session_tag(a).encode()):
        return None
    return user


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
