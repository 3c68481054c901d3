"""POST /v1/reads/{read_id}/corrections: a supervisor records the plate a misread shows (Civil Code
§ 1798.90.51(b)). The gate let only a supervisor with a stated purpose through and logs the call."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.auth import current_caller
from alpr.api.params import UlidPath
from alpr.domain.corrections import CorrectionReceipt, CorrectionRequest
from alpr.services import corrections as corrections_service

router = Router()


@router.post(
    "/v1/reads/<read_id>/corrections",
    summary="Mark a read as misread and record the plate it shows; its alerts close as misread",
    security=AUTHENTICATED,
)
def correct_read(read_id: UlidPath, request: Annotated[CorrectionRequest, Body()]) -> CorrectionReceipt:
    receipt = corrections_service.correct(current_caller(router), read_id, request)
    note_access(
        query={"correction": request.plate, "plate": receipt.correction.original_plate, "read_id": read_id},
        returned_ids=[read_id],
    )
    return receipt
