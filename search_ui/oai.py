"""The portal's OAI-PMH 2.0 provider at ``/oai``, so that national portals and libraries
harvest it.

All six verbs, by GET or POST (form-encoded); metadata in ``oai_dc`` (:mod:`.oai_xml`); sets
per theme (``theme:<key>``) and per resource type (``type:<key>``) named from the taxonomy;
``from``/``until`` on the records' datestamps, to the second in UTC; stateless, signed
resumption tokens over a keyset cursor (:mod:`.oai_tokens`); identifiers
``oai:<repository host>:<resource id>``; deleted records kept for ever (``persistent``): a
removed or merged resource id, and a resource none of whose instances is live any more. The
catalogue's side is :mod:`indexer.catalogue.oai`.

Settings (:mod:`.ui_settings`): ``CCP_OAI_REPOSITORY_HOST`` (the host in identifiers; default
the host the request came in on), ``CCP_OAI_ADMIN_EMAIL``, ``CCP_OAI_PAGE_SIZE``,
``CCP_OAI_TOKEN_HOURS``; the repository's name is ``CCP_PORTAL_NAME``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from indexer.catalogue import OaiFilter, OaiHeader
from indexer.resource import utcnow

from .app_services import services
from .i18n import base_script_root
from .oai_tokens import (
    BadDate,
    BadToken,
    ListState,
    datestamp,
    decode_token,
    encode_token,
    parse_range,
)
from .oai_xml import (
    OAI,
    OAI_DC,
    SCHEMA_OAI_DC,
    Envelope,
    dc_record,
    element,
    header_element,
    identify_description,
    serialise,
    set_description,
)
from .searching import RESOURCE_ID_RE

log = logging.getLogger(__name__)

bp = Blueprint("oai", __name__)

PREFIX = "oai_dc"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
# the verbs, the arguments each requires and allows, and whether it takes a resumptionToken
ARGUMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "Identify": ((), (), False),
    "ListMetadataFormats": ((), ("identifier",), False),
    "ListSets": ((), (), True),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), True),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), True),
    "GetRecord": (("identifier", "metadataPrefix"), (), False),
}
# a repositoryIdentifier as the oai-identifier scheme allows it (a domain name)
_DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$")


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Repo:
    """What one request needs to know about the repository."""

    host: str
    root: str  # the portal's address without a language prefix
    now: datetime

    @property
    def base_url(self) -> str:
        return f"{self.root}/oai"

    def page_url(self, rid: str) -> str:
        return f"{self.root}/resource/{rid}"

    def identifier(self, rid: str) -> str:
        return f"oai:{self.host}:{rid}"

    def resource_id(self, identifier: str) -> str:
        head = f"oai:{self.host}:"
        rid = identifier[len(head):] if identifier.startswith(head) else ""
        if not RESOURCE_ID_RE.match(rid):
            raise OaiError("idDoesNotExist", f"{identifier} is not an identifier of this "
                           f"repository (they look like {self.identifier('<resource id>')})")
        return rid


@bp.after_request
def _cors(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"  # read-only: anyone may harvest
    return resp


@bp.route("/oai", methods=["GET", "POST"])
def endpoint():
    repo = Repo(_repository_host(), f"{request.scheme}://{request.host}{base_script_root()}",
                utcnow())
    raw = request.form if request.method == "POST" else request.args
    try:
        verb, args = _arguments(raw)
    except OaiError as exc:
        return _answer(_failed(repo, None, exc))
    env = Envelope(repo.now, repo.base_url, args)
    try:
        HANDLERS[verb](env, args, repo)
    except OaiError as exc:
        env = _failed(repo, None if exc.code == "badArgument" else args, exc)
    except SQLAlchemyError as exc:
        log.error("OAI-PMH %s: the catalogue cannot be read: %s", verb, exc)
        retry = str(current_app.config.get("CCP_RETRY_AFTER", 30))
        return Response("The catalogue cannot be read just now; try again later.\n", 503,
                        {"Retry-After": retry, "Content-Type": "text/plain; charset=utf-8"})
    return _answer(env)


def _failed(repo: Repo, args: dict[str, str] | None, exc: OaiError) -> Envelope:
    env = Envelope(repo.now, repo.base_url, args)
    env.error(exc.code, exc.message)
    return env


def _answer(env: Envelope) -> Response:
    return Response(serialise(env), 200, {"Content-Type": "text/xml; charset=utf-8"})


def _repository_host() -> str:
    configured = current_app.config.get("CCP_OAI_REPOSITORY_HOST")
    if configured:
        return str(configured).strip().lower()
    return (urlsplit(f"//{request.host}").hostname or "localhost").lower()


def _arguments(raw) -> tuple[str, dict[str, str]]:
    """The verb and its arguments; badVerb or badArgument when the protocol refuses them."""
    verbs = raw.getlist("verb")
    if len(verbs) != 1:
        raise OaiError("badVerb", "the verb argument is missing" if not verbs
                       else "the verb argument is repeated")
    verb = verbs[0]
    if verb not in ARGUMENTS:
        raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb")
    required, optional, resumable = ARGUMENTS[verb]
    args: dict[str, str] = {}
    for name in raw:
        if name == "verb":
            continue
        values = raw.getlist(name)
        if len(values) > 1:
            raise OaiError("badArgument", f"the argument {name} is repeated")
        allowed = (*required, *optional, *(("resumptionToken",) if resumable else ()))
        if name not in allowed:
            raise OaiError("badArgument", f"{verb} takes no argument {name}")
        args[name] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument: "
                           "send it alone with the verb")
    else:
        missing = [n for n in required if n not in args]
        if missing:
            raise OaiError("badArgument", f"{verb} needs the argument {', '.join(missing)}")
    return verb, {"verb": verb, **args}


# -- the verbs ------------------------------------------------------------------------------
def identify(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    cfg = current_app.config
    earliest = services().catalogue.oai_earliest() or repo.now
    el = env.verb("Identify")
    for tag, text in (("repositoryName", cfg["CCP_PORTAL_NAME"]), ("baseURL", repo.base_url),
                      ("protocolVersion", "2.0"), ("adminEmail", cfg["CCP_OAI_ADMIN_EMAIL"]),
                      ("earliestDatestamp", datestamp(earliest)),
                      ("deletedRecord", "persistent"), ("granularity", GRANULARITY)):
        _text(el, tag, text)
    if _DOMAIN.match(repo.host):
        identify_description(el, repo.host, repo.identifier("0123456789abcdef0123"))


def list_metadata_formats(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    if "identifier" in args:
        header = _header(args["identifier"], repo)
        if header.deleted:
            raise OaiError("noMetadataFormats", f"{args['identifier']} is deleted: it has no "
                           "metadata any more")
    fmt = _text(env.verb("ListMetadataFormats"), "metadataFormat")
    for tag, text in (("metadataPrefix", PREFIX), ("schema", SCHEMA_OAI_DC),
                      ("metadataNamespace", OAI_DC)):
        _text(fmt, tag, text)


def list_sets(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets is never split into parts here: "
                       "there is no resumptionToken to continue")
    el = env.verb("ListSets")
    for spec, name, description in _sets():
        s = _text(el, "set")
        _text(s, "setSpec", spec)
        _text(s, "setName", name)
        if description:
            set_description(s, description)


def get_record(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    header = _header(args["identifier"], repo)
    _check_prefix(args["metadataPrefix"])
    _records(env.verb("GetRecord"), [header], repo)


def list_identifiers(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    _list(env, args, repo, "ListIdentifiers")


def list_records(env: Envelope, args: dict[str, str], repo: Repo) -> None:
    _list(env, args, repo, "ListRecords")


def _list(env: Envelope, args: dict[str, str], repo: Repo, verb: str) -> None:
    state = _list_state(args, repo, verb)
    flt = _filter(state)
    size = int(current_app.config["CCP_OAI_PAGE_SIZE"]) * (2 if verb == "ListIdentifiers" else 1)
    after = None if state.sent == 0 else (state.last_stamp, state.last_id)
    catalogue = services().catalogue
    page = catalogue.oai_headers(flt, after, size + 1)
    more, page = len(page) > size, page[:size]
    if not page:
        raise OaiError("noRecordsMatch", "no records match the request")
    el = env.verb(verb)
    if verb == "ListIdentifiers":
        for h in page:
            header_element(el, h, repo.identifier(h.id))
    else:
        _records(el, page, repo)
    sent = state.sent + len(page)
    total = max(state.total, sent + (1 if more else 0))
    attrs = {"completeListSize": str(total), "cursor": str(state.sent)}
    if more:
        hours = float(current_app.config["CCP_OAI_TOKEN_HOURS"])
        nxt = replace(state, last_stamp=page[-1].stamp, last_id=page[-1].id, sent=sent,
                      total=total, expires=repo.now + timedelta(hours=hours))
        token = _text(el, "resumptionToken", encode_token(nxt, _token_key()), **attrs)
        token.set("expirationDate", datestamp(nxt.expires))
    elif state.sent:
        _text(el, "resumptionToken", None, **attrs)  # the last part of a list


def _list_state(args: dict[str, str], repo: Repo, verb: str) -> ListState:
    """Where the list stands: from its resumptionToken, or the start of a new list."""
    if "resumptionToken" in args:
        try:
            state = decode_token(args["resumptionToken"], _token_key(), repo.now)
        except BadToken as exc:
            raise OaiError("badResumptionToken", str(exc)) from None
        if state.verb != verb:
            raise OaiError("badResumptionToken", f"the resumptionToken continues a "
                           f"{state.verb} list, not {verb}")
        return state
    try:
        parse_range(args.get("from"), args.get("until"))
    except BadDate as exc:
        raise OaiError("badArgument", str(exc)) from None
    _check_prefix(args["metadataPrefix"])
    state = ListState(verb, args["metadataPrefix"], args.get("set"), args.get("from"),
                      args.get("until"), repo.now, "", 0, 0, repo.now)
    flt = _filter(state)
    return replace(state, total=services().catalogue.oai_count(flt))


def _filter(state: ListState) -> OaiFilter:
    since, before = parse_range(state.since, state.until)
    kind = key = None
    if state.set_spec is not None:
        kind, _, key = state.set_spec.partition(":")
        known = {spec for spec, _, _ in _sets()}
        if state.set_spec not in known:
            raise OaiError("noRecordsMatch", f"there is no set {state.set_spec!r} (ListSets "
                           "names them)")
    return OaiFilter(since=since, before=before, set_kind=kind, set_key=key or None)


def _check_prefix(prefix: str) -> None:
    if prefix != PREFIX:
        raise OaiError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not "
                       f"offered: this repository disseminates {PREFIX}")


def _header(identifier: str, repo: Repo) -> OaiHeader:
    header = services().catalogue.oai_header(repo.resource_id(identifier))
    if header is None:
        raise OaiError("idDoesNotExist", f"{identifier} is not in this repository")
    return header


def _records(parent, headers: list[OaiHeader], repo: Repo) -> None:
    """``record`` elements: the header, and the metadata of those that are not deleted."""
    wanted = [h.id for h in headers if not h.deleted]
    found = {r.id: r for r in services().catalogue.get_resources(wanted)}
    labels = _labels()
    for h in headers:
        res = found.get(h.id)
        if res is None and not h.deleted:  # removed since the header was read
            h = replace(h, deleted=True)
        record = _text(parent, "record")
        header_element(record, h, repo.identifier(h.id))
        if res is not None and not h.deleted:
            dc_record(_text(record, "metadata"), res, repo.page_url(h.id), labels)


def _text(parent, tag: str, text: str | None = None, **attrs: str):
    return element(parent, f"{{{OAI}}}{tag}", text, **attrs)


@lru_cache(maxsize=1)
def _taxonomy_entries() -> tuple[tuple[str, str, str, str], ...]:
    """(kind, key, English label, English description) of every type and theme."""
    from config.taxonomy import default_taxonomy

    tax = default_taxonomy()
    out = []
    for kind, entries in (("type", tax.types), ("theme", tax.themes)):
        for key, spec in entries.items():
            out.append((kind, key, spec.label, spec.descriptions.get("en", "")))
    return tuple(out)


def _labels() -> dict[tuple[str, str], str]:
    return {(kind, key): label for kind, key, label, _ in _taxonomy_entries()}


def _sets() -> list[tuple[str, str, str]]:
    """(setSpec, setName, description) of every set, the two kinds before their members."""
    out = [("type", "Resource types", "Every resource, by its type."),
           ("theme", "Themes", "Every resource about one of the portal's themes, by theme.")]
    for kind, key, label, description in _taxonomy_entries():
        out.append((f"{kind}:{key}", label, description))
    return out


def _token_key() -> bytes:
    """The key resumption tokens are signed with: from the portal's secret key (the one the
    admin's sessions use, DATA_DIR/secret_key unless CCP_SECRET_KEY is set)."""
    key = current_app.extensions.get("ccp_oai_key")
    if key is None:
        cfg = current_app.config
        secret = cfg.get("SECRET_KEY") or cfg.get("CCP_SECRET_KEY")
        if not secret:
            from .admin.auth import load_secret_key

            settings = services().settings
            try:
                secret = load_secret_key(settings.data_dir)
            except (OSError, ValueError) as exc:
                log.warning("OAI-PMH resumption tokens are signed with a key made from the "
                            "catalogue URL: no secret key can be stored (%s)", exc)
                secret = f"catalogue {settings.catalogue_url}"
        key = hashlib.sha256(b"oai-pmh resumption token\n" + str(secret).encode()).digest()
        current_app.extensions["ccp_oai_key"] = key
    return key


HANDLERS = {
    "Identify": identify, "ListMetadataFormats": list_metadata_formats, "ListSets": list_sets,
    "ListIdentifiers": list_identifiers, "ListRecords": list_records, "GetRecord": get_record,
}


@bp.record_once
def _check_settings(state) -> None:
    cfg = state.app.config
    size = cfg["CCP_OAI_PAGE_SIZE"]
    if not isinstance(size, int) or not 1 <= size <= 1000:
        raise ValueError(f"CCP_OAI_PAGE_SIZE must be a whole number from 1 to 1000, not {size!r}")
    host = cfg.get("CCP_OAI_REPOSITORY_HOST")
    if host and not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", str(host)):
        raise ValueError(f"CCP_OAI_REPOSITORY_HOST must be a host name such as "
                         f"portal.example.eu, not {host!r}")
    if float(cfg["CCP_OAI_TOKEN_HOURS"]) < 0:
        raise ValueError("CCP_OAI_TOKEN_HOURS cannot be negative")
