"""AI Visual Studio generations mapped onto jobs: the graph a request runs, the output in the
requested format, the public view (our statuses in the seed's words) and the webhook events."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ...core.errors import InvalidRequest
from ...core.graph import Graph
from ...core.policy import Principal
from ...core.urls import Urls
from ...runtimes.models.model_host import ModelInfo
from ...services.jobs import COMPLETED, FAILED, JobView, media_ids
from ...services.media import MediaLibrary
from ...services.models import ModelLibrary
from ...services.webhook_dialects import DIALECTS, iso_z
from ...services.webhooks import Webhooks
from ...studio import Studio
from ..files.urls import SignedMediaUrls
from .schemas import AivsGenerationError, AivsGenerationPublic, AivsModelPublic

DIALECT = "aivs"
ID_PREFIX = "gen"
#: Model kinds per generation type.
KINDS = {"image": ("text_to_image",), "video": ("image_to_video", "text_to_video")}
#: Frames per second of generated videos (duration x this many frames).
VIDEO_FPS = 8
#: Our job statuses in the seed's three words.
STATUSES = {"queued": "processing", "running": "processing", "completed": "completed",
            "failed": "failed", "canceled": "failed"}
PILLOW_FORMATS = {"webp": ("WEBP", ".webp"), "png": ("PNG", ".png"), "jpg": ("JPEG", ".jpg")}


def model_type(info: ModelInfo) -> str | None:
    return next((kind for kind, kinds in KINDS.items() if info.kind in kinds), None)


def model_public(info: ModelInfo) -> AivsModelPublic:
    kind = model_type(info) or "image"
    return AivsModelPublic(id=info.id, name=info.display_name, type=kind,
                           credits_per_generation=int(info.credits_per_generation),
                           description=f"{info.display_name} ({info.kind.replace('_', '-')}, installed)",
                           category=f"{kind}-generation")


def resolve_model(models: ModelLibrary, ref: str, kind: str) -> ModelInfo:
    """The installed model a request names, of the right type; else ``invalid_request`` naming those installed."""
    info = models.find(ref)
    if info is not None and model_type(info) == kind:
        return info
    installed = [m.id for k in KINDS[kind] for m in models.models_of_kind(k)]
    raise InvalidRequest(f"model {ref[:200]!r} is not installed; installed {kind} models: "
                         f"{', '.join(installed) or 'none'}",
                         details={"model": ref[:200], "installed": installed})


def video_model(models: ModelLibrary, requested: str | None, default_ref: str,
                first_frame: str | None) -> tuple[str, ModelInfo]:
    """The video model a request runs, and the name it answers with. A model the request names decides
    (text-to-video runs alone, image-to-video after a first frame). Without one and without a first
    frame, a text-to-video model when one is installed (the default model if it is one, else the
    first); otherwise the default model."""
    if requested:
        ref, info = requested, resolve_model(models, requested, "video")
    elif first_frame is None and (text_model := _text_to_video(models, default_ref)) is not None:
        return text_model
    else:
        ref, info = default_ref, resolve_model(models, default_ref, "video")
    if first_frame is not None and info.kind != "image_to_video":
        installed = [m.id for m in models.models_of_kind("image_to_video")]
        raise InvalidRequest(f"model {ref[:200]!r} makes videos from text; first_frame_image needs an "
                             f"image-to-video model (installed: {', '.join(installed) or 'none'})",
                             details={"model": ref[:200], "installed": installed})
    return ref, info


def _text_to_video(models: ModelLibrary, default_ref: str) -> tuple[str, ModelInfo] | None:
    default = models.find(default_ref)
    if default is not None and default.kind == "text_to_video":
        return default_ref, default
    first = models.first_of_kind(("text_to_video",))
    return (first.id, first) if first is not None else None


def image_graph(model_id: str, prompt: str, aspect_ratio: str) -> Graph:
    return Graph.model_validate({"nodes": [{"id": "image", "type": "image.generate", "position": {"x": 0, "y": 0},
                                            "params": {"model": model_id, "prompt": prompt,
                                                       "aspect_ratio": aspect_ratio}}], "edges": []})


def _node(node_id: str, node_type: str, x: float, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "position": {"x": x, "y": 0}, "params": params}


def text_video_graph(model_id: str, prompt: str, aspect_ratio: str, duration: int) -> Graph:
    """One text-to-video node: the clip straight from the prompt."""
    video = _node("video", "video.from_text", 0, model=model_id, prompt=prompt, aspect_ratio=aspect_ratio,
                  duration=float(duration), fps=VIDEO_FPS)
    return Graph.model_validate({"nodes": [video], "edges": []})


def video_graph(model_id: str, prompt: str, aspect_ratio: str, duration: int, first_frame: str | None,
                image_model_id: str | None) -> Graph:
    """The first frame (a URL fetched through the guarded fetcher, or a media id), else a text-to-image
    frame at the aspect ratio; then image-to-video with the model."""
    if first_frame is None:
        frame = _node("frame", "image.generate", 0, model=image_model_id or "", prompt=prompt,
                      aspect_ratio=aspect_ratio)
    elif first_frame.startswith(("http://", "https://")):
        frame = _node("frame", "upload.image", 0, source_url=first_frame)
    else:
        frame = _node("frame", "upload.image", 0, media_ids=[first_frame])
    video = _node("video", "video.from_image", 300, engine=model_id, duration=float(duration), fps=VIDEO_FPS)
    edges = [{"id": "frame.image-video.image", "source": "frame", "source_handle": "image", "target": "video",
              "target_handle": "image"}]
    return Graph.model_validate({"nodes": [frame, video], "edges": edges})


class FormatConverter:
    """The job's output mapper for images: the generated PNG converted to the requested format with
    Pillow (on the follower's worker thread) and added to the gallery beside it."""

    def __init__(self, media: MediaLibrary, scratch: Path, output_format: str) -> None:
        self.media = media
        self.scratch = scratch
        self.output_format = output_format

    def __call__(self, job: JobView, outputs: dict[str, Any]) -> list[str]:
        ids = media_ids(job, outputs)
        if self.output_format == "png" or not ids:
            return ids
        from PIL import Image

        pillow_format, suffix = PILLOW_FORMATS[self.output_format]
        owner = Principal(job.user_id, "")
        row = self.media.get(owner, ids[0])
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp, self.media.file_of(row) as source:
            dest = Path(tmp) / f"{job.id}{suffix}"
            with Image.open(source) as img:
                img.convert("RGB").save(dest, pillow_format, quality=92)
            item = self.media.ingest(owner, dest, dest.name, session_id=job.session_id, expect_kind="image")
        return [item.id]


def _error(job: JobView) -> AivsGenerationError | None:
    if job.error is None:
        return None
    return AivsGenerationError(code=str(job.error.get("code", "internal_error")).lower(),
                               message=str(job.error.get("message", "")))


def generation_public(job: JobView, urls: Urls) -> AivsGenerationPublic:
    output = job.outputs[0] if job.status == COMPLETED and job.outputs else None
    return AivsGenerationPublic(
        id=job.id, status=STATUSES[job.status], prompt=str(job.inputs.get("prompt", "")),
        model=str(job.inputs.get("model", "")), type=job.operation,
        credits_charged=job.credits_charged, created_at=iso_z(job.created_at),
        output_url=urls.media_download(output) if output else None,
        output_format=job.inputs.get("output_format"),
        completed_at=iso_z(job.completed_at) if job.completed_at else None, error=_error(job))


class GenerationEvents:
    """The AIVS finisher of jobs: ``generation.completed`` / ``generation.failed`` in the seed's shape,
    to the request's ``webhook_url`` and to the user's endpoints subscribed to the event."""

    def __init__(self, webhooks: Webhooks, urls: Urls, account_secret: Callable[[str], str]) -> None:
        self.webhooks = webhooks
        self.urls = urls
        self.account_secret = account_secret  # signs a webhook_url registered nowhere (the user keeps it)

    def __call__(self, s: Session, job: JobView) -> None:
        event = "generation.completed" if job.status == COMPLETED else "generation.failed"
        public = generation_public(job, self.urls)
        data = {"id": job.id, "type": job.operation, "status": "completed" if job.status == COMPLETED else FAILED,
                "prompt": public.prompt, "output_url": public.output_url, "created_at": public.created_at,
                "completed_at": public.completed_at}
        payload = DIALECTS[DIALECT].envelope(event, data, job.completed_at or job.created_at)
        if job.webhook_url:
            # Every webhook request carries X-Webhook-Signature (the seed): with the endpoint's secret when
            # the URL names a registered one (told once: an endpoint subscribed to the event gets it below),
            # else with the account's webhook secret (the same one Magnific app runs use).
            registered = self.webhooks.registered(s, user_id=job.user_id, dialect_name=DIALECT, url=job.webhook_url)
            if registered is None or event not in registered.events:
                secret = registered.secret if registered else self.account_secret(job.user_id)
                self.webhooks.enqueue(s, user_id=job.user_id, dialect_name=DIALECT, event_type=event,
                                      payload=payload, target_url=job.webhook_url, target_secret=secret)
        self.webhooks.enqueue(s, user_id=job.user_id, dialect_name=DIALECT, event_type=event, payload=payload)


def install_generation_events(studio: Studio) -> None:
    """Make the jobs core tell AIVS clients when their generations end (before the studio starts:
    jobs a crash interrupted are failed, and told, at start-up)."""
    urls = SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url)
    studio.jobs.finishers[DIALECT] = GenerationEvents(studio.webhooks, urls, studio.app_webhook_secrets.secret_for)
