"""The harvester's guard against server-side request forgery, at connection time.

Three pieces, wired in :func:`harvesters.http.scrapy_settings`:

- :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``) resolves host names with getaddrinfo
  (IPv4 and IPv6) and hands Twisted only the addresses the policy allows. Twisted's
  ``HostnameEndpoint`` (used by Scrapy's HTTP/1.1 handler for every http and https request)
  sends every host through the reactor's name resolver — IP literals and numeric forms such as
  ``2130706433`` included — and connects only to what the resolver returned, so the address
  checked is the address connected to: DNS rebinding cannot slip past it.
- :class:`NetGuardMiddleware` (first downloader middleware) refuses, before anything is sent,
  a URL whose scheme is not http or https, a host that is an IP literal outside the policy, and
  a redirect whose target is not http or https; redirects to http(s) come back through it as
  new requests.
- :class:`RefusalMiddleware` turns the "no address" failure of a host whose every address
  was refused into :class:`RefusedAddress` (before the retry middleware would retry it).

A refusal is reported by :func:`harvesters.http.describe_failure` as kind ``refused``, with
the URL, the address and the setting that would allow it.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.resolver import CachingHostnameResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import provider

from config.netpolicy import SCHEMES, SETTING, parse_allowance, refusal

log = logging.getLogger(__name__)

REDIRECT_CODES = (301, 302, 303, 307, 308)

# host name -> the refusal of its last resolution, when every address it resolved to was
# refused (read by RefusalMiddleware to explain the failed connection)
_refused_hosts: dict[str, str] = {}


class RefusedAddress(IgnoreRequest):
    """A request the policy does not allow (its scheme or its address)."""

    def __init__(self, url: str, why: str):
        super().__init__(f"{url}: refused: {why}")
        self.url = url
        self.why = why


def _host_key(host: str | bytes | None) -> str:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return (host or "").strip("[]").lower()


def scheme_refusal(url: str) -> str | None:
    scheme = urlsplit(url).scheme.lower()
    if scheme in SCHEMES:
        return None
    return f"{scheme or 'no scheme'}: is not fetched (only http and https are)"


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


@provider(IResolutionReceiver)
class _FilteringReceiver:
    """Passes on only the allowed addresses; remembers why a host got none."""

    def __init__(self, receiver, host: str, allowance):
        self.receiver = receiver
        self.host = host
        self.allowance = allowance
        self.passed = 0
        self.refused: list[str] = []

    def resolutionBegan(self, resolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        why = refusal(str(address.host), self.allowance)
        if why is None:
            self.passed += 1
            self.receiver.addressResolved(address)
        else:
            self.refused.append(why)

    def resolutionComplete(self) -> None:
        key = _host_key(self.host)
        if self.passed:
            _refused_hosts.pop(key, None)
        elif self.refused:
            _refused_hosts[key] = self.refused[0]
            log.warning("refused to connect to %s: %s", self.host, self.refused[0])
        self.receiver.resolutionComplete()


class GuardedResolver(CachingHostnameResolver):
    """Scrapy's caching getaddrinfo resolver (IPv4 and IPv6), handing Twisted only the
    addresses :func:`config.netpolicy.refusal` allows."""

    def __init__(self, reactor, cache_size: int, allowance: str = ""):
        super().__init__(reactor, cache_size)
        self.allowance = parse_allowance(allowance)

    @classmethod
    def from_crawler(cls, crawler, reactor):
        size = crawler.settings.getint("DNSCACHE_SIZE") \
            if crawler.settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, size, crawler.settings.get(SETTING, ""))

    def resolveHostName(self, resolutionReceiver, hostName, portNumber=0, addressTypes=None,
                        transportSemantics="TCP"):
        guarded = _FilteringReceiver(resolutionReceiver, hostName, self.allowance)
        return super().resolveHostName(guarded, hostName, portNumber, addressTypes,
                                       transportSemantics)


class NetGuardMiddleware:
    """Refuses a request before it is sent: a scheme other than http/https, an IP-literal host
    outside the policy, a redirect to a scheme other than http/https."""

    def __init__(self, allowance: str):
        self.allowance = parse_allowance(allowance)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get(SETTING, ""))

    def process_request(self, request, spider=None):
        why = scheme_refusal(request.url)
        if why is None:
            ip = _literal(_host_key(urlparse_cached(request).hostname))
            why = refusal(ip, self.allowance) if ip is not None else None
        if why:
            raise RefusedAddress(request.url, why)
        return None

    def process_response(self, request, response, spider=None):
        # Scrapy's redirect middleware hands back a redirect to another scheme unfollowed
        location = response.headers.get(b"Location") if response.status in REDIRECT_CODES else None
        if location:
            target = urljoin(request.url, location.decode("latin-1").strip())
            why = scheme_refusal(target)
            if why:
                raise RefusedAddress(target, why)
        return response


class RefusalMiddleware:
    """Explains a connection that failed because every address of its host was refused."""

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            why = _refused_hosts.get(_host_key(urlparse_cached(request).hostname))
            if why:
                raise RefusedAddress(request.url, why)
        return None


def middlewares() -> dict[str, Any]:
    """The downloader middlewares of the guard, by priority (see the module's docstring)."""
    return {"harvesters.netguard.NetGuardMiddleware": 50,
            "harvesters.netguard.RefusalMiddleware": 570}
