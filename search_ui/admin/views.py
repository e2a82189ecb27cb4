"""The admin's pages and actions (blueprint ``admin``, under ``/admin/``).

Every request passes :func:`_guard` first: a closed admin answers 403 with how to open it; an
anonymous GET is redirected to the login page and an anonymous POST refused (403); every POST
must carry this session's CSRF token (else 400). Actions answer with a redirect (303) to a
page that shows what happened, so a reload never repeats them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

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
from werkzeug.exceptions import HTTPException

from config.editing import (
    SourceNotFound,
    scan_sources,
    set_source_enabled,
)
from config.loader import SourceConfigError
from indexer.resource import utcnow

from ..app_services import services
from ..present import merge_label
from . import status as st
from .auth import (
    CSRF_FIELD,
    HOW_TO_ENABLE,
    auth,
    credentials_match,
    csrf_token,
    csrf_valid,
    current_user,
    log_in,
    log_out,
    safe_next,
)

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

RUNS_SHOWN = 50
TASKS_READ = 200
URLS_PER_ERROR_GROUP = 50


# -- access control ------------------------------------------------------------------------------
@bp.before_request
def _guard():
    a = auth()
    if not a.enabled:
        return _page("admin/closed.html", 403, reason=_(a.closed_because), how=_(HOW_TO_ENABLE))
    g.admin_user = current_user()
    if request.method == "POST":
        if g.admin_user is None and request.endpoint != "admin.login":
            return _error(403, _("Log in first"),
                          _("This action needs an admin login. Log in and try again."))
        if not csrf_valid():
            log.warning("admin POST to %s refused: missing or wrong CSRF token (from %s)",
                        request.path, request.remote_addr)
            return _error(400, _("The form could not be accepted"),
                          _("Its security token is missing or out of date (for example after "
                            "logging in again in another tab, or with cookies blocked). Go "
                            "back, reload the page and send the form again."))
        return None
    if g.admin_user is None and request.endpoint != "admin.login":
        target = request.script_root + request.path + (
            f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
        return redirect(url_for("admin.login", next=target))
    return None


@bp.after_request
def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    return resp


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    titles = {400: _("That cannot be done"), 404: _("Not found"),
              405: _("Method not allowed"), 409: _("Conflict")}
    code = exc.code or 500
    messages = {404: _("There is no such source, run or task."),
                405: _("This address does not accept that kind of request.")}
    message = messages.get(code, exc.description or "")
    return _error(code, titles.get(code, _("Error")), message)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "admin_user": getattr(g, "admin_user", None),
        "csrf_token": csrf_token,
        "csrf_field": CSRF_FIELD,
        "fmt_time": st.fmt_time,
        "iso": st.iso,
        "ago": st.ago,
        "duration": st.duration,
        "task_status_label": st.task_status_label,
        "trigger_label": st.trigger_label,
        "counter_text": st.counter_text,
        "type_label": _type_label,
        "merge_label": merge_label,
        "now": utcnow(),
    }


def _type_label(key: str) -> str:
    from ..present import Labels

    return Labels({}, {})("type", key)


def _page(template: str, code: int = 200, **context):
    return render_template(template, **context), code


def _error(status: int, title: str, message: str):
    return _page("admin/error.html", status, status=status, title=title, message=message)


# -- login ---------------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        user = request.form.get("username", "")[:200]
        password = request.form.get("password", "")[:1000]
        if credentials_match(user, password):
            log_in()
            return redirect(next_url or url_for("admin.sources"), 303)
        log.warning("failed admin login for user %r from %s", user, request.remote_addr)
        return _page("admin/login.html", 401, next=next_url, username=user,
                     error=_("The user name or the password is not right."))
    if g.admin_user is not None:
        return redirect(next_url or url_for("admin.sources"))
    return _page("admin/login.html", 200, next=next_url, username="")


@bp.post("/logout")
def logout():
    log.info("admin %s logged out", g.admin_user)
    log_out()
    flash(_("You are logged out."), "success")
    return redirect(url_for("admin.login"), 303)


# -- sources ------------------------------------------------------------------------------------
def _scheduler_stalled(tasks: list[dict[str, Any]], now: datetime) -> bool:
    wait = float(current_app.config["CCP_ADMIN_SCHEDULER_WAIT"])
    return any(st.task_stalled(t, now, wait) for t in tasks)


def _live_locks(cat, now: datetime) -> dict[str, dict[str, Any]]:
    """Run locks whose holder is alive (a lock without heartbeats for ``lock_stale_seconds``
    belongs to a dead process and is taken over by the next harvest)."""
    stale = timedelta(seconds=services().settings.lock_stale_seconds)
    return {sid: lock for sid, lock in cat.source_locks().items()
            if lock.get("heartbeat_at") is None or now - lock["heartbeat_at"] < stale}


def _last_run(cat, source_id: str) -> dict[str, Any] | None:
    runs = cat.runs(source_id=source_id, limit=1)
    if not runs:
        return None
    run = runs[0]
    s = st.source_report(run, source_id)
    if s is None:  # pragma: no cover - runs(source_id) only returns runs of the source
        return None
    return {"id": run.id, "at": s.finished_at or s.started_at or run.started_at,
            "status": s.status, "label": st.result_label(s), "counts": st.counts_text(s),
            "failed": s.failed}


@bp.get("/")
def sources():
    svc = services()
    cat = svc.catalogue
    now = utcnow()
    scan = scan_sources(svc.settings.sources)
    known = {s.id: s for s in cat.sources()}
    health = cat.source_health()
    locks = _live_locks(cat, now)
    tasks = cat.tasks(limit=TASKS_READ)
    rows = []
    for sid in sorted(set(scan.sources) | set(known)):
        path, model = scan.sources.get(sid, (None, None))
        info = known.get(sid)
        h = health.get(sid)
        rows.append({
            "id": sid,
            "name": model.name if model else info.name,
            "type": model.type if model else info.type,
            "enabled": model.enabled if model else None,
            "file": path.name if path else None,
            "health": st.health_view(h, locks.get(sid), now),
            "last_run": _last_run(cat, sid),
            "next_run_at": h.next_run_at if h and (model is None or model.enabled) else None,
            "failures": h.consecutive_failures if h else 0,
            "last_error": h.last_error if h and h.state != "healthy" else None,
            "last_error_at": h.last_error_at if h else None,
            "queued": len(st.active_harvests(tasks, sid)),
        })
    return _page("admin/sources.html", rows=rows, problems=scan.problems,
                 sources_path=svc.settings.sources,
                 scheduler_stalled=_scheduler_stalled(tasks, now))


def _run_row(run, source_id: str, selected: int | None) -> dict[str, Any]:
    s = st.source_report(run, source_id)
    return {
        "id": run.id,
        "started_at": (s.started_at if s and s.started_at else run.started_at),
        "finished_at": (s.finished_at if s and s.finished_at else run.finished_at),
        "trigger": run.trigger,
        "status": s.status if s else run.status,
        "label": st.result_label(s) if s else run.status,
        "counts": st.counts_text(s) if s else "",
        "requests": s.requests if s else 0,
        "errors": len(s.errors) if s else 0,
        "message": (s.message if s else None) or run.message,
        "selected": run.id == selected,
    }


def _known_source(source_id: str):
    """(file, model) of a source, or (None, catalogue info) for one that lost its file;
    404 when neither knows it."""
    svc = services()
    scan = scan_sources(svc.settings.sources)
    if source_id in scan.sources:
        return scan.sources[source_id]
    info = next((s for s in svc.catalogue.sources() if s.id == source_id), None)
    if info is None:
        abort(404)
    return None, info


@bp.get("/sources/<source_id>")
def source(source_id: str):
    svc = services()
    cat = svc.catalogue
    now = utcnow()
    path, model = _known_source(source_id)
    raw_run = request.args.get("run")
    if raw_run is not None and (not raw_run.isdigit() or len(raw_run) > 12):
        abort(404)
    runs = cat.runs(source_id=source_id, limit=RUNS_SHOWN)
    chosen = None
    if raw_run is not None:
        chosen = next((r for r in runs if r.id == int(raw_run)), None)
        if chosen is None:
            try:
                chosen = cat.run_report(int(raw_run))
            except KeyError:
                abort(404)
            if st.source_report(chosen, source_id) is None:
                abort(404)
    elif runs:
        chosen = runs[0]
    chosen_report = st.source_report(chosen, source_id) if chosen else None
    groups = st.group_errors(chosen_report.errors) if chosen_report else []
    h = cat.source_health().get(source_id)
    tasks = cat.tasks(limit=TASKS_READ)
    wait = float(current_app.config["CCP_ADMIN_SCHEDULER_WAIT"])
    active = [dict(t, stalled=st.task_stalled(t, now, wait))
              for t in st.active_harvests(tasks, source_id)]
    try:
        yaml_text = path.read_text(encoding="utf-8") if path else None
    except (OSError, UnicodeDecodeError) as exc:
        yaml_text = f"# cannot be read: {exc}"
    return _page(
        "admin/source.html",
        source_id=source_id,
        model=model if path else None,
        info=None if path else model,
        path=path,
        yaml_text=yaml_text,
        health=h,
        health_view=st.health_view(h, _live_locks(cat, now).get(source_id), now),
        runs=[_run_row(r, source_id, chosen.id if chosen else None) for r in runs],
        chosen=_run_row(chosen, source_id, chosen.id) if chosen else None,
        chosen_report=chosen_report,
        groups=groups,
        urls_shown=URLS_PER_ERROR_GROUP,
        active_tasks=active,
    )


@bp.post("/sources/<source_id>/run")
def run_now(source_id: str):
    cat = services().catalogue
    path, _model = _known_source(source_id)
    back = redirect(url_for("admin.source", source_id=source_id), 303)
    if path is None:
        flash(_("%(source)s has no source file any more, so it cannot be harvested.",
                source=source_id), "error")
        return back
    active = st.active_harvests(cat.tasks(limit=TASKS_READ), source_id)
    if active:
        flash(_("A harvest of %(source)s is already queued (task %(task)s, %(status)s).",
                source=source_id, task=active[0]["id"],
                status=st.task_status_label(active[0]["status"])), "info")
        return back
    if source_id in _live_locks(cat, utcnow()):
        flash(_("%(source)s is being harvested right now; start another run when this one "
                "has finished.", source=source_id), "info")
        return back
    task_id = cat.create_task("harvest", {"source_id": source_id}, requested_by=g.admin_user)
    log.info("admin %s queued a harvest of %s (task %s)", g.admin_user, source_id, task_id)
    flash(_("Harvest of %(source)s queued — the scheduler will start it within seconds.",
            source=source_id), "success")
    return back


@bp.post("/sources/<source_id>/enabled")
def set_enabled(source_id: str):
    value = request.form.get("enabled")
    if value not in ("0", "1"):
        abort(400, _("The form must say whether to enable (1) or disable (0) the source."))
    enabled = value == "1"
    verb = "enabled" if enabled else "disabled"
    try:
        path = set_source_enabled(services().settings.sources, source_id, enabled)
    except SourceNotFound:
        abort(404)
    except (SourceConfigError, ValueError, OSError) as exc:
        if enabled:
            flash(_("%(source)s could not be enabled: %(reason)s", source=source_id,
                    reason=str(exc)), "error")
        else:
            flash(_("%(source)s could not be disabled: %(reason)s", source=source_id,
                    reason=str(exc)), "error")
    else:
        log.info("admin %s %s %s in %s", g.admin_user, verb, source_id, path)
        if enabled:
            flash(_("%(source)s is now enabled in %(file)s. The scheduler adds its job at its "
                    "next re-read of the source files (within a minute).",
                    source=source_id, file=path.name), "success")
        else:
            flash(_("%(source)s is now disabled in %(file)s. The scheduler drops its job at "
                    "its next re-read of the source files (within a minute).",
                    source=source_id, file=path.name), "success")
    return redirect(url_for("admin.source", source_id=source_id), 303)


from . import discovery, merges  # noqa: E402 - the add-source flow and its tasks; undoing merges

discovery.add_routes(bp)
merges.add_routes(bp)
