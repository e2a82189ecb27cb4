"""One small host on 127.0.0.1 for harvest tests: its pages, a sitemap naming them and a
robots.txt allowing everything, served from a thread until ``close()`` (or the ``with``)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SitemapSite:
    def __init__(self, pages: dict[str, bytes]):
        self.pages = dict(pages)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802 - stdlib name
                if self.path == "/sitemap.xml":
                    locs = "".join(f"<url><loc>{site.base}{p}</loc></url>" for p in site.pages)
                    body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/'
                            f'schemas/sitemap/0.9">{locs}</urlset>').encode()
                    ctype = "application/xml"
                elif self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif self.path in site.pages:
                    body, ctype = site.pages[self.path], "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SitemapSite:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
