"""The fixture sites' interface words and dates, in their languages.

The words and month names are data: ``labels.yaml`` beside this module, read once at import.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

_DATA = yaml.safe_load((Path(__file__).resolve().parent / "labels.yaml").read_text(encoding="utf-8"))

LABELS: dict[str, dict[str, str]] = _DATA["labels"]
MONTHS: dict[str, list[str]] = _DATA["months"]


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])


def visible_date(when: datetime, lang: str) -> str:
    months = MONTHS.get(lang)
    if months is None:
        return when.date().isoformat()
    name = months[when.month - 1]
    if lang == "en":
        return f"{when.day} {name} {when.year}"
    if lang == "pt":
        return f"{when.day} de {name} de {when.year}"
    if lang == "lt":
        return f"{when.year} m. {name} {when.day} d."
    if lang == "no":
        return f"{when.day}. {name} {when.year}"
    return f"{when.day} {name} {when.year}"
