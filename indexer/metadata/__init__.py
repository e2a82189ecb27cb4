"""What a page says about itself: title, description, dates, authors, language, licence.

Read from one lxml tree, in order of trust: JSON-LD (schema.org ``Article``, ``NewsArticle``,
``Report``, ``WebPage``, … including ``@graph`` documents and ``@id`` references), OpenGraph
(``og:*``, ``article:*``), Dublin Core (``DC.*``, ``dcterms.*``), plain ``<meta>`` tags,
``<link rel=canonical|license>``, ``<time datetime>``, ``<title>``, ``<h1>`` and ``<html lang>``.

Title, most trusted first: OpenGraph / Twitter / Dublin Core title, the JSON-LD headline, the
``<title>``, the article's ``<h1>``. Titles lose their site-name part ("Circular Strategy 2030 |
City of Ghent", "Stad Gent – Afvalplan") when the OpenGraph title, the headline, the ``<h1>``
or the caller's reference (a feed entry's title) agrees with the rest, or when the dropped part
is a name of the site: ``og:site_name``, ``application-name``, the JSON-LD publisher or web
site, the text of the page's links to its home page (the logo), or a name the caller knows
(the source's publisher). A ``<title>`` that is only the site's name, or that shares no word
with the article's ``<h1>``, is *generic*: the ``<h1>`` is the title then (the ``<h1>`` inside
``<article>``/``<main>``, else the page's first). :attr:`PageMetadata.title_source` says where
the title came from, so the normaliser can let a feed entry's title beat a weak one.

The *shown date* is the date printed near the title, in the article's header (a byline or
dateline, a ``<time>`` without ``datetime``): the normaliser's last resort for the publication
date, after the page's metadata and the feed's or sitemap's dates. Only the header region is
read, never the whole text, which can mention other dates (deadlines, events, history).

Where the page sits and how it is laid out (:mod:`.outline`, for the classifier): the breadcrumb
trail (JSON-LD ``BreadcrumbList``, ``nav[aria-label*=breadcrumb]``, ``.breadcrumb``), the
article's headings, its marked lead paragraph, and event markup with a start date.
"""

from __future__ import annotations

from .page import extract_metadata
from .record import PageMetadata
from .text import clean_author, is_site_name, share_words, strip_site_name

__all__ = ["PageMetadata", "clean_author", "extract_metadata", "is_site_name", "share_words",
           "strip_site_name"]
