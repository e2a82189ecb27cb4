"""Production entry points.

``search_ui.wsgi:app`` is the WSGI app for any server (gunicorn, waitress-serve, uWSGI); it
is built from the environment (``CCP_…`` settings) the first time it is looked up, so importing
this module for :func:`serve` has no side effects. ``ccp serve`` calls :func:`serve`.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from . import create_app

__all__ = ["app", "make_server", "serve"]

log = logging.getLogger(__name__)

_app: Flask | None = None
_lock = threading.Lock()


def __getattr__(name: str):
    # PEP 562: ``from search_ui.wsgi import app`` and ``getattr(module, "app")`` build it lazily.
    global _app
    if name == "app":
        with _lock:
            if _app is None:
                _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 8):
    """A bound waitress server for ``app`` (``port=0``: any free port, see ``.effective_port``).

    Call ``.run()`` to serve until interrupted and ``.close()`` to release the socket.
    """
    from waitress import create_server

    # behind reverse proxies (CCP_PROXY_COUNT) the app's ProxyFix reads X-Forwarded-*: waitress
    # must pass those headers on instead of dropping them as untrusted
    behind_proxy = bool(app.config.get("CCP_PROXY_COUNT"))
    return create_server(app, host=host, port=port, threads=threads, ident="ccp",
                         clear_untrusted_proxy_headers=not behind_proxy)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve ``app`` with waitress until interrupted (a production-grade pure-Python server)."""
    server = make_server(app, host=host, port=port, threads=threads)
    log.info("serving %s on http://%s:%s/ with %d threads", app.name, server.effective_host,
             server.effective_port, threads)
    try:
        server.run()
    finally:
        server.close()
