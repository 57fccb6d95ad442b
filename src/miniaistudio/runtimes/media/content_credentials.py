"""C2PA Content Credentials: signing the files the studio writes, and reading them back.

A signed file carries a manifest anyone can check with a C2PA reader (the Content Authenticity
Initiative's tools, ``c2pa-python``): which software made it, the action (``c2pa.created`` for
a new file, ``c2pa.opened`` + ``c2pa.edited`` for one made from media), the IPTC digital source
type (the same one the XMP packet carries: AI only where a model ran), the engine and model in
an ``org.miniaistudio.provenance`` assertion, and the media it was made from as ingredients
(their own manifests travel with them). The signature is ES256 over a certificate chain: the
studio's own (a self-signed root and a leaf, made at first start) or an organisation's.

Only this module talks to the ``c2pa`` library. Signing is CPU work of a few milliseconds per
file; callers run it on worker threads, never on the event loop.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ...core.errors import StudioError
from .provenance import IPTC_AI, IPTC_ALGORITHMIC, IPTC_COMPOSITE, IPTC_COMPOSITE_AI, SOFTWARE, source_type

#: What the studio signs: the images and videos it writes.
SIGNABLE = frozenset({"image/png", "image/jpeg", "image/webp", "video/mp4"})
PROVENANCE_LABEL = "org.miniaistudio.provenance"
AI_SOURCE_TYPES = frozenset({IPTC_AI, IPTC_COMPOSITE_AI})
#: How many generations of ancestors' manifests a file carries. An ingredient brings its whole manifest
#: store along, so a long chain of edits would grow every file (~4.5 kB and ~0.25 ms per ancestor);
#: past this depth an ingredient is named (title, format, media id) without its bytes and manifests.
EMBEDDED_GENERATIONS = 6
#: Provenance fields copied into the signed assertion: how it was made, not what the user typed.
ASSERTED_FIELDS = ("node_type", "engine", "model", "model_name", "ai_generated", "synthesized", "ai_parts")


class CredentialsError(StudioError):
    """A certificate or key the C2PA library does not accept, or a file it cannot sign."""

    code = "CREDENTIALS_INVALID"
    status = 400


# -- the signing identity -----------------------------------------------------------------------
@dataclass(frozen=True)
class SigningIdentity:
    """A PEM certificate chain (leaf first) with the leaf's private key, and the roots to trust."""

    chain_pem: bytes
    key_pem: bytes
    anchors_pem: bytes  # the roots this studio trusts when verifying (its own and installed ones)

    def leaf_subject(self) -> str:
        from cryptography import x509

        leaf = x509.load_pem_x509_certificates(self.chain_pem)[0]
        return leaf.subject.rfc4514_string()


def new_identity(organisation: str = SOFTWARE) -> SigningIdentity:
    """A fresh EC P-256 root (10 years) and leaf signing certificate, as the C2PA trust model wants:
    the leaf is no CA, signs documents (digitalSignature, emailProtection EKU) and names its issuer."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    valid = (now - dt.timedelta(days=1), now + dt.timedelta(days=3650))

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                             encipher_only=False, decipher_only=False)

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name(f"{organisation} content credentials root")
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage(sign=False, ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name(f"{organisation} signer")).issuer_name(root_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(sign=True, ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    root_pem = root.public_bytes(pem)
    return SigningIdentity(
        chain_pem=leaf.public_bytes(pem) + root_pem,
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        anchors_pem=root_pem)


def chain_root(chain_pem: bytes) -> bytes:
    """The last certificate of a chain: the one to trust for what this chain signs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise CredentialsError(f"the certificate file is not a PEM certificate chain: {exc}") from exc
    return certs[-1].public_bytes(serialization.Encoding.PEM)


def check_identity(identity: SigningIdentity) -> None:
    """Refuse a chain and key that do not belong together or that the C2PA library will not sign with:
    sign a tiny PNG and read it back; the signature must validate."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import load_pem_x509_certificates

    try:
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
        leaf = load_pem_x509_certificates(identity.chain_pem)[0]
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"unreadable key or certificate: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise CredentialsError("the key must be an EC P-256 key (ES256)")
    if leaf.public_key() != key.public_key():
        raise CredentialsError("the key does not belong to the first certificate of the chain")
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    signed = ContentSigner(identity, "check").sign_bytes(buf.getvalue(), "image/png", Claim(title="check.png"))
    report = read_credentials(io.BytesIO(signed), "image/png", identity.anchors_pem)
    if not report.verified:
        raise CredentialsError("the C2PA library does not accept this certificate chain: "
                               + ", ".join(report.failures))


# -- signing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ingredient:
    """Media an output was made from: its file, read when signing (its own manifest is kept)."""

    media_id: str
    mime: str
    title: str
    open: Callable[[], IO[bytes]]  # the file's bytes, opened when signing
    parent: bool = False  # the media being edited (``parentOf``), else a component


@dataclass(frozen=True)
class Claim:
    """What a manifest says about one output."""

    title: str
    provenance: dict[str, Any] = field(default_factory=dict)
    ingredients: tuple[Ingredient, ...] = ()
    media_id: str = ""  # the output's own id: later outputs made from it look up its generation

    def digital_source_type(self) -> str:
        kind = source_type(self.provenance)
        # a classical file made from nothing is algorithmic media, not a composite of sources
        return IPTC_ALGORITHMIC if kind == IPTC_COMPOSITE and not self.ingredients else kind


def manifest_of(claim: Claim, version: str, named: tuple[Ingredient, ...] = ()) -> dict[str, Any]:
    """The manifest definition; ``named`` ingredients are listed without their bytes (the others are
    added from their files, with their hashes and manifests)."""
    source = claim.digital_source_type()
    agent = {"name": SOFTWARE, "version": version}
    actions: list[dict[str, Any]] = []
    parents = [i for i in claim.ingredients if i.parent] or list(claim.ingredients[:1])
    if parents:
        actions.append({"action": "c2pa.opened", "softwareAgent": agent,
                        "parameters": {"ingredientIds": [_label(parents[0])]}})
        actions.append({"action": "c2pa.edited", "softwareAgent": agent, "digitalSourceType": source,
                        "parameters": {"ingredientIds": [_label(i) for i in claim.ingredients]}})
    else:
        actions.append({"action": "c2pa.created", "softwareAgent": agent, "digitalSourceType": source})
    asserted = {k: claim.provenance[k] for k in ASSERTED_FIELDS if claim.provenance.get(k) not in (None, "")}
    asserted["digital_source_type"] = source
    asserted["ingredients"] = [i.media_id for i in claim.ingredients]
    return {
        "claim_generator_info": [agent],
        "title": claim.title,
        "ingredients": [_ingredient_json(i) for i in named],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}},
                       {"label": PROVENANCE_LABEL, "data": json.loads(json.dumps(asserted, default=str))}],
    }


def _label(ingredient: Ingredient) -> str:
    return f"media-{ingredient.media_id}"


def _ingredient_json(ingredient: Ingredient) -> dict[str, Any]:
    return {"title": ingredient.title, "format": ingredient.mime, "label": _label(ingredient),
            "relationship": "parentOf" if ingredient.parent else "componentOf"}


class ContentSigner:
    """Signs files with one identity. One native signer is shared; signing is serialized by a lock
    (a few ms each), so node threads may call it at once."""

    def __init__(self, identity: SigningIdentity, version: str) -> None:
        import c2pa

        self.identity = identity
        self.version = version
        try:
            self._signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
                alg=b"es256", sign_cert=identity.chain_pem, private_key=identity.key_pem, ta_url=None))
        except c2pa.C2paError as exc:
            raise CredentialsError(f"the C2PA library refused the signing key: {exc}") from exc
        # no thumbnail: the file is its own preview, and rendering one would double the cost
        # nor a read-back check after each signature: tests verify with the Reader instead
        self._context = c2pa.Context(settings=c2pa.Settings.from_dict({
            "builder": {"thumbnail": {"enabled": False}},
            "verify": {"verify_after_sign": False, "verify_after_reading": False, "verify_trust": False}}))
        self._lock = threading.Lock()
        self._generations: OrderedDict[str, int] = OrderedDict()  # recent outputs' manifest depth

    def sign_bytes(self, data: bytes, mime: str, claim: Claim) -> bytes:
        out = io.BytesIO()
        self._sign(io.BytesIO(data), out, mime, claim)
        return out.getvalue()

    def sign_file(self, source: Path, dest: Path, mime: str, claim: Claim) -> None:
        with source.open("rb") as src, dest.open("w+b") as out:
            self._sign(src, out, mime, claim)

    def _sign(self, source: IO[bytes], dest: IO[bytes], mime: str, claim: Claim) -> None:
        import c2pa

        try:
            with self._lock:
                # unknown ingredients are uploads (no manifest) or outputs of an earlier process, capped too
                depth = {i.media_id: self._generations.get(i.media_id, 0) for i in claim.ingredients}
                embedded = tuple(i for i in claim.ingredients if depth[i.media_id] < EMBEDDED_GENERATIONS)
                named = tuple(i for i in claim.ingredients if depth[i.media_id] >= EMBEDDED_GENERATIONS)
                builder = c2pa.Builder.from_json(manifest_of(claim, self.version, named), self._context)
                for ingredient in embedded:
                    with ingredient.open() as fh:
                        builder.add_ingredient(_ingredient_json(ingredient), ingredient.mime, fh)
                builder.sign(self._signer, mime, source, dest)
                if claim.media_id:
                    self._generations[claim.media_id] = 1 + max((depth[i.media_id] for i in embedded), default=0)
                    while len(self._generations) > 100_000:
                        self._generations.popitem(last=False)
        except c2pa.C2paError as exc:
            raise CredentialsError(f"C2PA signing failed: {exc}") from exc


# -- reading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CredentialsReport:
    """What a file's active manifest says, and whether it verifies.

    ``verified``: the signature and every hash check out (nothing was changed since signing).
    ``trusted``: also, the signer chains to a root this studio trusts (its own or an installed one).
    """

    present: bool
    verified: bool = False
    trusted: bool = False
    state: str | None = None  # the library's validation state: Invalid, Valid or Trusted
    failures: tuple[str, ...] = ()  # failure codes such as assertion.dataHash.mismatch
    signer: str | None = None
    issuer: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    actions: tuple[dict[str, Any], ...] = ()
    digital_source_type: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    ingredients: tuple[dict[str, Any], ...] = ()

    @property
    def ai_generated(self) -> bool | None:
        return None if self.digital_source_type is None else self.digital_source_type in AI_SOURCE_TYPES


def read_credentials(stream: IO[bytes], mime: str, anchors_pem: bytes | None = None) -> CredentialsReport:
    """Read and validate a file's manifest; ``anchors_pem`` are the roots whose signers are trusted."""
    import c2pa

    settings: dict[str, Any] = {"verify": {"verify_trust": anchors_pem is not None}}
    if anchors_pem:
        settings["trust"] = {"user_anchors": anchors_pem.decode()}
    try:
        with c2pa.Context(settings=c2pa.Settings.from_dict(settings)) as context:
            reader = c2pa.Reader.try_create(mime, stream, None, context)
            if reader is None:
                return CredentialsReport(present=False)
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:  # a manifest the library cannot parse is a broken one
        return CredentialsReport(present=True, state="Invalid", failures=(f"unreadable: {exc}",))
    return _report(store)


def _report(store: dict[str, Any]) -> CredentialsReport:
    state = store.get("validation_state")
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    failures = tuple(str(s.get("code")) for s in store.get("validation_status") or []
                     if s.get("code") != "signingCredential.untrusted")
    actions: list[dict[str, Any]] = []
    provenance: dict[str, Any] = {}
    for assertion in active.get("assertions", []):
        label = str(assertion.get("label", ""))
        if label.startswith("c2pa.actions"):
            actions.extend(assertion.get("data", {}).get("actions", []))
        elif label == PROVENANCE_LABEL:
            provenance = dict(assertion.get("data", {}))
    source = next((a.get("digitalSourceType") for a in actions if a.get("digitalSourceType")), None)
    generator: dict[str, Any] = next(iter(active.get("claim_generator_info") or []), {})
    signature = active.get("signature_info") or {}
    ids = provenance.get("ingredients") or []
    ingredients = tuple(
        {"title": i.get("title"), "relationship": i.get("relationship"), "format": i.get("format"),
         "media_id": ids[n] if n < len(ids) else None, "has_credentials": bool(i.get("active_manifest"))}
        for n, i in enumerate(active.get("ingredients", [])))
    return CredentialsReport(
        present=True, verified=state in ("Valid", "Trusted") and not failures, trusted=state == "Trusted",
        state=state, failures=failures, signer=signature.get("common_name"), issuer=signature.get("issuer"),
        claim_generator=" ".join(str(generator.get(k)) for k in ("name", "version") if generator.get(k)) or None,
        title=active.get("title"),
        actions=tuple({"action": a.get("action"), "digital_source_type": a.get("digitalSourceType"),
                       "software_agent": (a.get("softwareAgent") or {}).get("name")
                       if isinstance(a.get("softwareAgent"), dict) else a.get("softwareAgent")}
                      for a in actions),
        digital_source_type=source, provenance=provenance, ingredients=ingredients)
