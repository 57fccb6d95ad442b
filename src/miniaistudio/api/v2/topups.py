"""Top-ups with Stripe, invoices and monthly statements: ``/api/v2/billing/...``.

The webhook is the one route without a studio credential: Stripe signs it (``Stripe-Signature``),
and the perimeter lets it through authentication and the cross-site guard (``app.PUBLIC_BODY_PATHS``,
``app.SIGNED_WEBHOOK_PATHS``). PDFs are rendered off the event loop (sync routes run in the pool).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..common.deps import CurrentUser, ProxiesDep, StudioDep
from .schemas import streamed_answer
from .topup_schemas import (
    CheckoutPublic,
    CreditPackPublic,
    CreditPacksPublic,
    InvoicePublic,
    InvoicesPublic,
    StatementPublic,
    StatementsPublic,
    WebhookAckPublic,
)

router = APIRouter(prefix="/billing", tags=["billing"])

WEBHOOK_PATH = "/api/v2/billing/stripe-webhook"


def pdf_response(filename: str, content: bytes) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.get("/packs", summary="Credit packs a top-up can buy, and whether top-ups are configured",
            response_model=CreditPacksPublic, response_model_exclude_unset=True)
def list_packs(_: CurrentUser, studio: StudioDep) -> CreditPacksPublic:
    return CreditPacksPublic(packs=[CreditPackPublic.of(p) for p in studio.payments.packs()],
                             top_ups_enabled=studio.settings.stripe_configured)


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack_id: str = Field(min_length=1, max_length=64)


@router.post("/payment-intent",
             summary="Start a credit top-up: a Stripe Checkout page for one pack (credits arrive by the webhook)",
             response_model=CheckoutPublic, response_model_exclude_unset=True)
def create_payment_intent(body: CheckoutRequest, request: Request, user: CurrentUser, studio: StudioDep,
                          proxies: ProxiesDep) -> CheckoutPublic:
    base = f"{proxies.scheme(request.scope)}://{proxies.host(request.scope)}"
    return CheckoutPublic.of(studio.payments.start_checkout(user, body.pack_id, request_base_url=base))


@router.post("/stripe-webhook", summary="Stripe's webhook (authenticated by the Stripe-Signature header, "
                                        "not a studio credential)",
             response_model=WebhookAckPublic, response_model_exclude_unset=True)
async def stripe_webhook(request: Request, studio: StudioDep,
                         stripe_signature: Annotated[str | None, Header()] = None) -> WebhookAckPublic:
    payload = await request.body()  # the exact bytes Stripe signed
    outcome = await asyncio.to_thread(studio.payments.receive_webhook, payload, stripe_signature)
    return WebhookAckPublic(received=True, outcome=outcome)


@router.get("/invoices", summary="Your invoices, newest first",
            response_model=InvoicesPublic, response_model_exclude_unset=True)
def list_invoices(user: CurrentUser, studio: StudioDep) -> InvoicesPublic:
    return InvoicesPublic(items=[InvoicePublic.of(i) for i in studio.invoices.list_for(user)])


@router.get("/invoices/{invoice_id}/pdf", summary="One invoice as PDF (its buyer or an admin)",
            response_class=Response, responses=streamed_answer("application/pdf", "The invoice as PDF"))
def invoice_pdf(invoice_id: Annotated[str, Path(max_length=64)], user: CurrentUser, studio: StudioDep) -> Response:
    return pdf_response(*studio.invoices.pdf(user, invoice_id))


@router.get("/statements", summary="Your monthly usage statements, the current month first",
            response_model=StatementsPublic, response_model_exclude_unset=True)
def list_statements(user: CurrentUser, studio: StudioDep) -> StatementsPublic:
    return StatementsPublic(items=[StatementPublic.of(s) for s in studio.statements.recent(user)])


@router.get("/statements/{month}/pdf", summary="One month's usage statement (YYYY-MM, UTC) as PDF",
            response_class=Response, responses=streamed_answer("application/pdf", "The statement as PDF"))
def statement_pdf(month: Annotated[str, Path(max_length=20)], user: CurrentUser, studio: StudioDep) -> Response:
    return pdf_response(*studio.statements.pdf(user, month))
