"""`hotline departments …` and `hotline callbacks …`: routing set-up, digests, escalation, callback list."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from hotline.context import cli_sessions, cli_state

if TYPE_CHECKING:
    pass

departments_app = typer.Typer(
    help="Departments that answer requests: add, list, digest, escalate.", no_args_is_help=True
)
callbacks_app = typer.Typer(help="Callbacks the IVR promised: list and KPIs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(departments_app, name="departments")
    app.add_typer(callbacks_app, name="callbacks")


@departments_app.command("add")
def departments_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="short name the catalogue's topics[].department uses"),
    head: str | None = typer.Option(None, "--head", help="user name of the department head"),
    title: str = typer.Option("", "--title", help="display name"),
    email: str | None = typer.Option(None, "--email", help="where the digest and escalations go"),
) -> None:
    """Add a department (its head must exist as a user)."""
    from hotline.db import transaction
    from hotline.routing import add_department

    with transaction(cli_sessions(ctx)) as session:
        department = add_department(session, name=name, head=head, title=title, email=email)
        typer.echo(f"department {department.name} added" + (f" with head {head}" if head else ""))


@departments_app.command("list")
def departments_list(
    ctx: typer.Context, format: str = typer.Option("table", "--format", help="table or json")
) -> None:
    """Departments with head, members, open and overdue requests."""
    from hotline.routing import describe, list_departments
    from hotline.routing import local_today as today_for

    settings = cli_state(ctx).settings()
    with cli_sessions(ctx)() as session:
        today = today_for(settings)
        items = [describe(session, row, today=today) for row in list_departments(session)]
    if format == "json":
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        typer.echo(
            f"{item['name']}\thead {item['head'] or '-'}\t{len(item['members'])} members\t"
            f"{item['open']} open\t{item['overdue']} overdue"
        )


@departments_app.command("digest")
def departments_digest(
    ctx: typer.Context, send: bool = typer.Option(False, "--send", help="e-mail it (settings routing.mail)")
) -> None:
    """Print each department's digest (open, due this week, overdue); --send mails it (daily cron)."""
    from hotline.digest import all_digests, send_digests
    from hotline.routing import local_today as today_for

    settings = cli_state(ctx).settings()
    with cli_sessions(ctx)() as session:
        today = today_for(settings)
        if send:
            for name, result in send_digests(session, settings.routing.mail, today=today).items():
                typer.echo(f"{name}\t{result}")
            return
        for digest in all_digests(session, today=today):
            typer.echo(digest.text())


@departments_app.command("escalate")
def departments_escalate(ctx: typer.Context) -> None:
    """Escalate overdue requests to their department heads (once each; e-mail when configured)."""
    from hotline.db import transaction
    from hotline.digest import escalate_overdue
    from hotline.routing import local_today as today_for

    settings = cli_state(ctx).settings()
    with transaction(cli_sessions(ctx)) as session:
        rows = escalate_overdue(session, settings.routing.mail, today=today_for(settings))
        typer.echo(
            f"{len(rows)} overdue request(s) escalated"
            + (": " + ", ".join(r.number for r in rows) if rows else "")
        )


@callbacks_app.command("list")
def callbacks_list(
    ctx: typer.Context,
    format: str = typer.Option("table", "--format", help="table or json"),
    status: str | None = typer.Option(None, "--status", help="pending, claimed, dialing, done, failed"),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000),
) -> None:
    """Callbacks, newest first (numbers in full: the CLI is for the people who run the PBX)."""
    from hotline.callbacks import as_dict, list_callbacks
    from hotline.models import CallbackStatus

    wanted = CallbackStatus(status) if status else None
    with cli_sessions(ctx)() as session:
        items = [as_dict(row) for row in list_callbacks(session, status=wanted, limit=limit)]
    if format == "json":
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        typer.echo(
            f"{item['id']}\t{item['caller_number']}\t{item['topic'] or '-'}\t{item['language']}\t"
            f"{item['status']}\t{item['attempts']} attempt(s)\t{item['requested_at']}"
        )
