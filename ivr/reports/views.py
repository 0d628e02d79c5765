"""Reports for admins and moderators: how the line is used, as charts, tables and CSV downloads.

Views only parse the date range and render; every figure comes from ivr.reports (aggregates under
the small-count rule), so nothing here can show a caller, a number or one call's path.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from ivr import database, reports
from ivr.staff import audit
from ivr.reports import charts
from ivr.staff.guard import allow

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = ("admin", "moderator")


def _range():
    """The requested date range, or the error to show."""
    try:
        return reports.parse_range(request.args.get("start"), request.args.get("end")), None
    except reports.RangeError as exc:
        return reports.parse_range(None, None), str(exc)


@bp.get("/")
@allow(*READERS)
def index():
    """Charts and tables for a date range (the last 30 days by default)."""
    (start, end), error = _range()
    report = reports.build(start, end)
    return render_template("staff/reports.html", report=report, error=error, charts=charts,
                           small=reports.figures.SMALL), (422 if error else 200)


@bp.get("/<slug>.csv")
@allow(*READERS)
def csv_table(slug: str):
    """One table of the report as CSV, with the same small-count rule as the page."""
    (start, end), error = _range()
    if error:
        abort(422)
    table = reports.build(start, end).tables.get(slug)
    if table is None:
        abort(404)
    out = io.StringIO()
    csv.writer(out).writerows(table.csv_rows())
    audit.record("report.download", "report", slug, detail=f"{start.isoformat()}..{end.isoformat()}")
    database.commit()
    name = f"peerline-{slug}-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
