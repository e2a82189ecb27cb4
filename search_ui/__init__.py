"""The portal's web app: server-rendered search pages, a JSON API and Atom feeds (Flask).

``create_app()`` is the app factory (as in the Flask tutorial). The catalogue and the search
backend are built from :class:`config.settings.Settings` unless injected, and kept in
``app.extensions["ccp"]`` (a :class:`Services`). The browser never reaches the search engine:
every query goes through the backend interface.

This package may import ``flask``, ``config`` and ``indexer`` — never ``harvesters``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app

from config.settings import Settings
from indexer.backends.base import BackendUnavailable, SearchBackend
from indexer.query import MAX_PER_PAGE

from . import ui_settings

log = logging.getLogger(__name__)

__all__ = ["Services", "create_app", "services"]


class Services:
    """The catalogue and the search backend one app talks to.

    The backend is opened on first use, not at start-up: an index that is missing or broken
    makes searches answer 503 (and ``/healthz`` say why) instead of stopping the app, and the
    app recovers by itself once the index is there.
    """

    def __init__(self, settings: Settings, catalogue=None, backend: SearchBackend | None = None):
        self.settings = settings
        self._catalogue = catalogue
        self._backend = backend
        self._lock = threading.Lock()

    @property
    def catalogue(self):
        if self._catalogue is None:
            with self._lock:
                if self._catalogue is None:
                    from indexer.catalogue import Catalogue

                    catalogue = Catalogue(self.settings.catalogue_url)
                    try:
                        catalogue.create_all()  # a fresh data dir shows an empty portal
                    except Exception as exc:  # reported by /healthz, never fatal here
                        log.warning("catalogue not ready: %s", exc)
                    self._catalogue = catalogue
        return self._catalogue

    @property
    def backend(self) -> SearchBackend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    from indexer.backends import get_backend

                    try:
                        self._backend = get_backend(self.settings)
                    except BackendUnavailable:
                        raise
                    except Exception as exc:
                        raise BackendUnavailable(
                            f"the search index cannot be opened: {exc}"
                        ) from exc
        return self._backend

    def source_names(self) -> dict[str, str]:
        """Source id → name; ids stand in for names when the catalogue cannot answer."""
        try:
            return dict(self.catalogue.source_names())
        except Exception as exc:
            log.warning("source names unavailable: %s", exc)
            return {}


def services() -> Services:
    """The :class:`Services` of the current app."""
    return current_app.extensions["ccp"]


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

    settings = settings or Settings.from_env()
    app.extensions["ccp"] = Services(settings, catalogue=catalogue, backend=backend)

    from . import admin, api, errors, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    admin.init_app(app)  # the operators' admin under /admin/ (closed without credentials)
    errors.register(app)
    errors.register_security_headers(app)
    views.register_template_helpers(app)
    return app
