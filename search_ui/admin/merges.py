"""The admin's resource page: a resource's instances, why each was merged, and undoing a
wrong merge (a POST with the session's CSRF token, checked by the blueprint's guard).
:func:`add_routes` registers them on the admin blueprint."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from indexer.catalogue import SplitError

from ..app_services import services

log = logging.getLogger(__name__)

MAX_URL = 2000


def resource(resource_id: str):
    cat = services().catalogue
    r = cat.get_resource(resource_id)
    if r is None:
        abort(404)
    reasons = cat.instance_merge_reasons(resource_id)
    names = cat.source_names()
    rows = [{"url": i.url, "source_id": i.source_id,
             "source_name": names.get(i.source_id, i.source_id), "status": i.status,
             "first_seen": i.first_seen, "merge": reasons.get((i.source_id, i.url))}
            for i in r.instances]
    return render_template("admin/resource.html", r=r, rows=rows)


def split(resource_id: str):
    url = (request.form.get("url") or "").strip()
    if not url or len(url) > MAX_URL:
        abort(400, _("The form must name the instance's address to split off."))
    try:
        new_id = services().catalogue.split_instance(resource_id, url, by=g.admin_user)
    except SplitError as exc:
        flash(_("%(url)s was not split off: %(reason)s.", url=url, reason=str(exc).rstrip(".")),
              "error")
        return redirect(url_for("admin.resource", resource_id=resource_id), 303)
    log.info("admin %s split %s off resource %s (now %s)", g.admin_user, url, resource_id,
             new_id)
    flash(_("%(url)s is now a resource of its own; later harvests keep it apart. The search "
            "shows both after the next index drain.", url=url), "success")
    return redirect(url_for("admin.resource", resource_id=resource_id), 303)


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/resources/<resource_id>", "resource", resource, methods=["GET"])
    bp.add_url_rule("/resources/<resource_id>/split", "split", split, methods=["POST"])
