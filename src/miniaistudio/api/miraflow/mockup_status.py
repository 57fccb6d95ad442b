"""``GET /api/mockup/{jobId}/status``: the status of any job of the seed's mockup section (asset
generation and edits, mockups and ad videos: the operations declared in ``operations.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from ...services.jobs import COMPLETED, JobNotFound
from ..common.deps import StudioDep
from .deps import Reader
from .job_status import failure_reason, mockup_status
from .jobs import DIALECT, view_url
from .operations import MOCKUP_OPERATIONS
from .schemas import MockupJobStatus

router = APIRouter(tags=["mockups"])


@router.get("/mockup/{jobId}/status", summary="The status of a mockup, asset or ad-video job",
            response_model=MockupJobStatus)
def mockup_job_status(jobId: str, user: Reader, studio: StudioDep) -> MockupJobStatus:
    job = studio.jobs.get(user, DIALECT, jobId)
    if job.operation not in MOCKUP_OPERATIONS:
        raise JobNotFound("mockup job not found")
    media_id = job.outputs[0] if job.status == COMPLETED and job.outputs else None
    return MockupJobStatus(status=mockup_status(job), progress=job.progress,
                           imageUrl=view_url(media_id) if media_id else None, mediaId=media_id,
                           reason=failure_reason(job))
