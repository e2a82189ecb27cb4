"""``python -m ccp.fixtureweb``: serve the fixture web until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .server import FixtureWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ccp.fixtureweb", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--sample", action="store_true",
                        help="serve the small built-in sample content instead of content/*.yaml")
    parser.add_argument("--write-sources", metavar="DIR",
                        help="also write the demo source definitions as YAML into DIR")
    args = parser.parse_args(argv)
    web = FixtureWeb(host=args.host, content="sample" if args.sample else None)
    with web:
        width = max(len(name) for name in web.sites)
        for name, site in web.sites.items():
            print(f"{name:<{width}}  {site.base_url}/  {site.title}", flush=True)
        if args.write_sources:
            for path in web.write_demo_sources(args.write_sources):
                print(f"wrote {path}", flush=True)
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nStopping.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
