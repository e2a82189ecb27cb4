"""Operator data (sources, taxonomy, settings) and the models that validate it."""

from .loader import ConfigProblem, SourceConfigError, load_source_file, load_sources
from .models import (
    COUNTRIES,
    LANGUAGES,
    CrawlSource,
    FeedSource,
    Selectors,
    SitemapSource,
    SourceBase,
    SourceConfig,
)
from .settings import Settings

__all__ = [
    "COUNTRIES", "LANGUAGES", "ConfigProblem", "CrawlSource", "FeedSource", "Selectors",
    "Settings", "SitemapSource", "SourceBase", "SourceConfig", "SourceConfigError",
    "load_source_file", "load_sources",
]
