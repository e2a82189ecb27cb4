"""The admin's add-source flow and its tasks: the add-source form (checked before anything is
fetched), the discovery task it queues, its candidates and preview, and writing the source
file. :func:`add_routes` registers them on the admin blueprint (``admin.new_source``,
``admin.tasks``, ``admin.task``, ``admin.choose_candidate``, ``admin.write_source``)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from pydantic import ValidationError

from config.editing import scan_sources, source_file_text, write_source_file
from config.loader import SourceConfigError
from config.models import COUNTRIES, LANGUAGES, SourceBase
from config.netpolicy import SETTING, refused_address
from indexer.resource import utcnow

from ..app_services import services
from . import status as st

log = logging.getLogger(__name__)

MAX_URL = 2000
NEW_SOURCE_FIELDS = ("url", "id", "name", "publisher", "country", "city", "language")
# what the add-source form passes on to the source definition (besides id and name)
EXTRA_KEYS = ("publisher", "country", "city", "language")


def _field_error(key: str) -> str | None:
    """What to do about a field the source model refused, in the interface language."""
    if key == "id":
        return _("Use 2–63 lowercase letters, digits and hyphens, starting with a letter or "
                 "a digit.")
    if key == "country":
        return _("Choose a country from the list.")
    if key == "language":
        return _("Choose a language from the list.")
    return None


def _page(template: str, code: int = 200, **context):
    return render_template(template, **context), code


# -- adding a source ----------------------------------------------------------------------------
def _check_new_source(form: dict[str, str], existing: set[str],
                      allowance: str = "") -> tuple[dict[str, str], dict]:
    """Field errors, and the task's arguments when there are none.

    A URL the harvester may not fetch (its host resolves to a private, loopback or link-local
    address outside ``allowance``) is refused here, before any request is made."""
    errors: dict[str, str] = {}
    url = form["url"]
    try:
        parts = urlsplit(url)
        host = parts.hostname if parts.port != 0 else None
    except ValueError:  # "http://[::1" or a port out of range
        parts, host = None, None
    if not url:
        errors["url"] = _("Enter the address of the site, page or feed.")
    elif len(url) > MAX_URL or any(c.isspace() for c in url):
        errors["url"] = _("Enter one address without spaces, at most %(n)s characters.",
                          n=MAX_URL)
    elif not host or parts.scheme not in ("http", "https"):
        errors["url"] = _("Enter a full address starting with http:// or https://.")
    elif (refused := refused_address(url, allowance)) is not None:
        errors["url"] = _("%(url)s: refused: it leads to %(address)s, a private or local "
                          "address the portal does not fetch; an operator can allow it with "
                          "%(setting)s.", url=url, address=str(refused), setting=SETTING)
    for key, limit in (("name", 200), ("publisher", 200), ("city", 100)):
        if len(form[key]) > limit:
            errors[key] = _("At most %(n)s characters.", n=limit)
    probe = {"id": form["id"] or "placeholder", "name": form["name"] or "placeholder",
             "country": form["country"] or None, "language": form["language"] or None}
    normal: dict[str, Any] = {}
    try:
        normal = SourceBase.model_validate(probe).model_dump()
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err.get("loc") else "id"
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            errors.setdefault(key, _field_error(key) or msg[:1].upper() + msg[1:] + ".")
    if form["id"] and "id" not in errors:
        if form["id"] in existing:
            errors["id"] = _("A source with this id exists already; choose another.")
        elif form["id"] == "new":
            errors["id"] = _("“new” cannot be a source id (it names the add-source page).")
    if errors:
        return errors, {}
    args: dict[str, Any] = {"url": url}
    for key in ("id", "name", "publisher", "city"):
        if form[key]:
            args[key] = form[key]
    for key in ("country", "language"):
        if form[key]:
            args[key] = normal[key]
    return {}, args


def _countries() -> dict[str, str]:
    """The add-source form's countries, named in the interface language, in its order."""
    from ..present import country_name

    names = {code: country_name(code) for code in COUNTRIES}
    return dict(sorted(names.items(), key=lambda kv: (kv[0] != "EU", kv[1].casefold())))


def new_source():
    if request.method == "GET":
        form = {k: "" for k in NEW_SOURCE_FIELDS}
        form["url"] = request.args.get("url", "")[:MAX_URL]
        return _page("admin/new_source.html", form=form, errors={},
                     countries=_countries(), languages=LANGUAGES)
    form = {k: request.form.get(k, "").strip() for k in NEW_SOURCE_FIELDS}
    existing = set(scan_sources(services().settings.sources).sources)
    errors, args = _check_new_source(form, existing,
                                     services().settings.allowed_private_addresses)
    if errors:
        return _page("admin/new_source.html", 400, form=form, errors=errors,
                     countries=_countries(), languages=LANGUAGES)
    task_id = services().catalogue.create_task("discover", args, requested_by=g.admin_user)
    log.info("admin %s queued discovery of %s (task %s)", g.admin_user, args["url"], task_id)
    flash(_("Looking at %(url)s queued — the scheduler will start it within seconds. Finding "
            "what the site offers and previewing a few documents takes a minute or two.",
            url=args["url"]), "success")
    return redirect(url_for("admin.task", task_id=task_id), 303)


# -- tasks --------------------------------------------------------------------------------------
def _task_or_404(task_id: int) -> dict[str, Any]:
    task = services().catalogue.get_task(task_id)
    if task is None:
        abort(404)
    return task


def _proposed_definition(task: dict[str, Any], *, source_id: str | None = None,
                         name: str | None = None) -> dict[str, Any]:
    """The definition discovery chose, with what the operator gave on the add-source form and
    (on the write form) the id and name they settled on."""
    result = task.get("result") or {}
    args = task.get("args") or {}
    definition = dict(result["definition"])
    if source_id is not None:
        definition["id"] = source_id
    if name is not None:
        definition["name"] = name
    for key in EXTRA_KEYS:
        if args.get(key):
            definition[key] = args[key]
    return definition


def _comment(task: dict[str, Any], source_id: str, name: str) -> str:
    """The one-line header of a source file written from a discovery task."""
    url = (task.get("args") or {}).get("url", "")
    return (f"{name or source_id} — added in the admin by {g.admin_user} on "
            f"{utcnow().date().isoformat()} from {url}")


def _render_task(task: dict[str, Any], code: int = 200, *,
                 write_problems: list[str] | None = None,
                 write_form: dict[str, str] | None = None):
    now = utcnow()
    wait = float(current_app.config["CCP_ADMIN_SCHEDULER_WAIT"])
    result = task.get("result") or {}
    ctx: dict[str, Any] = {
        "task": task,
        "args": task.get("args") or {},
        "result": result,
        "active": task["status"] in st.ACTIVE_TASK,
        "stalled": st.task_stalled(task, now, wait),
        "wait_seconds": int(wait),
        "write_problems": write_problems or [],
        "proposal": None,
    }
    if task["kind"] == "discover" and task["status"] == "done" and result.get("definition"):
        form = write_form or {"id": result["definition"].get("id", ""),
                              "name": result["definition"].get("name", "")}
        definition = _proposed_definition(task, source_id=form["id"], name=form["name"])
        try:
            comment = _comment(task, form["id"], form["name"])
            text, problems = source_file_text(definition, comment=comment), []
        except SourceConfigError as exc:
            text, problems = None, [str(p) for p in exc.problems]
        existing = set(scan_sources(services().settings.sources).sources)
        ctx["proposal"] = {
            "form": form,
            "yaml": text,
            "problems": problems,
            "id_taken": form["id"] in existing,
            "chosen": int((task.get("args") or {}).get("candidate", 0)),
        }
    return _page("admin/task.html", code, **ctx)


def tasks():
    now = utcnow()
    wait = float(current_app.config["CCP_ADMIN_SCHEDULER_WAIT"])
    rows = [dict(t, stalled=st.task_stalled(t, now, wait))
            for t in services().catalogue.tasks(limit=50)]
    return _page("admin/tasks.html", tasks=rows,
                 scheduler_stalled=any(t["stalled"] for t in rows))


def task(task_id: int):
    return _render_task(_task_or_404(task_id))


def choose_candidate(task_id: int):
    task = _task_or_404(task_id)
    candidates = (task.get("result") or {}).get("candidates") or []
    raw = request.form.get("candidate", "")
    if task["kind"] != "discover" or not raw.isdigit() or int(raw) >= len(candidates):
        abort(400, _("There is no such candidate to preview."))
    args = {**(task.get("args") or {}), "candidate": int(raw)}
    new_id = services().catalogue.create_task("discover", args, requested_by=g.admin_user)
    flash(_("Preview of candidate %(n)s queued — the scheduler will start it within seconds.",
            n=int(raw) + 1), "success")
    return redirect(url_for("admin.task", task_id=new_id), 303)


def write_source(task_id: int):
    task = _task_or_404(task_id)
    result = task.get("result") or {}
    if task["kind"] != "discover" or task["status"] != "done" or not result.get("definition"):
        abort(409, _("This task has no source definition to write."))
    form = {"id": request.form.get("id", "").strip(), "name": request.form.get("name", "").strip()}
    definition = _proposed_definition(task, source_id=form["id"], name=form["name"])
    try:
        path = write_source_file(services().settings.sources, definition,
                                 comment=_comment(task, form["id"], form["name"]))
    except SourceConfigError as exc:
        return _render_task(task, 400, write_problems=[str(p) for p in exc.problems],
                            write_form=form)
    except FileExistsError as exc:
        return _render_task(task, 409, write_problems=[
            _("Nothing was written: %(reason)s.", reason=str(exc).rstrip("."))],
            write_form=form)
    except (ValueError, OSError) as exc:
        return _render_task(task, 409, write_problems=[
            _("Nothing was written: %(reason)s.", reason=str(exc).rstrip("."))],
            write_form=form)
    log.info("admin %s wrote %s", g.admin_user, path)
    flash(_("Source file %(file)s written. The scheduler adds the source at its next re-read "
            "of the source files (within a minute); “Run now” harvests it at once.",
            file=path.name), "success")
    return redirect(url_for("admin.source", source_id=definition["id"]), 303)


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/sources/new", "new_source", new_source, methods=["GET", "POST"])
    bp.add_url_rule("/tasks", "tasks", tasks, methods=["GET"])
    bp.add_url_rule("/tasks/<int:task_id>", "task", task, methods=["GET"])
    bp.add_url_rule("/tasks/<int:task_id>/candidate", "choose_candidate", choose_candidate, methods=["POST"])
    bp.add_url_rule("/tasks/<int:task_id>/write", "write_source", write_source, methods=["POST"])
