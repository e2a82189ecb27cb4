"""The portal's web app: server-rendered search pages, a JSON API and Atom feeds (Flask).

``create_app()`` is the app factory (as in the Flask tutorial). The catalogue and the search
backend are built from :class:`config.settings.Settings` unless injected, and kept in
``app.extensions["ccp"]`` (a :class:`Services`). The browser never reaches the search engine:
every query goes through the backend interface.

This package may import ``flask``, ``config`` and ``indexer`` — never ``harvesters``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from config.settings import Settings
from indexer.backends.base import SearchBackend
from indexer.query import MAX_PER_PAGE

from . import ui_settings
from .app_services import Services, services

log = logging.getLogger(__name__)

__all__ = ["Services", "create_app", "services"]


def create_app(
    test_config: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    catalogue=None,
    backend: SearchBackend | None = None,
) -> Flask:
    """Build the web app.

    ``test_config`` overrides Flask and UI settings (see :mod:`search_ui.ui_settings`; those
    marked ``env`` are read from the environment first);
    ``settings`` defaults to ``Settings.from_env()``; ``catalogue`` and ``backend`` are built
    from the settings unless given.
    """
    app = Flask(__name__)
    app.config.from_mapping(ui_settings.defaults())
    app.config.from_mapping(ui_settings.from_environ())
    if test_config:
        app.config.from_mapping(test_config)
    per_page = app.config["CCP_PER_PAGE"]
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"CCP_PER_PAGE must be a whole number from 1 to {MAX_PER_PAGE}")
    proxies = app.config.get("CCP_PROXY_COUNT") or 0
    if proxies:
        # behind reverse proxies: the client's address is the one the last N proxies saw
        # (X-Forwarded-For/-Proto/-Host), so login throttling counts clients, not the proxy
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    # Harvested text is untrusted: escape in every template, whatever its file name.
    app.jinja_env.autoescape = True

    if not app.config.get("TESTING"):
        # the decompounder's dictionaries take a few seconds to load: not on the first search
        from indexer.compounds import warm_up

        # a pre-forking server waits for it before forking (search_ui.wsgi.prepare_to_fork)
        app.extensions["ccp_warm_up"] = warm_up()
    settings = settings or Settings.from_env()
    app.extensions["ccp"] = Services(settings, catalogue=catalogue, backend=backend)

    from . import admin, api, errors, i18n, ics, views

    i18n.init_app(app)  # Flask-Babel, the /<language>/ prefix, the language cookie
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ics.bp)  # events as iCalendar
    admin.init_app(app)  # the operators' admin under /admin/ (closed without credentials)
    errors.register(app)
    errors.register_security_headers(app)
    views.register_template_helpers(app)
    return app
