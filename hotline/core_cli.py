"""`hotline db …` and `hotline config …`: the shared core's own commands."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from hotline.context import cli_engine, cli_state

db_app = typer.Typer(help="Database schema: apply or inspect migrations.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply database migrations up to REVISION (default: the newest)."""
    from hotline import db

    engine = cli_engine(ctx)
    db.upgrade(engine, revision)
    typer.echo(f"database at revision {db.current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(
    ctx: typer.Context, revision: str = typer.Argument(..., help="target revision or 'base'")
) -> None:
    """Revert database migrations down to REVISION."""
    from hotline import db

    engine = cli_engine(ctx)
    db.downgrade(engine, revision)
    typer.echo(f"database at revision {db.current_revision(engine) or 'base'}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's migration revision and the newest one shipped."""
    from hotline import db

    engine = cli_engine(ctx)
    db.check_reachable(engine)
    typer.echo(f"current={db.current_revision(engine) or 'base'} head={db.head_revision(engine)}")


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Print the effective settings with every secret masked."""
    from hotline.settings import masked

    data = masked(cli_state(ctx).settings())
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        Console().print_json(data=data)


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate the configuration, every secret included, and say so in one line."""
    cli_state(ctx).settings().require_secrets("api", "ami")
    typer.echo("configuration is valid")
