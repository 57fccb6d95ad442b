"""The composition root: builds the studio's parts from settings, for the server and the CLI."""

from __future__ import annotations

import logging

from .config import Settings
from .core.engine import Engine
from .core.events import EventBus
from .core.registry import NodeRegistry, default_registry
from .executors.context import FetchPolicy
from .executors.local import LocalExecutor
from .runtimes import assets
from .runtimes.model_host import ModelHost, current_host_or_none, install_host
from .services.accounts import Accounts
from .services.execution import Execution
from .services.media import MediaLibrary
from .services.models import ModelLibrary
from .services.recipes import RecipeBook
from .services.sessions import Sessions
from .store.db import Database
from .store.media_store import LocalMediaStore
from .store.migrate import upgrade
from .store.run_recorder import SqlRunRecorder

log = logging.getLogger(__name__)


class Studio:
    """Everything one studio process holds. Async parts start with :meth:`start`."""

    def __init__(self, settings: Settings, registry: NodeRegistry | None = None) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.registry = registry or default_registry
        self.db = Database(settings.resolved_database_url, background_checkpoints=True)
        upgrade(self.db)
        self.store = LocalMediaStore(settings.resolved_media_dir)
        self.accounts = Accounts(self.db, settings.jwt_secret(), settings.token_ttl_seconds)
        self.sessions = Sessions(self.db, self.registry, json_limits=settings.json_limits,
                                 max_expanded_nodes=settings.max_expanded_nodes)
        self.media = MediaLibrary(self.db, self.store)
        self.recorder = SqlRunRecorder(self.db)
        self.recipes = RecipeBook(self.db, self.sessions, self.media, scratch=settings.scratch_dir,
                                  recipes_dir=settings.recipes_dir, max_fetch_bytes=settings.max_upload_bytes,
                                  allow_private_urls=settings.allow_private_urls)
        self.bus = EventBus()
        assets.configure(settings.resolved_models_dir)  # model files that ship in PyPI packages
        self.models = ModelLibrary(self.db, settings.resolved_models_dir)
        self.model_host = ModelHost(self.models, settings.resolved_models_dir, settings.model_cache_bytes)
        install_host(self.model_host)
        self.engine: Engine | None = None
        self.execution: Execution | None = None

    async def start(self) -> None:
        """Recover from an earlier crash, then start the executor and engine."""
        self.db.start_checkpointer()
        self.registry.all()  # import every node module now, not during the first request
        interrupted = self.recorder.mark_interrupted()
        if interrupted:
            log.warning("marked %d run(s) interrupted by the last shutdown", interrupted)
        if self.settings.executor != "local":
            raise ValueError(f"unknown executor {self.settings.executor!r} (available: local)")
        executor = LocalExecutor(self.registry, self.store, self.media, self.settings.scratch_dir,
                                 self.settings.max_concurrent_nodes,
                                 FetchPolicy(self.settings.allow_private_urls, self.settings.max_upload_bytes))
        self.engine = Engine(self.registry, executor, self.recorder, self.bus,
                             max_expanded_nodes=self.settings.max_expanded_nodes)
        self.execution = Execution(self.db, self.sessions, self.engine)

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.shutdown()
            await self.engine.executor.aclose()
        self.model_host.shutdown()
        if current_host_or_none() is self.model_host:
            install_host(None)
        self.db.dispose()
