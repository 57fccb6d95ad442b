"""The Magnific finisher of app runs: when a run with a ``webhook`` ends, its final state (the poll's
``data``, as Magnific posts a task) goes to that URL through the platform's delivery service
(durable, retried, logged), signed with the user's app-webhook secret (``services/app_webhook_secrets.py``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...core.urls import Urls
from ...services.app_webhook_secrets import AppWebhookSecrets
from ...services.apps import DIALECT, Apps
from ...services.jobs import COMPLETED, JobView
from ...services.webhook_dialects import DIALECTS
from ...services.webhooks import Webhooks
from ...studio import Studio
from ..files.urls import SignedMediaUrls
from .schemas import MagnificRun


class RunEvents:
    def __init__(self, apps: Apps, webhooks: Webhooks, secrets: AppWebhookSecrets, urls: Urls) -> None:
        self.apps = apps
        self.webhooks = webhooks
        self.secrets = secrets
        self.urls = urls

    def __call__(self, s: Session, job: JobView) -> None:
        if not job.webhook_url:
            return
        event = "run.completed" if job.status == COMPLETED else "run.failed"
        data = MagnificRun.of(self.apps.run_view(s, job), self.urls).model_dump(mode="json")
        payload = DIALECTS[DIALECT].envelope(event, data, job.completed_at or job.created_at)
        self.webhooks.enqueue(s, user_id=job.user_id, dialect_name=DIALECT, event_type=event, payload=payload,
                              target_url=job.webhook_url, target_secret=self.secrets.secret_for(job.user_id))


def install_run_events(studio: Studio) -> None:
    """Make the jobs core tell Magnific clients when their runs end (before the studio starts)."""
    urls = SignedMediaUrls(studio.signed_urls, studio.settings.resolved_public_url)
    studio.jobs.finishers[DIALECT] = RunEvents(studio.apps, studio.webhooks, studio.app_webhook_secrets, urls)
