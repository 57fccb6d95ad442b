"""``Client`` and ``AsyncClient``: the same method set (``calls.py``) over httpx's sync and async
clients, with the retry policy of ``retries.py``, an ``Idempotency-Key`` on every POST (the same
on each repeat), timeouts, uploads with progress, downloads and the run-event stream."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import httpx

from .. import __version__
from . import calls
from .calls import Call, SavedRun
from .errors import ApiConnectionError, ApiError, ApiTimeoutError
from .models import (
    Balance,
    GpuHealth,
    GpuStatus,
    GpuStop,
    LoraFile,
    LoraRef,
    Media,
    MediaUpload,
    Model,
    NodeCancelResult,
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
from .outputs import MediaOutput
from .retries import RetryPolicy, retry_after
from .sse import aparse_lines, ends_run, parse_lines

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8790"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: ``progress(done_bytes, total_bytes_or_None)`` for uploads and downloads.
Progress = Callable[[int, int | None], None]
FileSource = str | os.PathLike[str] | IO[bytes]
MediaRef = str | Media | MediaOutput


class _ProgressFile:
    """A binary file as httpx's multipart reads it, reporting the bytes read so far."""

    def __init__(self, file: IO[bytes], total: int | None, progress: Progress | None) -> None:
        self.file, self.total, self.progress, self.sent = file, total, progress, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.sent += len(chunk)
        if self.progress is not None and chunk:
            self.progress(self.sent, self.total)
        return chunk

    def seekable(self) -> bool:
        return self.file.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self.file.seek(offset, whence)
        self.sent = position
        return position

    def tell(self) -> int:
        return self.file.tell()


def _file_size(file: IO[bytes]) -> int | None:
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = file.tell()
        end = file.seek(0, os.SEEK_END)  # httpx sends the file from its start
        file.seek(here)
        return end
    except (AttributeError, OSError, ValueError):
        return None


def _media_id(media: MediaRef) -> str:
    if isinstance(media, Media):
        return media.id
    if isinstance(media, MediaOutput):
        return media.media_id
    return media


class _Base:
    """Configuration and the parts of a request that do not depend on sync or async."""

    def __init__(self, base_url: str | None = None, *, api_key: str | None = None, token: str | None = None,
                 timeout: float | httpx.Timeout | None = None, max_retries: int | None = None,
                 retry: RetryPolicy | None = None) -> None:
        self.base_url = (base_url or os.environ.get("MINIAI_URL") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None or token is not None else os.environ.get("MINIAI_API_KEY")
        self.token = token
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else (
            httpx.Timeout(timeout, connect=min(timeout, 10.0)) if timeout is not None else DEFAULT_TIMEOUT)
        policy = retry or RetryPolicy()
        self.retry = policy if max_retries is None else RetryPolicy(max_retries, policy.initial_backoff,
                                                                     policy.max_backoff)

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": f"miniaistudio-python-sdk/{__version__}", "Accept": "application/json"}
        credential = self.api_key or self.token
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        return headers

    @staticmethod
    def _call_headers(call: Call[Any]) -> dict[str, str]:
        return {"X-Session-ID": call.session_id} if call.session_id else {}

    def absolute_url(self, url: str) -> str:
        """A URL the studio answered (media carry paths such as /api/v2/media/{id}/download) on this
        client's base URL; absolute URLs are returned unchanged."""
        if httpx.URL(url).is_absolute_url:
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    @staticmethod
    def _error(response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            details = body.get("details")
            return ApiError(str(body.get("message", "")), code=body["code"], status=response.status_code,
                            details=details if isinstance(details, dict) else None,
                            retry_after=retry_after(response.headers))
        text = response.text.strip()[:200] or response.reason_phrase
        return ApiError(text, code=f"HTTP_{response.status_code}", status=response.status_code,
                        retry_after=retry_after(response.headers))

    @staticmethod
    def _failure(exc: httpx.TransportError, method: str, url: str) -> ApiConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeoutError(f"{method} {url}: no answer in time ({type(exc).__name__})")
        return ApiConnectionError(f"{method} {url}: {exc or type(exc).__name__}")

    @staticmethod
    def _sent(exc: httpx.TransportError) -> bool:
        """Whether a failed request may have reached the server (False: no connection was made)."""
        return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)

    def _recipe_request(self, inputs: Mapping[str, Any] | None, execute: bool,
                        session_name: str | None) -> RunRecipeRequest:
        return RunRecipeRequest(inputs=dict(inputs or {}), execute=execute, session_name=session_name)


class Client(_Base):
    """A synchronous client of one studio.

    ``Client(base_url=None, api_key=None, token=None, timeout=None, max_retries=None)``: the URL
    defaults to ``$MINIAI_URL`` then http://127.0.0.1:8790, the key to ``$MINIAI_API_KEY``. Use it
    as a context manager, or call ``close()``.
    """

    def __init__(self, base_url: str | None = None, *, api_key: str | None = None, token: str | None = None,
                 timeout: float | httpx.Timeout | None = None, max_retries: int | None = None,
                 retry: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url, api_key=api_key, token=token, timeout=timeout, max_retries=max_retries,
                         retry=retry)
        self._http = httpx.Client(base_url=self.base_url, headers=self._headers(), timeout=self.timeout,
                                  transport=transport)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- sending ---------------------------------------------------------------------------------
    def _send(self, call: Call[T]) -> T:
        response = self._request(call.method, call.path, call.safe_to_repeat, json=call.json,
                                 params=dict(call.params), headers=self._call_headers(call),
                                 idempotency=call.method == "POST")
        return call.result(response.json() if response.content else None, response.headers)

    def _request(self, method: str, path: str, safe_to_repeat: bool, *, idempotency: bool = False,
                 replayable: bool = True, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", None) or {})
        if idempotency:
            headers["Idempotency-Key"] = f"sdk-{uuid.uuid4()}"
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, headers=headers, **kw)
            except httpx.TransportError as exc:
                wait = self.retry.after_failure(attempt, sent=self._sent(exc), idempotent=safe_to_repeat)
                if wait is None or not replayable:
                    raise self._failure(exc, method, path) from exc
            else:
                if response.is_success:
                    return response
                wait = self.retry.after_answer(attempt, response.status_code, response.headers,
                                               idempotent=safe_to_repeat)
                if wait is None or not replayable:
                    raise self._error(response)
            time.sleep(wait)
            attempt += 1

    @contextlib.contextmanager
    def _stream(self, path: str, *, headers: Mapping[str, str] | None = None,
                timeout: httpx.Timeout | None = None) -> Iterator[httpx.Response]:
        """A GET whose answer is read as it arrives, repeated like any GET until it succeeds."""
        attempt = 0
        while True:
            request = self._http.build_request("GET", path, headers=headers,
                                               timeout=timeout if timeout is not None else self.timeout)
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                wait = self.retry.after_failure(attempt, sent=self._sent(exc), idempotent=True)
                if wait is None:
                    raise self._failure(exc, "GET", path) from exc
            else:
                if response.is_success:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                response.read()
                response.close()
                wait = self.retry.after_answer(attempt, response.status_code, response.headers, idempotent=True)
                if wait is None:
                    raise self._error(response)
            time.sleep(wait)
            attempt += 1

    # -- recipes ---------------------------------------------------------------------------------
    def list_recipes(self) -> list[Recipe]:
        return self._send(calls.list_recipes())

    def get_recipe(self, recipe_id: str) -> RecipeDetail:
        return self._send(calls.get_recipe(recipe_id))

    def create_session_from_recipe(self, recipe_id: str, inputs: Mapping[str, Any] | None = None,
                                   name: str | None = None) -> RecipeRun:
        """A session prepared from a recipe, not run (execute=false)."""
        return self._send(calls.run_recipe(recipe_id, self._recipe_request(inputs, False, name)))

    def run_recipe(self, recipe_id: str, inputs: Mapping[str, Any] | None = None, *, execute: bool = True,
                   session_name: str | None = None) -> RecipeRun:
        """A session from a recipe, run at once unless ``execute=False``; follow it with
        ``poll_session`` or ``events``."""
        return self._send(calls.run_recipe(recipe_id, self._recipe_request(inputs, execute, session_name)))

    # -- sessions --------------------------------------------------------------------------------
    def new_session(self, name: str | None = None, graph: Mapping[str, Any] | None = None) -> Session:
        return self._send(calls.new_session(name, graph))

    def list_sessions(self, query: str | None = None, *, limit: int = 50, offset: int = 0) -> SessionList:
        return self._send(calls.list_sessions(query, limit, offset))

    def get_session(self, session_id: str) -> Session:
        return self._send(calls.get_session(session_id))

    def put_studio_flow(self, session_id: str, graph: Mapping[str, Any], version: int, *,
                        viewport: Mapping[str, Any] | None = None,
                        tabs: Sequence[Any] | None = None) -> SessionSummary:
        """Save the graph; ``version`` is the one the write is based on (GRAPH_VERSION_CONFLICT if stale)."""
        return self._send(calls.put_studio_flow(session_id, graph, version, viewport, tabs))

    def poll_session(self, session_id: str, interval: float = 2.0, done: Callable[[Run | None], bool] | None = None,
                     *, timeout: float | None = None) -> Run | None:
        """Ask for the session's run every ``interval`` seconds until ``done(run)`` (default: the
        run has ended); ``timeout`` raises ``ApiTimeoutError`` after that many seconds."""
        until = done or (lambda run: run is not None and run.finished)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.get_session_execution(session_id)
            if until(run):
                return run
            if deadline is not None and time.monotonic() + interval > deadline:
                raise ApiTimeoutError(f"session {session_id}: not done after {timeout} s")
            time.sleep(interval)

    # -- execution -------------------------------------------------------------------------------
    def execute_full(self, session_id: str) -> Run:
        return self._send(calls.execute_full(session_id))

    def save_and_execute(self, session_id: str, graph: Mapping[str, Any], version: int) -> SavedRun:
        """Save the graph (based on ``version``) and run it in one round trip; ``.version`` is the
        graph version that ran (GRAPH_VERSION_CONFLICT if someone saved since ``version``)."""
        return self._send(calls.save_and_execute(session_id, graph, version))

    def stop_session(self, session_id: str) -> StopResult:
        return self._send(calls.stop_session(session_id))

    def cancel_node_execution(self, session_id: str, node_id: str) -> NodeCancelResult:
        return self._send(calls.cancel_node_execution(session_id, node_id))

    def get_session_execution(self, session_id: str) -> Run | None:
        """The session's active or latest run (None: it never ran)."""
        return self._send(calls.get_session_execution(session_id))

    def events(self, session_id: str, *, run_id: str | None = None, until_finished: bool = True) -> Iterator[RunEvent]:
        """The session's run events (Server-Sent Events), a ``snapshot`` first. With
        ``until_finished`` the iterator ends once the run (``run_id``, or the current one) has ended."""
        headers = {"Accept": "text/event-stream", "X-Session-ID": session_id}
        timeout = httpx.Timeout(self.timeout.connect, read=60.0)  # the studio pings every 15 s
        with self._stream(calls.events_path(), headers=headers, timeout=timeout) as response:
            for event in parse_lines(response.iter_lines()):
                yield event
                if until_finished and ends_run(event, run_id):
                    return

    # -- media -----------------------------------------------------------------------------------
    def upload_studio_file(self, file: FileSource, *, session_id: str | None = None, filename: str | None = None,
                           node_id: str | None = None, progress: Progress | None = None) -> MediaUpload:
        """Upload a file (a path, or a binary file object) into a session's gallery (or yours)."""
        with contextlib.ExitStack() as stack:
            handle: IO[bytes] = (stack.enter_context(open(file, "rb")) if isinstance(file, str | os.PathLike)
                                 else file)
            name = filename or Path(str(getattr(handle, "name", "upload"))).name
            body = _ProgressFile(handle, _file_size(handle), progress)
            params = {k: v for k, v in (("session_id", session_id), ("node_id", node_id)) if v}
            response = self._request("POST", calls.upload_path(), False, idempotency=True, params=params,
                                     files={"file": (name, body)}, replayable=body.seekable())
            return MediaUpload.model_validate(response.json())

    def download(self, media: MediaRef, dest: str | os.PathLike[str] | IO[bytes], *,
                 progress: Progress | None = None) -> Path | None:
        """Save a media file (an id, a ``Media`` or a run's ``MediaOutput``) to a path (written
        whole or not at all) or into a binary file object; returns the path."""
        path = calls.media_download_path(_media_id(media))
        with self._stream(path) as response:
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            if not isinstance(dest, str | os.PathLike):
                _copy(response.iter_bytes(), dest, total, progress)
                return None
            target = Path(dest)
            partial = target.with_name(f".{target.name}.part")
            try:
                with partial.open("wb") as out:
                    _copy(response.iter_bytes(), out, total, progress)
                partial.replace(target)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            return target

    # -- LoRAs, billing, system, GPU -------------------------------------------------------------
    def list_loras(self) -> list[Model]:
        return self._send(calls.list_loras())

    def resolve_lora_chain(self, chain: Sequence[LoraRef | Mapping[str, Any]]) -> list[ResolvedLora]:
        return self._send(calls.resolve_lora_chain(chain))

    def resolve_lora_chain_by_filename(self, chain: Sequence[LoraFile | Mapping[str, Any]]) -> list[ResolvedLora]:
        return self._send(calls.resolve_lora_chain_by_filename(chain))

    def get_balance(self) -> Balance:
        return self._send(calls.get_balance())

    def ping(self) -> Pong:
        return self._send(calls.ping())

    def get_gpu_scheduler_health(self) -> GpuHealth:
        return self._send(calls.get_gpu_scheduler_health())

    def get_gpu_status(self) -> GpuStatus:
        return self._send(calls.get_gpu_status())

    def start_gpu(self) -> GpuStatus:
        return self._send(calls.start_gpu())

    def stop_gpu(self, mode: str = "graceful") -> GpuStop:
        """``graceful`` lets running tasks finish; ``immediate`` cancels them (admins)."""
        return self._send(calls.stop_gpu(mode))


def _copy(chunks: Iterator[bytes], out: IO[bytes], total: int | None, progress: Progress | None) -> None:
    done = 0
    for chunk in chunks:
        out.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)


class AsyncClient(_Base):
    """``Client``'s twin for asyncio: the same methods, awaited (``events`` is an async iterator)."""

    def __init__(self, base_url: str | None = None, *, api_key: str | None = None, token: str | None = None,
                 timeout: float | httpx.Timeout | None = None, max_retries: int | None = None,
                 retry: RetryPolicy | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, api_key=api_key, token=token, timeout=timeout, max_retries=max_retries,
                         retry=retry)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self._headers(), timeout=self.timeout,
                                       transport=transport)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- sending ---------------------------------------------------------------------------------
    async def _send(self, call: Call[T]) -> T:
        response = await self._request(call.method, call.path, call.safe_to_repeat, json=call.json,
                                       params=dict(call.params), headers=self._call_headers(call),
                                       idempotency=call.method == "POST")
        return call.result(response.json() if response.content else None, response.headers)

    async def _request(self, method: str, path: str, safe_to_repeat: bool, *, idempotency: bool = False,
                       replayable: bool = True, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", None) or {})
        if idempotency:
            headers["Idempotency-Key"] = f"sdk-{uuid.uuid4()}"
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, headers=headers, **kw)
            except httpx.TransportError as exc:
                wait = self.retry.after_failure(attempt, sent=self._sent(exc), idempotent=safe_to_repeat)
                if wait is None or not replayable:
                    raise self._failure(exc, method, path) from exc
            else:
                if response.is_success:
                    return response
                wait = self.retry.after_answer(attempt, response.status_code, response.headers,
                                               idempotent=safe_to_repeat)
                if wait is None or not replayable:
                    raise self._error(response)
            await asyncio.sleep(wait)
            attempt += 1

    @contextlib.asynccontextmanager
    async def _stream(self, path: str, *, headers: Mapping[str, str] | None = None,
                      timeout: httpx.Timeout | None = None) -> AsyncIterator[httpx.Response]:
        attempt = 0
        while True:
            request = self._http.build_request("GET", path, headers=headers,
                                               timeout=timeout if timeout is not None else self.timeout)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                wait = self.retry.after_failure(attempt, sent=self._sent(exc), idempotent=True)
                if wait is None:
                    raise self._failure(exc, "GET", path) from exc
            else:
                if response.is_success:
                    try:
                        yield response
                    finally:
                        await response.aclose()
                    return
                await response.aread()
                await response.aclose()
                wait = self.retry.after_answer(attempt, response.status_code, response.headers, idempotent=True)
                if wait is None:
                    raise self._error(response)
            await asyncio.sleep(wait)
            attempt += 1

    # -- recipes ---------------------------------------------------------------------------------
    async def list_recipes(self) -> list[Recipe]:
        return await self._send(calls.list_recipes())

    async def get_recipe(self, recipe_id: str) -> RecipeDetail:
        return await self._send(calls.get_recipe(recipe_id))

    async def create_session_from_recipe(self, recipe_id: str, inputs: Mapping[str, Any] | None = None,
                                         name: str | None = None) -> RecipeRun:
        return await self._send(calls.run_recipe(recipe_id, self._recipe_request(inputs, False, name)))

    async def run_recipe(self, recipe_id: str, inputs: Mapping[str, Any] | None = None, *, execute: bool = True,
                         session_name: str | None = None) -> RecipeRun:
        return await self._send(calls.run_recipe(recipe_id, self._recipe_request(inputs, execute, session_name)))

    # -- sessions --------------------------------------------------------------------------------
    async def new_session(self, name: str | None = None, graph: Mapping[str, Any] | None = None) -> Session:
        return await self._send(calls.new_session(name, graph))

    async def list_sessions(self, query: str | None = None, *, limit: int = 50, offset: int = 0) -> SessionList:
        return await self._send(calls.list_sessions(query, limit, offset))

    async def get_session(self, session_id: str) -> Session:
        return await self._send(calls.get_session(session_id))

    async def put_studio_flow(self, session_id: str, graph: Mapping[str, Any], version: int, *,
                              viewport: Mapping[str, Any] | None = None,
                              tabs: Sequence[Any] | None = None) -> SessionSummary:
        return await self._send(calls.put_studio_flow(session_id, graph, version, viewport, tabs))

    async def poll_session(self, session_id: str, interval: float = 2.0,
                           done: Callable[[Run | None], bool] | None = None, *,
                           timeout: float | None = None) -> Run | None:
        until = done or (lambda run: run is not None and run.finished)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = await self.get_session_execution(session_id)
            if until(run):
                return run
            if deadline is not None and time.monotonic() + interval > deadline:
                raise ApiTimeoutError(f"session {session_id}: not done after {timeout} s")
            await asyncio.sleep(interval)

    # -- execution -------------------------------------------------------------------------------
    async def execute_full(self, session_id: str) -> Run:
        return await self._send(calls.execute_full(session_id))

    async def save_and_execute(self, session_id: str, graph: Mapping[str, Any], version: int) -> SavedRun:
        """Save the graph and run it in one round trip (see ``Client.save_and_execute``)."""
        return await self._send(calls.save_and_execute(session_id, graph, version))

    async def stop_session(self, session_id: str) -> StopResult:
        return await self._send(calls.stop_session(session_id))

    async def cancel_node_execution(self, session_id: str, node_id: str) -> NodeCancelResult:
        return await self._send(calls.cancel_node_execution(session_id, node_id))

    async def get_session_execution(self, session_id: str) -> Run | None:
        return await self._send(calls.get_session_execution(session_id))

    async def events(self, session_id: str, *, run_id: str | None = None,
                     until_finished: bool = True) -> AsyncIterator[RunEvent]:
        headers = {"Accept": "text/event-stream", "X-Session-ID": session_id}
        timeout = httpx.Timeout(self.timeout.connect, read=60.0)
        async with self._stream(calls.events_path(), headers=headers, timeout=timeout) as response:
            async for event in aparse_lines(response.aiter_lines()):
                yield event
                if until_finished and ends_run(event, run_id):
                    return

    # -- media -----------------------------------------------------------------------------------
    async def upload_studio_file(self, file: FileSource, *, session_id: str | None = None,
                                 filename: str | None = None, node_id: str | None = None,
                                 progress: Progress | None = None) -> MediaUpload:
        """As ``Client.upload_studio_file``; a path is read on a worker thread, a file object as given."""
        with contextlib.ExitStack() as stack:
            handle: IO[bytes] = (stack.enter_context(await asyncio.to_thread(open, file, "rb"))
                                 if isinstance(file, str | os.PathLike) else file)
            name = filename or Path(str(getattr(handle, "name", "upload"))).name
            body = _ProgressFile(handle, _file_size(handle), progress)
            params = {k: v for k, v in (("session_id", session_id), ("node_id", node_id)) if v}
            response = await self._request("POST", calls.upload_path(), False, idempotency=True, params=params,
                                           files={"file": (name, body)}, replayable=body.seekable())
            return MediaUpload.model_validate(response.json())

    async def download(self, media: MediaRef, dest: str | os.PathLike[str] | IO[bytes], *,
                       progress: Progress | None = None) -> Path | None:
        path = calls.media_download_path(_media_id(media))
        async with self._stream(path) as response:
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            if not isinstance(dest, str | os.PathLike):
                done = 0
                async for chunk in response.aiter_bytes():
                    dest.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                return None
            target = Path(dest)
            partial = target.with_name(f".{target.name}.part")
            out = await asyncio.to_thread(partial.open, "wb")
            try:
                done = 0
                async for chunk in response.aiter_bytes():
                    await asyncio.to_thread(out.write, chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                out.close()
                await asyncio.to_thread(partial.replace, target)
            except BaseException:
                out.close()
                partial.unlink(missing_ok=True)
                raise
            return target

    # -- LoRAs, billing, system, GPU -------------------------------------------------------------
    async def list_loras(self) -> list[Model]:
        return await self._send(calls.list_loras())

    async def resolve_lora_chain(self, chain: Sequence[LoraRef | Mapping[str, Any]]) -> list[ResolvedLora]:
        return await self._send(calls.resolve_lora_chain(chain))

    async def resolve_lora_chain_by_filename(self, chain: Sequence[LoraFile | Mapping[str, Any]]
                                             ) -> list[ResolvedLora]:
        return await self._send(calls.resolve_lora_chain_by_filename(chain))

    async def get_balance(self) -> Balance:
        return await self._send(calls.get_balance())

    async def ping(self) -> Pong:
        return await self._send(calls.ping())

    async def get_gpu_scheduler_health(self) -> GpuHealth:
        return await self._send(calls.get_gpu_scheduler_health())

    async def get_gpu_status(self) -> GpuStatus:
        return await self._send(calls.get_gpu_status())

    async def start_gpu(self) -> GpuStatus:
        return await self._send(calls.start_gpu())

    async def stop_gpu(self, mode: str = "graceful") -> GpuStop:
        return await self._send(calls.stop_gpu(mode))
