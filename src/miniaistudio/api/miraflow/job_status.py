"""Jobs-core states in the Miraflow seed's words: each section of the seed has its own vocabulary.

- talking-avatar videos: ``inference_started | inference_working (progress "45%") | inference_complete |
  inference_failed | inference_error``;
- mockups, assets, ad videos (and the generic ``/api/image/{jobId}`` status): ``waiting | started |
  completed | failed`` with a numeric ``progress`` and a ``reason`` when failed;
- thumbnails: ``waiting | started`` while in progress (``failed`` with a ``reason`` after a failure).
"""

from __future__ import annotations

from typing import Literal

from ...services.jobs import ACTIVE, CANCELED, COMPLETED, FAILED, QUEUED, RUNNING, JobView

VideoStatus = Literal["inference_started", "inference_working", "inference_complete", "inference_failed",
                      "inference_error"]
MockupStatus = Literal["waiting", "started", "completed", "failed"]
#: Failures that are the studio's, not the request's: Miraflow's ``inference_error``.
SERVER_FAILURES = frozenset({"JOB_INTERRUPTED", "INTERNAL_ERROR", "JOB_OUTPUT_FAILED", "CANCELED"})

MOCKUP_STATUSES: dict[str, MockupStatus] = {QUEUED: "waiting", RUNNING: "started", COMPLETED: "completed",
                                            FAILED: "failed", CANCELED: "failed"}


def in_progress(job: JobView) -> bool:
    return job.status in ACTIVE


def failure_reason(job: JobView) -> str | None:
    """The failed job's reason as a person reads it (``message``), else its code; None unless failed."""
    if job.status not in (FAILED, CANCELED):
        return None
    error = job.error or {}
    return str(error.get("message") or error.get("code") or "the job failed")


def video_status(job: JobView) -> VideoStatus:
    if job.status == QUEUED:
        return "inference_started"
    if job.status == RUNNING:
        return "inference_working" if job.progress > 0 else "inference_started"
    if job.status == COMPLETED:
        return "inference_complete"
    code = str((job.error or {}).get("code", ""))
    return "inference_error" if job.status == CANCELED or code in SERVER_FAILURES else "inference_failed"


def video_progress(job: JobView) -> str | None:
    """``"45%"`` while the video is being made (the seed's string form), else None."""
    return f"{job.progress}%" if job.status == RUNNING else None


def mockup_status(job: JobView) -> MockupStatus:
    return MOCKUP_STATUSES[job.status]
