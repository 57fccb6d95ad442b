"""Talking-avatar videos (``/api/video/...``, ``/api/videos``): a job on the jobs core that runs
Text to Speech (or the uploaded audio) into the Talking Avatar node, so credits, provenance and the
ledger are the canvas's. A video's id is its job's id."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ...core.errors import InvalidRequest, NotFound
from ...core.graph import Graph
from ...core.policy import Principal
from ...services.jobs import COMPLETED, JobNotFound, JobRequest, JobView
from ...services.media import download_name
from ...studio import Studio
from ..common.deps import StudioDep
from ..v2.media import MediaFileResponse
from ..v2.schemas import streamed_answer
from .avatars import avatars_of
from .deps import Reader, VideoMaker
from .job_status import failure_reason, video_progress, video_status
from .jobs import DIALECT, ID_PREFIX, download_url, iso_ms
from .video_schemas import VideoCreated, VideoCreateRequest, VideoItem, VideoListPublic, VideoPublic, VideoStatusPublic
from .video_sources import portrait_of, resolve_voice

OPERATION = "avatar_video"
LIST_LIMIT = 500  # the seed's list has no paging: the newest this many completed videos

router = APIRouter(tags=["videos"])


class VideoNotFound(NotFound):
    code = "VIDEO_NOT_FOUND"


def _node(node_id: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def _edge(source: str, handle: str, target: str, target_handle: str) -> dict[str, Any]:
    return {"id": f"{source}.{handle}-{target}.{target_handle}", "source": source, "source_handle": handle,
            "target": target, "target_handle": target_handle}


def avatar_graph(portrait_media_id: str, full_frame: bool, *, text: str | None = None, engine: str = "",
                 voice: str = "", audio_media_id: str | None = None) -> Graph:
    """Portrait + speech (TTS of ``text``, or the uploaded audio) -> video.talking_avatar (node ``video``)."""
    nodes = [_node("portrait", "upload.image", 0, media_ids=[portrait_media_id]),
             _node("video", "video.talking_avatar", 600, full_frame=full_frame)]
    edges = [_edge("portrait", "image", "video", "portrait")]
    if text is not None:
        nodes += [_node("script", "text", 0, text=text), _node("speech", "audio.tts", 300, engine=engine, voice=voice)]
        edges += [_edge("script", "text", "speech", "text"), _edge("speech", "audio", "video", "speech")]
    else:
        nodes.append(_node("speech", "upload.audio", 300, media_ids=[audio_media_id]))
        edges.append(_edge("speech", "audio", "video", "speech"))
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def _prepare(studio: Studio, user: Principal, body: VideoCreateRequest) -> JobRequest:
    """Resolve the avatar, the voice or the audio, and build the job (blocking: runs on a worker thread)."""
    if (body.text is None) == (body.audioMediaId is None):
        raise InvalidRequest("give either text (spoken in voiceId) or audioMediaId", code="SPEECH_SOURCE_REQUIRED",
                             details={"fields": ["text", "audioMediaId"]})
    avatar = avatars_of(studio).get(user, body.avatarId)
    inputs: dict[str, Any] = {"avatarId": body.avatarId, "name": body.name, "im2vid_full": body.im2vid_full}
    if body.text is not None:
        voice = resolve_voice(studio, body.voiceId or avatar.voice_id)
        inputs.update(text=body.text, voiceId=voice.voice_id)
    else:
        assert body.audioMediaId is not None
        audio = studio.media.get(user, body.audioMediaId)
        if audio.kind not in ("audio", "video"):
            raise InvalidRequest("audioMediaId must name an audio (or video) upload", code="MEDIA_KIND_MISMATCH",
                                 details={"audioMediaId": body.audioMediaId, "kind": audio.kind})
        inputs["audioMediaId"] = body.audioMediaId
    # Only a request that passed every check copies a stock portrait into the gallery.
    portrait = inputs["portraitMediaId"] = portrait_of(studio, user, avatar)
    if body.text is not None:
        graph = avatar_graph(portrait, body.im2vid_full, text=body.text, engine=voice.engine, voice=voice.voice)
    else:
        graph = avatar_graph(portrait, body.im2vid_full, audio_media_id=body.audioMediaId)
    return JobRequest(dialect=DIALECT, operation=OPERATION, id_prefix=ID_PREFIX, inputs=inputs, graph=graph,
                      output_node="video")


def _completed(studio: Studio, user: Principal, video_id: str) -> JobView:
    try:
        job: JobView | None = studio.jobs.get(user, DIALECT, video_id)
    except JobNotFound:
        job = None
    if job is None or job.operation != OPERATION or job.status != COMPLETED or not job.outputs:
        raise VideoNotFound("no completed video with this id", details={"id": video_id})
    return job


def _item(job: JobView) -> VideoItem:
    return VideoItem(id=job.id, name=str(job.inputs.get("name", "")),
                     sourceAvatarId=str(job.inputs.get("avatarId", "")), createdAt=iso_ms(job.created_at))


@router.post("/video/create", summary="Start a talking-avatar video (a script in a voice, or an uploaded audio)",
             response_model=VideoCreated)
async def create_video(body: VideoCreateRequest, user: VideoMaker, studio: StudioDep) -> VideoCreated:
    request = await asyncio.to_thread(_prepare, studio, user, body)
    job = await studio.jobs.submit(user, request)
    return VideoCreated(jobId=job.id)


@router.get("/video/{jobId}/status", summary="A video job's status: inference_started | inference_working "
            "(with progress) | inference_complete (with videoId) | inference_failed | inference_error",
            response_model=VideoStatusPublic, response_model_exclude_none=True)
def video_job_status(jobId: str, user: Reader, studio: StudioDep) -> VideoStatusPublic:
    job = studio.jobs.get(user, DIALECT, jobId)
    if job.operation != OPERATION:
        raise VideoNotFound("no video job with this id", details={"id": jobId})
    return VideoStatusPublic(status=video_status(job), progress=video_progress(job),
                             videoId=job.id if job.status == COMPLETED else None, reason=failure_reason(job))


@router.get("/videos", summary="Your completed videos, newest first", response_model=VideoListPublic)
def list_videos(user: Reader, studio: StudioDep) -> VideoListPublic:
    jobs, _total = studio.jobs.list(user, DIALECT, operations=[OPERATION], statuses=[COMPLETED], limit=LIST_LIMIT)
    return VideoListPublic(videos=[_item(job) for job in jobs])


@router.get("/video/{id}", summary="One completed video, with a signed downloadUrl", response_model=VideoPublic)
def get_video(id: str, user: Reader, studio: StudioDep) -> VideoPublic:
    job = _completed(studio, user, id)
    return VideoPublic(**_item(job).model_dump(), downloadUrl=download_url(studio, job.outputs[0]))


@router.get("/video/{id}/download", summary="Download a completed video (MP4)", response_class=FileResponse,
            responses=streamed_answer("video/mp4", "The video's bytes"))
def download_video(id: str, user: Reader, studio: StudioDep) -> MediaFileResponse:
    job = _completed(studio, user, id)
    row = studio.media.get(user, job.outputs[0])
    with studio.media.file_of(row) as path:
        return MediaFileResponse(path, media_type=row.mime, filename=download_name(row),
                                 headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, max-age=3600"})
