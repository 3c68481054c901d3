"""/v1/alerts: hotlist alerts and their dispositions (an alert closes only with one)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.clets import alert_shown
from alpr.api.gate import current_grant
from alpr.api.params import UlidPath
from alpr.domain.alerts import Alert, AlertPage, AlertStatus, DispositionRequest
from alpr.domain.errors import NotFound, Unauthenticated
from alpr.services import hotlist as hotlist_service
from alpr.services.container import container

router = Router()


@router.get("/v1/alerts", summary="Alerts by status, newest first", security=AUTHENTICATED)
def list_alerts(
    status: Annotated[AlertStatus, Query()] = AlertStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    next: Annotated[str | None, Query(description="token from the previous page")] = None,
) -> AlertPage:
    page = hotlist_service.list_alerts(status, limit, next)
    note_access(
        query={"alerts_status": status.value},
        returned_ids=[a.alert_id for a in page.items] or None,
        returned_count=0 if not page.items else None,
    )
    page.items = [alert_shown(a) for a in page.items]
    return page


@router.get("/v1/alerts/<alert_id>", summary="One alert", security=AUTHENTICATED)
def get_alert(alert_id: UlidPath) -> Alert:
    alert = container().alert_store.get_alert(alert_id)
    if alert is None:
        raise NotFound(f"no alert '{alert_id}'")
    # The alert shows the plate read: a look-up of that plate (plate-lookups finds it).
    note_access(query={"plate": alert.plate_read}, returned_ids=[alert_id])
    return alert_shown(alert)


@router.post(
    "/v1/alerts/<alert_id>/disposition",
    summary="Close an alert with its disposition (confirmed via CLETS, wrong state, misread, ...)",
    security=AUTHENTICATED,
)
def dispose_alert(alert_id: UlidPath, request: Annotated[DispositionRequest, Body()]) -> Alert:
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    closed = hotlist_service.dispose_alert(grant.caller, alert_id, request)
    note_access(
        query={"alert": alert_id, "plate": closed.plate_read, "disposition": request.disposition.value},
        returned_ids=[alert_id],
    )
    return alert_shown(closed)
