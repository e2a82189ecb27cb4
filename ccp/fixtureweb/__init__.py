"""A local web of fixture sites that imitates the real publishers, for tests and ``ccp demo``.

>>> from ccp.fixtureweb import FixtureWeb
>>> with FixtureWeb() as web:                      # doctest: +SKIP
...     web.url("euhub", "/feed.xml")
'http://127.0.0.1:40123/feed.xml'

Sites: ``euhub``, ``urbact``, ``denhaag``, ``porto``, ``prato``, ``kaunas``, ``oslo`` (content
from ``content/*.yaml``) and ``trouble`` (failure endpoints). See :mod:`.server` for the
API and :mod:`.sites` for the URL layout of each site.
"""

from .content_loader import Article, ContentError, SiteContent, load_content
from .pdf import make_pdf
from .server import FixtureWeb, RequestRecord, Site

__all__ = [
    "Article",
    "ContentError",
    "FixtureWeb",
    "RequestRecord",
    "Site",
    "SiteContent",
    "load_content",
    "make_pdf",
]
