"""GET /v1/reads: the reads of one plate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.auth import current_caller
from alpr.api.clets import reads_shown
from alpr.api.gate import shown_to_case
from alpr.api.kept import for_this_case
from alpr.api.params import From, To
from alpr.domain.models import PlateQuery, ReadPage
from alpr.domain.plates import plate_for_search
from alpr.services import reads as reads_service
from alpr.services.container import container

router = Router()
metrics = Metrics()  # shares the handler's metric set; flushed by its @log_metrics

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@router.get("/v1/reads", summary="Reads of one plate, newest first", security=AUTHENTICATED)
def list_reads(
    plate: Annotated[str, Query(min_length=1, max_length=16, description="the plate, e.g. 7ABC123")],
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    next: Annotated[str | None, Query(description="token from the previous page")] = None,
    state: Annotated[
        str | None,
        Query(
            pattern="^[A-Za-z]{2}$", description="plate state, e.g. CA: its reads and those of unknown state"
        ),
    ] = None,
) -> ReadPage:
    caller = current_caller(router)
    now = container().clock.now()
    query = PlateQuery(
        plate=plate_for_search(plate),
        start=start or EARLIEST,
        end=end or now + timedelta(days=1),
        limit=limit,
        next=next or None,
        state=state.upper() if state else None,
    )
    page = reads_service.search_reads(caller, query)
    page.items = for_this_case(page.items)
    note_access(
        query={
            "plate": query.plate,
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            **({"state": query.state} if query.state else {}),
        },
        returned_ids=[read.read_id for read in page.items],
    )
    metrics.add_metric(name="ReadsReturned", unit=MetricUnit.Count, value=len(page.items))
    return page.model_copy(update={"items": shown_to_case(reads_shown(page.items))})
