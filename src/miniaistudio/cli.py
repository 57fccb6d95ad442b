"""The ``miniaistudio`` command: serve the studio and manage users from the shell."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .core.errors import StudioError
from .services.plans import Plan, parse_plan

if TYPE_CHECKING:
    from .services.models import InstalledModel
    from .studio import Studio

FIRST_ADMIN = "admin@localhost"


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(data_dir=getattr(args, "data_dir", None), host=getattr(args, "host", None),
                         port=getattr(args, "port", None))


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from .app import create_app
    from .store.file_modes import restrict_umask
    from .studio import Studio

    restrict_umask()  # the server's files (and its logs, its children's outputs) are private
    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    studio = Studio(settings)
    if studio.accounts.user_count() == 0:
        password = secrets.token_urlsafe(12)
        studio.accounts.create_user(FIRST_ADMIN, password, admin=True)
        bar = "=" * 64
        print(f"{bar}\n First start: an admin account was created. Sign in with\n"
              f"   email:    {FIRST_ADMIN}\n   password: {password}\n"
              f" (shown once; change it with `miniaistudio users set-password`)\n"
              f" More users: miniaistudio users create --email E --password P [--admin]\n{bar}",
              flush=True)
    print(f"Mini AI Studio at http://{settings.host}:{settings.port}  (data: {settings.data_dir.resolve()})",
          flush=True)
    uvicorn.run(create_app(settings, studio), host=settings.host, port=settings.port,
                log_level=settings.log_level, access_log=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A Celery worker for ``MINIAI_EXECUTOR=celery``: runs the node tasks of the queues named."""
    import logging

    from .executors.celery_app import QUEUES
    from .executors.celery_worker import run_worker
    from .store.db import Database
    from .store.file_modes import restrict_umask
    from .store.migrate import upgrade

    restrict_umask()
    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = [q for q in queues if q not in QUEUES and q not in settings.node_queues.values()]
    if not queues or unknown:
        print(f"error: --queues takes a comma-separated list of {', '.join(QUEUES)} "
              f"(or a queue named in node_queues); got {args.queues!r}", file=sys.stderr)
        return 2
    if not settings.redis_url:
        print("error: a worker needs MINIAI_REDIS_URL (its broker)", file=sys.stderr)
        return 2
    settings.ensure_dirs()
    db = Database(settings.resolved_database_url)
    try:
        upgrade(db)  # the task_attempts table must exist before the first task
    finally:
        db.dispose()
    run_worker(settings, queues, args.concurrency, hostname=args.name)
    return 0


@contextmanager
def _studio(args: argparse.Namespace) -> Iterator[Studio]:
    """The studio's parts for an admin command (the same composition root as the server, not started)."""
    from .studio import Studio

    studio = Studio(_settings(args))
    try:
        yield studio
    finally:
        studio.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        print("database migrated to the newest schema" if studio.migrated else "database schema is up to date")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Password: ")


def cmd_users_create(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        user = studio.accounts.create_user(args.email, _password(args), admin=args.admin)
    print(f"created {'admin ' if user.is_admin else ''}user {user.email} ({user.id})")
    return 0


def cmd_users_set_password(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        studio.accounts.set_password(args.email, _password(args))
    print(f"password changed for {args.email}; existing logins were signed out")
    return 0


def cmd_users_plan(args: argparse.Namespace) -> int:
    plan = None if args.plan == "default" else parse_plan(args.plan)
    with _studio(args) as studio:
        view = studio.plans.set(plan=plan, email=args.email)
    effective = view.plan.value if view.plan else "none (billing is off: every tool)"
    print(f"{view.email}: plan {effective}{'' if view.stored else ' (the studio default)'}")
    return 0


def cmd_credits_grant(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        user_id = studio.accounts.user_id_by_email(args.email)
        entry = studio.credits.grant(user_id, args.amount, reason=args.reason or "granted by an admin")
    print(f"granted {entry.amount} credits to {args.email}; available now {entry.available_after}")
    return 0


def cmd_credits_show(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        user_id = studio.accounts.user_id_by_email(args.email)
        balance = studio.credits.balance(user_id, open_account=studio.settings.billing == "credits")
    print(f"{args.email}: available {balance.available}, reserved {balance.reserved}, total {balance.total} "
          f"(billing: {studio.settings.billing})")
    return 0


def cmd_credits_ledger(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        user_id = studio.accounts.user_id_by_email(args.email)
        page = studio.credits.entries(user_id, page=1, page_size=args.limit)
    print(f"{'WHEN (UTC)':<20} {'KIND':<10} {'AMOUNT':>10} {'RESERVED':>9} {'AVAILABLE':>10}  REASON")
    for e in page.entries:
        refs = " ".join(f"{k}={v}" for k, v in (("run", e.run_id), ("gpu", e.gpu_session_id), ("model", e.model_id))
                        if v)
        print(f"{e.created_at:%Y-%m-%d %H:%M:%S} {e.kind:<10} {e.amount:>+10} {e.reserved_delta:>+9} "
              f"{e.available_after:>10}  {e.reason}{'  ' + refs if refs else ''}")
    print(f"{len(page.entries)} of {page.total} entries, newest first")
    return 0


def cmd_credits_verify(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        checks = studio.credits.verify()
    bad = [c for c in checks if not c.ok]
    for c in bad:
        print(f"MISMATCH {c.user_id}: account available {c.available} reserved {c.reserved}; entries sum "
              f"{c.entries_available} / {c.entries_reserved}; active holds {c.holds_reserved}")
    print(f"{len(checks)} account(s) checked, {len(bad)} mismatch(es)")
    return 1 if bad else 0


def _print_model(m: InstalledModel, verb: str) -> None:
    print(f"{verb} {m.kind} model {m.id} ({m.format}, {m.size_bytes / 2**20:.1f} MiB, "
          f"sha256 {m.sha256[:12]}) at {m.path}")


def cmd_models_list(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        rows = studio.models.installed(kind=args.kind)
    if not rows:
        print("no models installed; add one with `miniaistudio models import PATH` "
              "or `miniaistudio models pull REPO_ID`")
        return 0
    print(f"{'ID':<32} {'KIND':<15} {'FORMAT':<12} {'SIZE':>10}  NAME")
    for m in rows:
        print(f"{m.id:<32} {m.kind:<15} {m.format:<12} {m.size_bytes / 2**20:>8.1f}Mi  {m.display_name}")
    return 0


def cmd_models_import(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        _print_model(studio.models.import_path(args.path, kind=args.kind, name=args.name,
                                               credits_per_generation=args.credits), "imported")
    return 0


def cmd_models_pull(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        _print_model(studio.models.pull(args.repo_id, kind=args.kind, name=args.name, revision=args.revision),
                     "pulled")
    return 0


def cmd_models_remove(args: argparse.Namespace) -> int:
    with _studio(args) as studio:
        _print_model(studio.models.remove(args.id), "removed")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1 or value > 10**12:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 10^12")
    return value


def cmd_credentials_install(args: argparse.Namespace) -> int:
    from .services.content_signing import ContentSigning

    settings = _settings(args)
    signing = ContentSigning(settings.data_dir / "content_credentials")
    summary = signing.install(Path(args.cert).read_bytes(), Path(args.key).read_bytes())
    print(f"installed: outputs are now signed by {summary.subject} "
          "(a running server uses it from its next output); its root is trusted from now on")
    return 0


def cmd_credentials_show(args: argparse.Namespace) -> int:
    from .services.content_signing import ContentSigning

    summary = ContentSigning(_settings(args).data_dir / "content_credentials").summary()
    origin = "an installed organisation certificate" if summary.organisation_installed else "the studio's own key"
    print(f"outputs are signed by {summary.subject} ({origin})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="miniaistudio", description="Mini AI Studio")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, default=None,
                       help="where the studio keeps everything (default: $MINIAI_DATA_DIR or ./data)")

    serve = sub.add_parser("serve", help="start the studio server")
    serve.add_argument("--host", default=None, help="default 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default 8790")
    data_dir(serve)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run node tasks for API processes with MINIAI_EXECUTOR=celery")
    worker.add_argument("--queues", default="gpu,cpu", help="queues to take tasks from: gpu, cpu or both "
                                                           "(default gpu,cpu)")
    worker.add_argument("--concurrency", type=int, default=1, help="tasks run at once (pool processes; default 1)")
    worker.add_argument("--name", default=None, help="the worker's node name (default queues@host:pid)")
    data_dir(worker)
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    data_dir(migrate)
    migrate.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create a user (works while the server runs)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="read from stdin or prompted when omitted")
    create.add_argument("--admin", action="store_true")
    data_dir(create)
    create.set_defaults(func=cmd_users_create)
    setpw = users.add_parser("set-password", help="change a user's password")
    setpw.add_argument("--email", required=True)
    setpw.add_argument("--password")
    data_dir(setpw)
    setpw.set_defaults(func=cmd_users_set_password)
    plan = users.add_parser("plan", help="set a user's plan: pro, team, business, or default")
    plan.add_argument("email")
    plan.add_argument("plan", choices=[*(p.value for p in Plan), "default"])
    data_dir(plan)
    plan.set_defaults(func=cmd_users_plan)

    credits = sub.add_parser("credits", help="credits ledger (works while the server runs)").add_subparsers(
        dest="credits_command", required=True)
    grant = credits.add_parser("grant", help="grant credits to a user")
    grant.add_argument("--email", required=True)
    grant.add_argument("--amount", type=_positive_int, required=True, help="whole credits, at least 1")
    grant.add_argument("--reason", default=None)
    data_dir(grant)
    grant.set_defaults(func=cmd_credits_grant)
    show = credits.add_parser("show", help="a user's balance")
    show.add_argument("--email", required=True)
    data_dir(show)
    show.set_defaults(func=cmd_credits_show)
    ledger = credits.add_parser("ledger", help="a user's ledger entries, newest first")
    ledger.add_argument("--email", required=True)
    ledger.add_argument("--limit", type=_positive_int, default=100, help="most entries shown (default 100)")
    data_dir(ledger)
    ledger.set_defaults(func=cmd_credits_ledger)
    verify = credits.add_parser("verify", help="check every balance against its entries (exit 1 on a mismatch)")
    data_dir(verify)
    verify.set_defaults(func=cmd_credits_verify)

    models = sub.add_parser("models", help="manage generative models").add_subparsers(dest="models_command",
                                                                                      required=True)
    mlist = models.add_parser("list", help="list installed models")
    mlist.add_argument("--kind", default=None, help="only this kind (text_to_image, lora, depth, ...)")
    data_dir(mlist)
    mlist.set_defaults(func=cmd_models_list)
    mimport = models.add_parser("import", help="copy a model folder or file into the models dir")
    mimport.add_argument("path", type=Path)
    mimport.add_argument("--kind", default=None, help="override the detected kind")
    mimport.add_argument("--name", default=None, help="display name (default: the folder or file name)")
    mimport.add_argument("--credits", type=int, default=0, help="credits per generation")
    data_dir(mimport)
    mimport.set_defaults(func=cmd_models_import)
    mpull = models.add_parser("pull", help="download a model from the Hugging Face Hub and import it")
    mpull.add_argument("repo_id")
    mpull.add_argument("--kind", default=None)
    mpull.add_argument("--name", default=None)
    mpull.add_argument("--revision", default=None)
    data_dir(mpull)
    mpull.set_defaults(func=cmd_models_pull)
    mremove = models.add_parser("remove", help="remove an installed model and its files")
    mremove.add_argument("id")
    data_dir(mremove)
    mremove.set_defaults(func=cmd_models_remove)

    creds = sub.add_parser("credentials", help="the C2PA key that signs every image and video").add_subparsers(
        dest="credentials_command", required=True)
    cinstall = creds.add_parser("install", help="sign with an organisation's certificate chain and EC P-256 key")
    cinstall.add_argument("--cert", type=Path, required=True, help="PEM chain, the signing certificate first")
    cinstall.add_argument("--key", type=Path, required=True, help="PEM private key of that certificate")
    data_dir(cinstall)
    cinstall.set_defaults(func=cmd_credentials_install)
    cshow = creds.add_parser("show", help="who signs the studio's outputs")
    data_dir(cshow)
    cshow.set_defaults(func=cmd_credentials_show)

    from .remote import add_commands

    add_commands(sub)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StudioError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
