"""Portal-wide settings, declared once with their help text.

Each setting is read from the environment (``CCP_…``) unless a command-line option overrides it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def _default_sources() -> str:
    return str(Path("config") / "sources")


@dataclass
class Settings:
    data_dir: Path = field(
        default=Path("var"),
        metadata={"env": "CCP_DATA_DIR", "help": "Where the catalogue, index and state live."},
    )
    sources: Path = field(
        default=Path(_default_sources()),
        metadata={"env": "CCP_SOURCES", "help": "A directory of source YAML files, or one file."},
    )
    search_backend: str = field(
        default="embedded",
        metadata={"env": "CCP_SEARCH_BACKEND", "help": "embedded (default) or elasticsearch."},
    )
    elasticsearch_url: str | None = field(
        default=None,
        metadata={"env": "CCP_ELASTICSEARCH_URL", "help": "Elasticsearch URL(s) for the "
                  "elasticsearch backend, comma-separated (e.g. https://es1:9200,https://es2:9200)."},
    )
    elasticsearch_index: str = field(
        default="ccp-resources",
        metadata={"env": "CCP_ELASTICSEARCH_INDEX", "help": "Alias the portal searches; each "
                  "build is an index <alias>-<UTC timestamp> behind it."},
    )
    elasticsearch_api_key: str | None = field(
        default=None, repr=False,
        metadata={"env": "CCP_ELASTICSEARCH_API_KEY", "secret": True,
                  "help": "Elasticsearch API key (environment only)."},
    )
    elasticsearch_username: str | None = field(
        default=None,
        metadata={"env": "CCP_ELASTICSEARCH_USERNAME", "help": "Elasticsearch basic-auth user."},
    )
    elasticsearch_password: str | None = field(
        default=None, repr=False,
        metadata={"env": "CCP_ELASTICSEARCH_PASSWORD", "secret": True,
                  "help": "Elasticsearch basic-auth password (environment only)."},
    )
    elasticsearch_ca_certs: Path | None = field(
        default=None,
        metadata={"env": "CCP_ELASTICSEARCH_CA_CERTS", "help": "CA bundle (PEM) that signed the "
                  "Elasticsearch server's certificate."},
    )
    database_url: str | None = field(
        default=None,
        metadata={"env": "CCP_DATABASE_URL", "help": "SQLAlchemy URL of the catalogue "
                  "(default: SQLite file catalogue.sqlite3 in the data dir)."},
    )
    user_agent: str = field(
        default="CircularCityPortalBot/0.1 (+https://circular-city-portal.eu/about/harvester)",
        metadata={"env": "CCP_USER_AGENT", "help": "User-Agent the harvester sends."},
    )
    download_timeout: float = field(
        default=30.0, metadata={"env": "CCP_DOWNLOAD_TIMEOUT", "help": "Seconds per request."}
    )
    max_response_bytes: int = field(
        default=10 * 1024 * 1024,
        metadata={"env": "CCP_MAX_RESPONSE_BYTES", "help": "Larger responses are skipped."},
    )
    retry_times: int = field(
        default=2, metadata={"env": "CCP_RETRY_TIMES", "help": "Retries of a failed request."}
    )
    download_delay: float = field(
        default=1.0,
        metadata={"env": "CCP_DOWNLOAD_DELAY", "help": "Base seconds between requests to a host "
                  "(AutoThrottle adapts it)."},
    )
    concurrent_per_host: int = field(
        default=2, metadata={"env": "CCP_CONCURRENT_PER_HOST", "help": "Parallel requests per host."}
    )
    harvest_timeout: float = field(
        default=3600.0,
        metadata={"env": "CCP_HARVEST_TIMEOUT", "help": "Seconds a harvest run may take."},
    )

    lock_stale_seconds: float = field(
        default=300.0,
        metadata={"env": "CCP_LOCK_STALE_SECONDS", "help": "A source's run lock with no heartbeat "
                  "for this long is stale (its holder died) and may be taken over."},
    )

    backoff_base_seconds: float = field(
        default=300.0,
        metadata={"env": "CCP_BACKOFF_BASE_SECONDS", "help": "A failing source waits this long "
                  "after its first failure, doubling with each further failure (up to a day)."},
    )
    failing_after: int = field(
        default=2,
        metadata={"env": "CCP_FAILING_AFTER", "help": "Consecutive failed runs after which a "
                  "source counts as failing (and operators are notified)."},
    )
    webhook_url: str | None = field(
        default=None,
        metadata={"env": "CCP_WEBHOOK_URL", "help": "Where health changes of sources are POSTed "
                  "as JSON (optional)."},
    )

    revalidate_days: float = field(
        default=7.0,
        metadata={"env": "CCP_REVALIDATE_DAYS", "help": "A feed or sitemap that keeps answering "
                  "304 is fetched in full after this many days, so pages edited without the "
                  "listing changing are noticed (their own requests stay conditional)."},
    )

    allowed_private_addresses: str = field(
        default="",
        metadata={"env": "CCP_ALLOWED_PRIVATE_ADDRESSES", "help": "Comma-separated CIDR ranges "
                  "of private, loopback or link-local addresses the harvester may fetch from "
                  "(default: none; every other private address is refused, checked on the "
                  "resolved address of every request). Named after Mastodon's "
                  "ALLOWED_PRIVATE_ADDRESSES."},
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = f.metadata.get("env")
            if overrides.get(f.name) is not None:
                raw = overrides[f.name]
            elif name and env.get(name):
                raw = env[name]
            else:
                continue
            try:
                values[f.name] = _coerce(f.type, raw)
            except ValueError:
                source = f"--{f.name.replace('_', '-')}" if overrides.get(f.name) is not None \
                    else name
                raise ValueError(f"{source}={raw!r}: expected {f.type}") from None
        s = cls(**values)
        s.data_dir = Path(s.data_dir)
        s.sources = Path(s.sources)
        return s

    @property
    def catalogue_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'catalogue.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


def _coerce(typ, raw):
    t = str(typ)
    if "Path" in t:
        return Path(raw)
    if t.startswith("int"):
        return int(raw)
    if t.startswith("float"):
        return float(raw)
    return raw
