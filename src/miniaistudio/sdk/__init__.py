"""The Python SDK of Mini AI Studio's /api/v2: ``Client`` and ``AsyncClient`` (httpx), typed
answers (Pydantic), ``ApiError`` with the stable ``code``, bounded retries, uploads with
progress, downloads and the run-event stream.

    from miniaistudio.sdk import Client, parse_execution_outputs

    with Client(api_key="mas_...") as studio:          # or $MINIAI_API_KEY / $MINIAI_URL
        run = studio.run_recipe("media_split", {"source_video_url": "https://example.org/clip.mp4"})
        final = studio.poll_session(run.session_id)
        for video in parse_execution_outputs(final).flatten_videos():
            studio.download(video, f"{video.node_id}.mp4")

It lives inside the ``miniaistudio`` package (and imports only httpx, Pydantic and the
dependency-free ``core.errors``), so the studio's wheel is the SDK's too and the CLI can build
on it; see docs/sdk.md.
"""

from .calls import SavedRun
from .client import DEFAULT_URL, AsyncClient, Client, Progress
from .errors import ApiConnectionError, ApiError, ApiTimeoutError
from .models import (
    Balance,
    Binding,
    ErrorInfo,
    GpuHealth,
    GpuMemory,
    GpuStatus,
    GpuStop,
    LoraFile,
    LoraRef,
    Media,
    MediaUpload,
    Model,
    NodeCancelResult,
    NodeRun,
    Pong,
    Recipe,
    RecipeDetail,
    RecipeRun,
    ResolvedLora,
    Run,
    RunEvent,
    RunRecipeRequest,
    Session,
    SessionList,
    SessionSummary,
    StopResult,
)
from .outputs import ExecutionOutputs, MediaOutput, NodeOutputs, parse_execution_outputs
from .retries import RetryPolicy

__all__ = [
    "DEFAULT_URL",
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AsyncClient",
    "Balance",
    "Binding",
    "Client",
    "ErrorInfo",
    "ExecutionOutputs",
    "GpuHealth",
    "GpuMemory",
    "GpuStatus",
    "GpuStop",
    "LoraFile",
    "LoraRef",
    "Media",
    "MediaOutput",
    "MediaUpload",
    "Model",
    "NodeCancelResult",
    "NodeOutputs",
    "NodeRun",
    "Pong",
    "Progress",
    "Recipe",
    "RecipeDetail",
    "RecipeRun",
    "ResolvedLora",
    "RetryPolicy",
    "Run",
    "RunEvent",
    "RunRecipeRequest",
    "SavedRun",
    "Session",
    "SessionList",
    "SessionSummary",
    "StopResult",
    "parse_execution_outputs",
]
