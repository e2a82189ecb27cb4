"""The core of the portal: the canonical record, normalisation, dedupe, the catalogue, the outbox and the search backends. Never imports Scrapy, Flask or APScheduler."""
