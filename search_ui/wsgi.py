"""Production entry points.

``search_ui.wsgi:app`` is the WSGI app for any server (gunicorn, waitress-serve, uWSGI); it
is built from the environment (``CCP_…`` settings) the first time it is looked up, so importing
this module for :func:`serve` has no side effects.

``ccp serve`` runs :func:`make_prefork_server` where gunicorn runs (Linux, macOS, the BSDs):
one master process and N pre-forked worker processes (one per core by default) sharing one
listening socket, so searches use every core; each worker opens the index read-only on its
first search and follows new generations by itself. Where gunicorn cannot run (Windows) it
falls back to :func:`make_server`, one waitress process with threads (one core).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable

from flask import Flask

from . import create_app

__all__ = ["app", "can_prefork", "make_prefork_server", "make_server", "serve"]

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


def can_prefork() -> bool:
    """True where gunicorn can pre-fork workers (POSIX with gunicorn installed)."""
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def prepare_to_fork(app: Flask) -> None:
    """Finish in this process what every worker would otherwise do on its own: wait for the
    background warm-up (a thread must not be running when the process forks: a lock it holds
    would stay held in the children) and compile the templates, so that the forked workers
    share them."""
    warming = app.extensions.get("ccp_warm_up")
    if warming is not None:
        warming.join()
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
        app.jinja_env.get_template(name)
    # what exists now lives as long as the workers: out of the collector's sight, its pages
    # stay shared with the master instead of being copied into each worker by a collection
    gc.collect()
    gc.freeze()


def make_prefork_server(app: Flask, host: str = "127.0.0.1", port: int = 8000, *,
                        workers: int = 2, threads: int = 4,
                        on_ready: Callable[[str, int], None] | None = None):
    """A gunicorn master serving ``app`` from ``workers`` forked processes; ``.run()`` serves
    until SIGTERM or Ctrl-C and then stops every worker (finishing requests in flight for up
    to 10 s). ``on_ready(host, port)`` is called in the master once the socket listens (port
    0: the port given by the system), before the workers start.

    The app is built before forking (``preload_app``): a settings error stops ``ccp serve``
    once, the translations and dictionaries loaded at start-up are shared between workers, and
    the search index and the catalogue are opened afterwards, in each worker, on first use.
    """
    from gunicorn.app.base import BaseApplication

    prepare_to_fork(app)
    behind_proxy = bool(app.config.get("CCP_PROXY_COUNT"))
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": max(1, workers),
        "threads": max(1, threads),
        # gthread: keep-alive, and a slow client holds one thread, not a whole worker
        "worker_class": "gthread",
        "preload_app": True,
        "graceful_timeout": 10,
        "timeout": 60,
        "keepalive": 5,
        "proc_name": "ccp-serve",
        # X-Forwarded-* only count behind configured proxies (the app's ProxyFix reads them)
        "forwarded_allow_ips": "*" if behind_proxy else "",
        "control_socket_disable": True,  # no ~/.gunicorn/gunicorn.ctl shared between portals
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }

    def when_ready(server) -> None:
        if on_ready is not None:
            bound = server.LISTENERS[0].sock.getsockname()
            on_ready(bound[0], bound[1])

    class PortalServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            self.cfg.set("when_ready", when_ready)

        def load(self) -> Flask:
            return app

    return PortalServer()
