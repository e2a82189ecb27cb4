"""The operators' admin under ``/admin/``: sources and their health, run reports with errors
grouped by cause, "run now", enable/disable, and adding a source from a URL.

The web app never harvests: it queues *tasks* in the catalogue, which the scheduler process
(``ccp schedule`` or ``ccp up``) picks up within seconds and runs. Source files are the
source of truth for configuration; the admin edits them through :mod:`config.editing`.

The admin is closed (every page says how to open it) until a user and a password are
configured; see :mod:`search_ui.admin.auth` (server-side sessions in the catalogue, and the
login throttle that answers 429 instead of making anyone wait).
"""

from __future__ import annotations

from flask import Flask

from . import auth
from .views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Configure the admin's credentials and session key, put the login throttle in front of
    the login form, and register the blueprint."""
    settings = app.extensions["ccp"].settings
    app.extensions["ccp_admin"] = auth.configure(app, settings.data_dir)
    app.before_request(auth.login_gate)  # runs before the blueprint's own checks
    app.register_blueprint(bp)
