"""The web app's own settings, declared once with their defaults and help text.

Portal-wide settings (data directory, catalogue URL, backend) live in :mod:`config.settings`;
these are the knobs of the pages only. ``create_app(test_config)`` and the Flask config can
override any of them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UISetting:
    name: str
    default: Any
    help: str


UI_SETTINGS: tuple[UISetting, ...] = (
    UISetting("CCP_PORTAL_NAME", "Circular City Portal", "The portal's name, shown on every page."),
    UISetting(
        "CCP_PORTAL_TAGLINE",
        "Circular-economy strategies, roadmaps, guides and good practices from EU bodies, "
        "URBACT and European cities — searchable in one place, in every language.",
        "The one-line description under the name.",
    ),
    UISetting("CCP_PER_PAGE", 10, "Results per page when the request does not say."),
    UISetting("CCP_FACET_VISIBLE", 6, "Facet values shown before 'show more'."),
    UISetting("CCP_PAGINATION_WINDOW", 2, "Page links shown either side of the current page."),
    UISetting("CCP_RETRY_AFTER", 30, "Seconds sent in Retry-After when search is unavailable."),
    UISetting("CCP_EXCERPT_CHARS", 3000, "Characters of body text shown on a resource page."),
    UISetting("CCP_FEED_SIZE", 30, "Entries in an Atom feed of a search."),
)


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in UI_SETTINGS}
