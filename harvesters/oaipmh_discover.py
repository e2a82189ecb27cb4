"""Discovery of an OAI-PMH provider for ``ccp sources add``: a URL whose answer is an OAI-PMH
envelope (a base URL answers ``badVerb``, a URL with ``?verb=...`` its verb) is the provider's
base URL; ``Identify`` names the repository and ``ListSets`` lists what the operator can
restrict the source to. Mixed into the discovery spider of :mod:`.discover`.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import scrapy

from .oaipmh import verb_url
from .oaipmh_xml import OAI_NS, NotOaiPmh, errors_of, parse_envelope, parse_identify, parse_sets

MAX_SET_PAGES = 5  # ListSets pages read while discovering (the sets shown are a preview)
SETS_SHOWN = 20


def oai_base_url(body: bytes, url: str) -> str | None:
    """The base URL of the provider when ``body`` is an OAI-PMH answer, else None."""
    try:
        root = parse_envelope(body)
    except NotOaiPmh:
        return None
    request = root.find(f"{{{OAI_NS}}}request")
    stated = (request.text or "").strip() if request is not None else ""
    parts = urlsplit(url)
    own = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    # the provider's own statement, when it names the host we asked (no redirect elsewhere)
    if stated.startswith(("http://", "https://")) and urlsplit(stated).netloc == parts.netloc:
        return stated
    return own


class OaiDiscoveryMixin:
    """``oai_probe`` in the page callback; the result's candidates and notes get the rest.
    The spider sets ``discovery`` (the :class:`~harvesters.discover.Discovery`) and
    ``new_candidate`` (its ``Candidate`` class)."""

    discovery = None
    new_candidate = None

    def oai_probe(self, response):
        """Requests that identify the provider when the page is an OAI-PMH answer."""
        base = oai_base_url(response.body, response.url)
        if base is None:
            return []
        return [scrapy.Request(verb_url(base, verb="Identify"), callback=self.oai_identify,
                               errback=self.failed, dont_filter=True,
                               meta={"what": "OAI-PMH Identify", "base": base})]

    def oai_identify(self, response):
        base = response.meta["base"]
        try:
            root = parse_envelope(response.body)
            errors = errors_of(root)
            if errors:
                raise NotOaiPmh(f"Identify answered the error {errors[0][0]}: {errors[0][1]}")
            ident = parse_identify(root)
        except NotOaiPmh as exc:
            self.discovery.notes.append(f"{response.url} looks like OAI-PMH but {exc}")
            return
        meta = {"what": "OAI-PMH ListSets", "base": base, "identify": ident, "sets": [],
                "page": 1}
        yield scrapy.Request(verb_url(base, verb="ListSets"), callback=self.oai_sets,
                             errback=self.oai_sets_failed, dont_filter=True, meta=meta)

    def oai_sets(self, response):
        meta = response.meta
        try:
            root = parse_envelope(response.body)
            sets, token = parse_sets(root)
        except NotOaiPmh as exc:
            self.discovery.notes.append(f"the sets of {meta['base']} cannot be read: {exc}")
            sets, token = [], None
        meta["sets"].extend(sets)
        if token and meta["page"] < MAX_SET_PAGES:
            yield scrapy.Request(verb_url(meta["base"], verb="ListSets", resumptionToken=token),
                                 callback=self.oai_sets, errback=self.oai_sets_failed,
                                 dont_filter=True, meta={**meta, "page": meta["page"] + 1})
            return
        self._oai_candidate(meta)

    def oai_sets_failed(self, failure):
        self.failed(failure)
        self._oai_candidate(failure.request.meta)

    def _oai_candidate(self, meta) -> None:
        ident, sets = meta["identify"], meta["sets"]
        name = ident.repository_name or meta["base"]
        how = f"OAI-PMH provider {name!r} (deleted records: {ident.deleted_record})"
        if sets:
            shown = ", ".join(f"{spec} ({label})" if label else spec
                              for spec, label in sets[:SETS_SHOWN])
            more = f" and {len(sets) - SETS_SHOWN} more" if len(sets) > SETS_SHOWN else ""
            how += f"; its sets (restrict the source with 'sets'): {shown}{more}"
        else:
            how += "; it has no sets: the whole repository is harvested"
        self.discovery.candidates.append(
            self.new_candidate({"type": "oai-pmh", "url": meta["base"]}, how, 0))
