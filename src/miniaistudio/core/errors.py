"""Stable error codes shared by every door into the studio (API dialects, CLI, canvas).

Clients translate from ``code``; ``message`` is for humans. HTTP adapters map ``status``.
"""

from __future__ import annotations

from typing import Any


class StudioError(Exception):
    """A domain error with a stable machine-readable code."""

    code: str = "INTERNAL_ERROR"
    status: int = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class Unauthorized(StudioError):
    code, status = "UNAUTHORIZED", 401


class AuthorizationHeaderRequired(StudioError):
    code, status = "AUTHORIZATION_HEADER_REQUIRED", 401


class Forbidden(StudioError):
    code, status = "FORBIDDEN", 403


class NotFound(StudioError):
    code, status = "NOT_FOUND", 404


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"


class MediaNotFound(NotFound):
    code = "MEDIA_NOT_FOUND"


class NodeNotFound(NotFound):
    code = "NODE_NOT_FOUND"


class RunNotFound(NotFound):
    code = "RUN_NOT_FOUND"


class VoiceNotFound(NotFound):
    code = "VOICE_NOT_FOUND"


class ShareNotFound(NotFound):
    """No such share, or not one the caller may see (another owner's share, someone else's invitation)."""

    code = "SHARE_NOT_FOUND"


class MissingSessionId(StudioError):
    code, status = "MISSING_SESSION_ID", 400


class InvalidRequest(StudioError):
    code, status = "INVALID_REQUEST", 422


class Conflict(StudioError):
    code, status = "CONFLICT", 409


class GraphVersionConflict(Conflict):
    code = "GRAPH_VERSION_CONFLICT"


class SessionBusy(Conflict):
    code = "SESSION_BUSY"


class RunQueueFull(Conflict):
    code = "RUN_QUEUE_FULL"


class GraphInvalid(StudioError):
    """The graph cannot be saved or run; ``details.errors`` lists each problem."""

    code, status = "GRAPH_INVALID", 422


class UploadTooLarge(StudioError):
    code, status = "UPLOAD_TOO_LARGE", 413


class UnsupportedMediaType(StudioError):
    code, status = "UNSUPPORTED_MEDIA_TYPE", 415


class NoIds(StudioError):
    code, status = "NO_IDS", 400


class NoAccessibleMedia(StudioError):
    code, status = "NO_ACCESSIBLE_MEDIA", 404


class NodeFailed(StudioError):
    """A node's work failed; ``code`` names why (e.g. FFMPEG_FAILED, INPUT_INVALID)."""

    code, status = "NODE_FAILED", 422


class ToolMissing(StudioError):
    """A system tool or optional package a node needs is not installed."""

    code, status = "TOOL_MISSING", 503


class Canceled(StudioError):
    code, status = "CANCELED", 409


# -- Trust: costly media, uploads, files on disk (issue 9, media slice) -------------------------
class ImageTooLarge(StudioError):
    """An image (or a video frame) has more pixels, or a longer side, than the studio allows."""

    code, status = "IMAGE_TOO_LARGE", 413


class MediaTooLong(StudioError):
    """A video or audio file lasts longer, or has more frames, than the studio allows."""

    code, status = "MEDIA_TOO_LONG", 413


# -- Trust: the HTTP perimeter and accounts (issue 9) ----------------------------------------
class HostNotAllowed(StudioError):
    """The ``Host`` is not one the studio answers to (DNS-rebinding guard)."""

    code, status = "HOST_NOT_ALLOWED", 400


class CrossSiteRequest(StudioError):
    """A state-changing request authenticated by the login cookie came from another origin."""

    code, status = "CROSS_SITE_REQUEST", 403


class BodyTooLarge(StudioError):
    code, status = "BODY_TOO_LARGE", 413


class TooManyLoginAttempts(StudioError):
    """Too many failed sign-ins; ``retry_after`` seconds until the next attempt is accepted."""

    code, status = "TOO_MANY_LOGIN_ATTEMPTS", 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


# -- Trust: graphs, loops and the engine ---------------------------------------------------
class GraphTooLarge(StudioError):
    """The graph a run would have after loop expansion exceeds ``max_expanded_nodes``."""

    code, status = "GRAPH_TOO_LARGE", 422


# -- Credits and billing (issue 11) ------------------------------------------------------------
class InsufficientBalance(StudioError):
    """The payer's available credits do not cover what is about to be held;
    ``details``: ``{required, available}``."""

    code, status = "INSUFFICIENT_BALANCE", 402


class CreditLimit(StudioError):
    """A collaborator's credit limit on a shared session would be crossed;
    ``details``: ``{limit, used, required, period}`` (period ``month`` or ``total``)."""

    code, status = "CREDIT_LIMIT", 402


class MediaStoreUnavailable(StudioError):
    """The media store (an S3 bucket) did not answer or refused the studio's own credentials: try again later."""

    code, status = "MEDIA_STORE_UNAVAILABLE", 503


class BillingUnavailable(StudioError):
    """Billing is enabled but its state cannot be read (or a payment provider is not configured)."""

    code, status = "BILLING_UNAVAILABLE", 503
# -- Webhooks and signed links (issue 12) ------------------------------------------------------
class WebhookNotFound(NotFound):
    code = "WEBHOOK_NOT_FOUND"


class AppNotFound(NotFound):
    code = "APP_NOT_FOUND"


class WebhookDeliveryNotFound(NotFound):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"


class WebhookDisabled(Conflict):
    code = "WEBHOOK_DISABLED"


class SignedUrlInvalid(StudioError):
    """A signed link whose signature does not match its media id and expiry (tampered or forged)."""

    code, status = "SIGNED_URL_INVALID", 403


class SignedUrlExpired(StudioError):
    code, status = "SIGNED_URL_EXPIRED", 403


class PaymentProviderError(StudioError):
    """The payment provider (Stripe) could not be reached or refused a request the studio made."""

    code, status = "PAYMENT_PROVIDER_ERROR", 502


class WebhookSignatureInvalid(StudioError):
    """A payment-provider webhook without a valid, recent signature."""

    code, status = "WEBHOOK_SIGNATURE_INVALID", 400


class InvoiceNotFound(NotFound):
    code = "INVOICE_NOT_FOUND"


# -- API keys and rate limits (issue 12) ----------------------------------------------------
class InsufficientScope(StudioError):
    """The API key lacks the scope the route needs (or the route takes no API key at all)."""

    code, status = "INSUFFICIENT_SCOPE", 403


class IpNotAllowed(StudioError):
    """The API key has an IP allowlist and the caller's address is not in it."""

    code, status = "IP_NOT_ALLOWED", 403


class RateLimited(StudioError):
    """The key's requests per minute are used up; ``retry_after`` seconds until the next is accepted."""

    code, status = "RATE_LIMITED", 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


# -- Plans and signed uploads (issue 13, Studii) ----------------------------------------------
class PlanForbidsTool(StudioError):
    """The user's plan does not include this tool (``services/plans.py``)."""

    code, status = "PLAN_FORBIDS_TOOL", 403


class UploadNotFound(NotFound):
    """No signed upload of the caller's with this object key (another user's key is not found either)."""

    code = "UPLOAD_NOT_FOUND"


class UploadAlreadyUsed(StudioError):
    """A signed upload URL takes one PUT; this one was used (or is being used)."""

    code, status = "UPLOAD_ALREADY_USED", 409


class UploadNotReceived(StudioError):
    """Finalize before the bytes were PUT (or while they are still arriving)."""

    code, status = "UPLOAD_NOT_RECEIVED", 409


class UploadSizeMismatch(StudioError):
    """The bytes that arrived are not the size the upload declared; the upload is discarded."""

    code, status = "UPLOAD_SIZE_MISMATCH", 400


class UploadTypeMismatch(StudioError):
    """The PUT's Content-Type, or the type sniffed from its bytes, is not the type the upload declared."""

    code, status = "UPLOAD_TYPE_MISMATCH", 415
