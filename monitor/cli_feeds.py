"""`monitor feeds add | remove | import | export`: thin commands over subscribe, config_edit, opml.

They edit the config file, the source of truth; the listing (`monitor feeds`) is the
group itself, in cli.py. Messages go to stderr, like `monitor run --once`; `export`
writes the OPML document to stdout or --output. The import progress bar is rich's: on
stderr, only when it is a terminal, without colour when NO_COLOR is set, never paged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor import config as config_module
from monitor import config_edit, opml, subscribe
from monitor.cli import UsageProblem, config_option, feeds, handle_errors
from monitor.exceptions import OpmlError

__all__ = ["add", "export", "import_command", "remove"]

_RESTART = "a running `monitor run` picks the change up when it is restarted"


def _config_path(ctx: click.Context, option: str | None) -> Path:
    return config_module.config_path(option or ctx.obj.get("config"))


def _interval(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # The config's own check: `feeds add` refuses exactly what the config file would.
    if value is not None and (problem := config_module.interval_problem(value)):
        raise click.BadParameter(problem)
    return value


def _name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty")
    return value.strip() if value is not None else None


@feeds.command()
@config_option
@click.argument("url")
@click.option("--name", callback=_name, help="The feed's name, unique in the config. Default: its title.")
@click.option(
    "--interval",
    callback=_interval,
    help="How often to poll it: 90s, 10m, 1h30m, 2d (default 10m, minimum 1m, maximum 30d).",
)
@click.option("--official", is_flag=True, help="Mark it a first-party channel of a watched party.")
@click.pass_context
@handle_errors
def add(
    ctx: click.Context,
    *,
    config_file: str | None,
    url: str,
    name: str | None,
    interval: str | None,
    official: bool,
) -> None:
    """Add the feed at URL to the config file, once it fetches and parses as a feed.

    URL may be a web page instead: the feed it names in <link rel="alternate"
    type="application/rss+xml"> (or atom+xml) is added. The file keeps its comments and
    layout, and is only replaced by a version that passes `monitor check-config`.
    A URL or name already configured exits 2.
    """
    path = _config_path(ctx, config_file)
    added = subscribe.add_feed(path, url, name=name, interval=interval, official=official)
    feed, found = added.feed, added.probe
    if found.page is not None:
        click.echo(f"{found.page} is a web page; it links to the feed {feed.url}", err=True)
        if found.others:
            click.echo(f"  took the first; it also links to: {', '.join(found.others)}", err=True)
    click.echo(
        f"added feed {feed.name!r} ({feed.url}, {found.entries} entries now) to {path}; {_RESTART}", err=True
    )


@feeds.command()
@config_option
@click.argument("name")
@click.pass_context
@handle_errors
def remove(ctx: click.Context, config_file: str | None, name: str) -> None:
    """Remove the feed NAME from the config file; its stored items stay in the database."""
    path = _config_path(ctx, config_file)
    feed = config_edit.remove_feed(path, name)
    click.echo(
        f"removed feed {feed.name!r} ({feed.url}) from {path}; its stored items stay in the database "
        f"(`monitor items --feed {feed.name!r}`); {_RESTART}",
        err=True,
    )


@feeds.command("import")
@config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-check", is_flag=True, help="Add the feeds without fetching each one first.")
@click.pass_context
@handle_errors
def import_command(ctx: click.Context, config_file: str | None, file: Path, no_check: bool) -> None:
    """Add every feed of an OPML FILE (nested outlines too) to the config file.

    Feeds already configured (same URL once canonicalised) are skipped; each new one must
    fetch and parse as a feed unless --no-check. The summary lists what was added,
    skipped and failed, with reasons, and each feed added under another name because its
    own was taken; failures do not stop the others.
    """
    try:
        outlines = opml.read(file.read_bytes())
    except OpmlError as e:
        raise UsageProblem(f"{file}: {e}") from e
    path = _config_path(ctx, config_file)
    with _progress(len(outlines), "adding feeds" if no_check else "checking feeds") as advance:
        outcomes = subscribe.import_feeds(path, outlines, check=not no_check, on_done=advance)
    _summary(outcomes, file, path)


@feeds.command()
@config_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the OPML to this file instead of stdout.",
)
@click.pass_context
@handle_errors
def export(ctx: click.Context, config_file: str | None, output: Path | None) -> None:
    """Print the configured feeds as OPML 2.0, for feed readers and `monitor feeds import`."""
    config = config_module.load(_config_path(ctx, config_file), secrets=False)
    document = opml.write((feed.name, feed.url) for feed in config.feeds)
    if output is None:
        click.echo(document, nl=False)
        return
    try:
        output.write_bytes(document)
    except OSError as e:
        raise UsageProblem(
            f"--output {output}: cannot write it ({e.strerror}); choose a writable file"
        ) from e
    click.echo(f"wrote {len(config.feeds)} feeds to {output}", err=True)


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr while the body runs; yields the function that advances it."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


def _summary(outcomes: Sequence[subscribe.Outcome], file: Path, path: Path) -> None:
    counts = {status: sum(o.status == status for o in outcomes) for status in ("added", "skipped", "failed")}
    click.echo(
        f"{file}: {len(outcomes)} feeds: added {counts['added']}, skipped {counts['skipped']}, "
        f"failed {counts['failed']}",
        err=True,
    )
    for outcome in outcomes:
        if outcome.renamed_from:  # added, but not under the name the user will look for
            click.echo(
                f"  renamed: {outcome.renamed_from!r} {outcome.url}: the name is taken; "
                f"added as {outcome.name!r}",
                err=True,
            )
        elif outcome.status != "added":
            label = f"{outcome.name!r} " if outcome.name else ""
            click.echo(f"  {outcome.status}: {label}{outcome.url}: {outcome.reason}", err=True)
    if counts["added"]:
        click.echo(f"added to {path}; {_RESTART}", err=True)
