"""The composition root: builds the studio's parts from settings, for the server and the CLI."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from .config import Settings
from .core.engine import Engine
from .core.events import Bus, EventBus
from .core.ports import Executor, Meter, NullMeter
from .core.registry import NodeRegistry, registry_with
from .executors.context import FetchPolicy
from .executors.local import LocalExecutor
from .media_stores import media_store
from .runtimes.media.probe import configure_pillow
from .runtimes.models import assets
from .runtimes.models.model_host import ModelHost
from .runtimes.processes import children, kill_leftovers, recording_server_runs
from .services.accounts import Accounts
from .services.api_keys import ApiKeys, api_key_pepper
from .services.app_webhook_secrets import AppWebhookSecrets
from .services.apps import Apps
from .services.content_signing import ContentSigning
from .services.creation_inputs import CreationInputs
from .services.credits import CreditLedger
from .services.execution import Execution
from .services.gpu import GpuControl
from .services.gpu_billing import GpuBilling
from .services.invitation_mail import InvitationMailer
from .services.invoices import Invoices, Seller, TaxRule
from .services.jobs import Jobs
from .services.login_throttle import LoginThrottle
from .services.media import MediaLibrary
from .services.metering import LedgerMeter
from .services.models import ModelLibrary
from .services.payments import Payments, StripeSettings
from .services.plans import Plans
from .services.rate_limits import KeyRateLimiter
from .services.recipes import RecipeBook
from .services.run_coordination import SharedRuns, holder_id, holder_place
from .services.sessions import Sessions
from .services.sharing import Sharing
from .services.signed_uploads import SignedUploads
from .services.signed_urls import SignedUrls
from .services.statements import Statements
from .services.usage_history import UsageHistory
from .services.voice_samples import VoiceSamples
from .services.voices import VoiceCatalog
from .services.webhook_dispatcher import DispatchConfig, WebhookDispatcher
from .services.webhook_retries import RetryPolicy
from .services.webhook_signing import SecretBox
from .services.webhooks import TargetRules, Webhooks
from .store.db import Database, PoolSize
from .store.file_modes import restrict_umask, tighten
from .store.gpu_leases import GpuLeases
from .store.idempotency_keys import IdempotencyKeys
from .store.migrate import upgrade
from .store.redis_event_bus import RedisEventBus
from .store.run_recorder import SqlRunRecorder
from .store.scratch import clear_orphans

log = logging.getLogger(__name__)


def _private_dirs(settings: Settings) -> list[Path]:
    """The data dir's top folders; a models dir outside it may be shared on purpose and is left alone."""
    data = settings.data_dir.resolve()
    dirs = [data, settings.resolved_media_dir, settings.scratch_dir]
    if settings.resolved_models_dir.is_relative_to(data) and settings.resolved_models_dir.is_dir():
        dirs.append(settings.resolved_models_dir)
    return dirs


class Studio:
    """Everything one studio process holds. Async parts start with :meth:`start`."""

    def __init__(self, settings: Settings, registry: NodeRegistry | None = None) -> None:
        restrict_umask()  # before the first file: the database, media and scratch are private
        settings.ensure_dirs()
        tighten(_private_dirs(settings))
        self.settings = settings
        self.registry = registry or registry_with(settings.extra_node_modules)
        self.db = Database(settings.resolved_database_url, background_checkpoints=True,
                           pool=PoolSize(settings.database_pool_size, settings.database_max_overflow))
        self.migrated = upgrade(self.db)  # True when this start brought the schema up to date
        self.store = media_store(settings)
        self.api_keys = ApiKeys(self.db, api_key_pepper(settings.api_key_pepper, settings.jwt_secret()),
                                default_rate_limit=settings.api_key_rate_limit_per_minute,
                                billing_on=settings.billing == "credits")
        counters = settings.resolved_rate_limit_storage_uri  # memory, or Redis shared by every API process
        self.key_rate_limiter = KeyRateLimiter(counters, window_seconds=settings.api_rate_limit_window_seconds)
        self.accounts = Accounts(self.db, settings.jwt_secret(), settings.token_ttl_seconds, LoginThrottle(
            per_account=settings.login_attempts_per_account, per_client=settings.login_attempts_per_client,
            per_account_total=settings.login_attempts_per_account_total, storage_uri=counters),
            api_keys=self.api_keys)
        self.credits = CreditLedger(self.db, starting_grant=settings.billing_starting_grant
                                    if settings.billing == "credits" else 0)
        self.sessions = Sessions(self.db, self.registry, json_limits=settings.json_limits,
                                 max_expanded_nodes=settings.max_expanded_nodes)
        self.sharing = Sharing(self.db, InvitationMailer(settings.smtp), usage=self.credits.credits_used)
        configure_pillow(settings.media_limits)
        self.media = MediaLibrary(self.db, self.store, settings.media_limits)
        self.content_signing = ContentSigning(settings.data_dir / "content_credentials")
        self.content_signing.ensure()  # first start: the studio's own C2PA signing key
        self.recorder = SqlRunRecorder(self.db)
        self.idempotency_keys = IdempotencyKeys(self.db)  # answers replayed for a repeated Idempotency-Key
        self.recipes = RecipeBook(self.db, self.sessions, self.media, scratch=settings.scratch_dir,
                                  recipes_dir=settings.recipes_dir, max_fetch_bytes=settings.max_upload_bytes,
                                  allow_private_urls=settings.allow_private_urls,
                                  json_limits=settings.json_limits, max_input_bytes=settings.max_recipe_input_bytes,
                                  max_schema_nodes=settings.max_schema_nodes,
                                  fetch_timeout=settings.fetch_timeout_seconds)
        self.bus: Bus = (RedisEventBus(settings.redis_url, max_len=settings.event_stream_max_len,
                                       ttl_seconds=settings.event_stream_ttl_seconds)
                         if settings.redis_url else EventBus())  # Redis: events reach every API process
        assets.configure(settings.resolved_models_dir)  # model files that ship in PyPI packages
        self.models = ModelLibrary(self.db, settings.resolved_models_dir)
        self.voices = VoiceCatalog(settings.resolved_models_dir)
        self.model_host = ModelHost(self.models, settings.resolved_models_dir, settings.model_cache_bytes)
        self.voice_samples = VoiceSamples(settings.resolved_models_dir, settings.data_dir / "voice-samples",
                                          self.model_host.cache)
        # Several API processes on one database: the process whose runtime is up holds a lease, and
        # GPU billing sessions name their holder (a holder id shared with the run leases).
        self.holder_id = holder_id(settings.data_dir) if settings.shared_database else None
        self.gpu = GpuControl(self.model_host.gpu, GpuLeases(self.db, self.holder_id, settings.run_lease_seconds)
                              if self.holder_id is not None else None)
        self.invoices = Invoices(self.db, Seller(name=settings.invoice_seller_name,
                                                 address=settings.invoice_seller_address,
                                                 tax_id=settings.invoice_seller_tax_id),
                                 TaxRule(settings.invoice_tax_label, settings.invoice_tax_rate_percent)
                                 if settings.invoice_tax_rate_percent else None)
        self.statements = Statements(self.db)
        self.payments = Payments(self.db, settings.credit_packs,
                                 StripeSettings(secret_key=settings.stripe_secret_key,
                                                webhook_secret=settings.stripe_webhook_secret,
                                                api_base=settings.stripe_api_base,
                                                public_url=settings.billing_public_url),
                                 self.invoices, ledger=self.credits)
        self.usage = UsageHistory(self.db)
        self.gpu_billing: GpuBilling | None = None
        if settings.billing == "credits":
            self.gpu_billing = GpuBilling(self.db, self.credits, self.model_host.gpu,
                                          price_per_minute=settings.gpu_price_per_minute,
                                          block_minutes=settings.gpu_prepaid_minutes,
                                          idle_timeout_seconds=settings.gpu_idle_timeout_seconds,
                                          holder_id=self.holder_id, lease_seconds=settings.run_lease_seconds)
        self._gpu_ticker: asyncio.Task[None] | None = None
        self._gpu_keeper: asyncio.Task[None] | None = None
        self.meter: Meter = (LedgerMeter(self.credits, self.db, self.models, settings.node_prices,
                                         share_limits=self.sharing.collaborator_limits)
                             if settings.billing == "credits" else NullMeter())
        self.signed_urls = SignedUrls(settings.jwt_secret(), settings.signed_url_ttl_seconds)
        self.signed_uploads = SignedUploads(self.db, self.media, settings.jwt_secret(), scratch=settings.scratch_dir,
                                            max_bytes=settings.max_upload_bytes)
        self.plans = Plans(self.db, billing_on=settings.billing == "credits")
        self.webhooks = Webhooks(
            self.db, SecretBox(settings.jwt_secret()),
            TargetRules(allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private_targets),
            RetryPolicy(tuple(settings.webhook_retry_schedule), settings.webhook_retry_jitter))
        self.webhook_dispatcher = WebhookDispatcher(self.db, self.webhooks, DispatchConfig(
            timeout=settings.webhook_timeout_seconds, lease=settings.webhook_lease_seconds,
            poll=settings.webhook_poll_seconds, concurrency=settings.webhook_concurrency))
        self.jobs = Jobs(self.db, self.sessions, self.api_keys)
        self.apps = Apps(self.db, self.sessions, self.registry, self.media, self.jobs, self.models,
                         CreationInputs(self.media, settings.scratch_dir, max_bytes=settings.max_app_input_bytes,
                                        allow_private_urls=settings.allow_private_urls,
                                        fetch_timeout=settings.fetch_timeout_seconds),
                         node_prices=settings.node_prices if settings.billing == "credits" else None,
                         json_limits=settings.json_limits)
        self.app_webhook_secrets = AppWebhookSecrets(settings.jwt_secret())
        # Several API processes on one database: one run per session across them (leases).
        self.shared_runs = (SharedRuns(self.db, self.bus, settings.run_lease_seconds, on_reaped=self._settle_reaped,
                                       holder=self.holder_id)
                            if self.holder_id is not None else None)
        self.engine: Engine | None = None
        self.execution: Execution | None = None
        self._live_runs: set[str] = set()

    async def start(self) -> None:
        """Recover from an earlier crash, then start the executor and engine."""
        self.db.start_checkpointer()
        self.registry.all()  # import every node module now, not during the first request
        # Runs other live API processes hold go on; the rest were left by a crash or kill.
        self._live_runs = (await asyncio.to_thread(self.shared_runs.live_runs, self._previous_life())
                           if self.shared_runs else set())
        interrupted = self.recorder.mark_interrupted(keep=self._live_runs)
        if interrupted:
            log.warning("marked %d run(s) interrupted by the last shutdown", interrupted)
        failed_jobs = await asyncio.to_thread(self.jobs.fail_interrupted, keep_runs=self._live_runs)
        if failed_jobs:
            log.warning("failed %d job(s) interrupted by the last shutdown", failed_jobs)
        await self._recover_billing()
        self._recover_files()
        await asyncio.to_thread(self.signed_uploads.purge_expired)
        await asyncio.to_thread(self.idempotency_keys.purge_expired)
        executor: Executor
        if self.settings.executor == "celery":  # node work on `miniaistudio worker` processes
            from .executors.celery_executor import CeleryExecutor
            from .store.task_attempts import TaskAttempts

            executor = CeleryExecutor(self.registry, self.settings,
                                      TaskAttempts(self.db, self.settings.celery_max_deliveries))
        else:
            executor = LocalExecutor(self.registry, self.store, self.media, self.settings.scratch_dir,
                                     self.settings.max_concurrent_nodes,
                                     FetchPolicy(self.settings.allow_private_urls, self.settings.max_upload_bytes,
                                                 self.settings.fetch_timeout_seconds),
                                     media_limits=self.settings.media_limits, models=self.model_host,
                                     signing=self.content_signing if self.settings.content_credentials else None)
        self.engine = Engine(self.registry, executor, self.recorder, self.bus,
                             max_expanded_nodes=self.settings.max_expanded_nodes, meter=self.meter,
                             coordinator=self.shared_runs)
        self.execution = Execution(self.db, self.sessions, self.engine, self.shared_runs)
        if self.shared_runs is not None:
            self.shared_runs.start(self.engine)
        self.jobs.engine = self.engine
        self.webhook_dispatcher.start()  # deliveries left by the last process (leases ran out) go too

    def _previous_life(self) -> str | None:
        """What this server's previous life held (same host and data dir, no other server on it) is dead:
        the holder-id prefix of that life, or None (one database per process, or a server still runs here)."""
        if self.holder_id is None or recording_server_runs(self.settings.children_file):
            return None
        return holder_place(self.settings.data_dir)

    async def _recover_billing(self) -> None:
        """Release holds of runs a crash interrupted (none of ours runs yet) and close the GPU billing
        session it left open with the time up to its last tick; then tick GPU billing every second."""
        live = self._live_runs
        released = await asyncio.to_thread(self.credits.release_active, "run", lambda hold: hold.run_id in live)
        if released:
            log.warning("released the credit holds of %d run(s) interrupted by the last shutdown", released)
        if self.gpu.leases is not None:
            self._gpu_keeper = asyncio.create_task(self._keep_gpu_lease(self.settings.run_lease_seconds / 4),
                                                   name="gpu-lease-keeper")
        billing = self.gpu_billing
        if billing is None:
            return
        closed = await asyncio.to_thread(billing.recover, self._previous_life())
        if closed:
            log.warning("closed %d GPU billing session(s) left open by the last shutdown", closed)
        # Shared database: sessions of processes that die later are closed by a live one, about
        # once per lease time (every process tries; the open -> closed claim makes it once).
        recover_every = max(1, round(self.settings.run_lease_seconds)) if self.holder_id is not None else 0

        async def tick() -> None:
            beat = 0
            while True:
                await asyncio.sleep(1.0)
                beat += 1
                try:
                    if billing.is_open:
                        await asyncio.to_thread(billing.tick)
                    if recover_every and beat % recover_every == 0:
                        taken = await asyncio.to_thread(billing.recover)
                        if taken:
                            log.warning("closed %d GPU billing session(s) of a process that stopped answering",
                                        taken)
                except Exception:
                    log.exception("GPU billing tick failed")

        self._gpu_ticker = asyncio.create_task(tick(), name="gpu-billing-ticker")

    async def _keep_gpu_lease(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(self.gpu.keep)
            except Exception:  # the database is unreachable for a moment: try again next beat
                log.exception("GPU runtime lease heartbeat failed")

    def _settle_reaped(self, run_ids: set[str]) -> None:
        """Runs of a dead API process, taken back: give their credit holds back and fail their jobs."""
        self.credits.release_active("run", lambda hold: hold.run_id not in run_ids)
        self.jobs.fail_interrupted(only_runs=run_ids)

    def _recover_files(self) -> None:
        """Kill child processes a crashed server left running, then empty scratch (no run owns it now)."""
        pid_file = self.settings.children_file
        if recording_server_runs(pid_file):
            log.warning("another studio server uses this data dir; scratch and its children are left alone")
        else:
            killed = kill_leftovers(pid_file)
            if killed:
                log.warning("killed %d child process(es) left running by the last shutdown", killed)
            removed = clear_orphans(self.settings.scratch_dir)
            if removed:
                log.info("removed %d orphaned scratch entr%s", removed, "y" if removed == 1 else "ies")
        children.record_in(pid_file)

    async def stop(self) -> None:
        for task in (self._gpu_ticker, self._gpu_keeper):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.gpu_billing is not None:
            await asyncio.to_thread(self.gpu_billing.close, "shutdown")
        if self.gpu.leases is not None:
            await asyncio.to_thread(self.gpu.leases.release)
        await self.webhook_dispatcher.stop()
        if self.execution is not None:
            await self.execution.queue.shutdown()
        if self.engine is not None:
            await self.engine.shutdown()
            await self.jobs.shutdown()
            await self.engine.executor.aclose()
        if self.shared_runs is not None:
            await self.shared_runs.stop()
        await self.bus.aclose()
        self.close()
        children.record_in(None)
        self.settings.children_file.unlink(missing_ok=True)

    def close(self) -> None:
        """Release what the constructor opened (the CLI's admin commands never :meth:`start`)."""
        self.model_host.shutdown()
        self.sharing.close()  # lets invitation e-mails already handed over go out
        self.db.dispose()
