"""The public shape of a media item's C2PA Content Credentials."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ...runtimes.media.content_credentials import CredentialsReport
from ...services.content_signing import SignerSummary


class SignerPublic(BaseModel):
    """Who signs the studio's outputs."""

    subject: str = Field(description="the signing certificate's subject")
    organisation_installed: bool = Field(description="an organisation's certificate (else the studio's own key)")

    @classmethod
    def of(cls, summary: SignerSummary) -> SignerPublic:
        return cls(subject=summary.subject, organisation_installed=summary.organisation_installed)


class SignerInstall(BaseModel):
    """An organisation's certificate chain (PEM, the signing certificate first) and its EC P-256 key."""

    certificate_chain_pem: str = Field(min_length=1, max_length=64 * 1024)
    private_key_pem: str = Field(min_length=1, max_length=16 * 1024)


class CredentialActionPublic(BaseModel):
    action: str | None = Field(description="c2pa.created, c2pa.opened or c2pa.edited")
    digital_source_type: str | None = Field(description="IPTC digital source type URI")
    software_agent: str | None


class CredentialIngredientPublic(BaseModel):
    title: str | None
    relationship: str | None = Field(description="parentOf (the media edited) or componentOf")
    format: str | None
    media_id: str | None = Field(description="the studio media it was made from")
    has_credentials: bool = Field(description="the ingredient carried its own manifest")


class ContentCredentialsPublic(BaseModel):
    """A file's C2PA manifest summary. ``verified``: signature and hashes check out (the file is as
    signed); ``trusted``: the signer chains to a root this studio trusts."""

    media_id: str
    present: bool = Field(description="the file carries Content Credentials")
    verified: bool
    trusted: bool
    state: str | None = Field(description="the C2PA validation state: Invalid, Valid or Trusted")
    failures: list[str] = Field(description="validation failure codes, e.g. assertion.dataHash.mismatch")
    signer: str | None
    issuer: str | None
    claim_generator: str | None
    title: str | None
    ai_generated: bool | None = Field(description="the digital source type says a trained model made it")
    digital_source_type: str | None
    node_type: str | None = Field(description="the studio node that made it (signed)")
    engine: str | None = Field(description="the engine that made it (signed)")
    model: str | None = Field(description="the model that ran, if one did (signed)")
    actions: list[CredentialActionPublic]
    ingredients: list[CredentialIngredientPublic]

    @classmethod
    def of(cls, media_id: str, report: CredentialsReport) -> ContentCredentialsPublic:
        model = report.provenance.get("model")
        return cls(
            media_id=media_id, present=report.present, verified=report.verified, trusted=report.trusted,
            state=report.state, failures=list(report.failures), signer=report.signer, issuer=report.issuer,
            claim_generator=report.claim_generator, title=report.title, ai_generated=report.ai_generated,
            digital_source_type=report.digital_source_type,
            node_type=_text(report.provenance.get("node_type")), engine=_text(report.provenance.get("engine")),
            model=_text(model),
            actions=[CredentialActionPublic(**a) for a in report.actions],
            ingredients=[CredentialIngredientPublic(**i) for i in report.ingredients])


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):  # a model recorded with its details
        return str(value.get("id") or value.get("name") or value)
    return str(value)
