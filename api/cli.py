"""`hotline api` and `hotline users …`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer

from hotline.context import cli_sessions, cli_state

if TYPE_CHECKING:
    pass

users_app = typer.Typer(
    help="Web and API users: add, list, disable, issue and revoke tokens.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("api")(api_command)
    app.add_typer(users_app, name="users")


def api_command(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="listen address (default: api.host)"),
    port: int | None = typer.Option(None, help="listen port (default: api.port)"),
    workers: int = typer.Option(1, min=1, help="worker processes (each runs its own live watcher)"),
) -> None:
    """Run the web API and pages (uvicorn); docs at /docs, health at /health."""
    import os

    state = cli_state(ctx)
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = state.settings()
    if overrides:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update=overrides)})
    if workers == 1:
        from api.server import serve_process
        from hotline.lifecycle import run

        run(serve_process(settings))
        return
    import uvicorn

    if state.config_path is not None:
        os.environ["HOTLINE_CONFIG"] = str(state.config_path)
    uvicorn.run(
        "api.server:app_from_environment",
        factory=True,
        host=settings.api.host,
        port=settings.api.port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=bool(settings.api.trusted_proxies),
        forwarded_allow_ips=settings.api.trusted_proxies or None,
    )


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="user name (letters, digits, _ . @ -)"),
    role: str = typer.Option(..., "--role", help="supervisor, analyst, admin, operator or department"),
    department: str | None = typer.Option(
        None, "--department", help="the department a `department` user works for"
    ),
    password: bool = typer.Option(False, "--password", help="ask for a web login password"),
    full_name: str = typer.Option("", "--full-name", help="display name"),
    language: str = typer.Option("ru", "--language", help="interface language: ru or en"),
) -> None:
    """Add a user; with --password asks for a web password, else the user signs in with tokens only."""
    from api.users import create_user
    from hotline.db import transaction

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    with transaction(cli_sessions(ctx)) as session:
        user = create_user(
            session, username=name, role=role, password=secret, full_name=full_name, language=language
        )
        where = ""
        if department is not None or user.role.value == "department":
            from hotline.routing import RoutingError, add_member, find_department

            if department is None:
                raise RoutingError("a department user needs --department NAME")
            add_member(session, user=user, department=find_department(session, department))
            where = f" in department {department}"
        typer.echo(f"user {user.username} added with role {user.role.value}{where}")


@users_app.command("password")
def users_password(ctx: typer.Context, name: str = typer.Argument(..., help="user name")) -> None:
    """Set a user's web password (ends their current sessions)."""
    from api.users import set_password
    from hotline.db import transaction

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with transaction(cli_sessions(ctx)) as session:
        set_password(session, username=name, password=secret)
    typer.echo(f"password of {name} changed")


@users_app.command("token")
def users_token(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="user name"),
    label: str = typer.Option("", "--name", help="what the token is for"),
) -> None:
    """Issue a personal API token (printed once; send it as `Authorization: Bearer …`)."""
    from api.users import issue_token
    from hotline.db import transaction

    with transaction(cli_sessions(ctx)) as session:
        token = issue_token(session, username=name, name=label)
    typer.echo(token)


@users_app.command("tokens")
def users_tokens(ctx: typer.Context, name: str = typer.Argument(..., help="user name")) -> None:
    """List a user's API tokens: id, label, created, last used, revoked."""
    from api.users import list_tokens

    def when(moment: datetime | None) -> str:
        return moment.isoformat(timespec="seconds") if moment else "-"

    with cli_sessions(ctx)() as session:
        for token in list_tokens(session, username=name):
            state = f"revoked {when(token.revoked_at)}" if token.revoked_at else "active"
            typer.echo(
                f"{token.id}\t{token.name or '-'}\tcreated {when(token.created_at)}\t"
                f"last used {when(token.last_used_at)}\t{state}"
            )


@users_app.command("revoke-token")
def users_revoke_token(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="user name"),
    token_id: int = typer.Argument(..., help="the token's id (see `hotline users tokens NAME`)"),
) -> None:
    """Revoke one API token (a leaked one); the user and their other tokens keep working."""
    from api.users import revoke_token
    from hotline.db import transaction

    with transaction(cli_sessions(ctx)) as session:
        revoke_token(session, username=name, token_id=token_id)
    typer.echo(f"token {token_id} of {name} revoked (API processes stop accepting it within 5 s)")


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: str = typer.Argument(..., help="user name")) -> None:
    """Disable a user: their web sessions end at once, their tokens stop within 5 seconds."""
    from api.users import disable_user
    from hotline.db import transaction

    with transaction(cli_sessions(ctx)) as session:
        disable_user(session, username=name)
    typer.echo(f"user {name} disabled")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List users with role, state and last login."""
    from api.users import list_users

    with cli_sessions(ctx)() as session:
        for user in list_users(session):
            state = "disabled" if user.disabled else "active"
            last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never"
            typer.echo(f"{user.username}\t{user.role.value}\t{state}\tlast login {last}")
