"""POST /v1/uploads: a presigned POST for a vehicle unit."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from alpr.api import AUTHENTICATED
from alpr.api.auth import current_caller
from alpr.domain.models import UploadRequest, UploadTicket
from alpr.services import uploads as service

router = Router()
metrics = Metrics()  # shares the handler's metric set; flushed by its @log_metrics


@router.post("/v1/uploads", summary="Ticket to upload one image (vehicle units)", security=AUTHENTICATED)
def create_upload(request: Annotated[UploadRequest, Body()]) -> UploadTicket:
    ticket = service.issue_upload_ticket(current_caller(router), request)
    metrics.add_metric(name="UploadTicketsIssued", unit=MetricUnit.Count, value=1)
    return ticket
