"""The `monitor` command: a thin click layer over config, store, pipeline and daemon.

Exit status: 0 when the command did its work (a poll ran, whatever single feeds did);
2 for usage and config errors; 1 for anything else, always with a one-line reason.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from monitor import __version__
from monitor import config as config_module
from monitor.config_edit import no_such_feed
from monitor.exceptions import ConfigError, DatabaseInUseError, ForeignDatabaseError, MonitorError
from monitor.query import (
    ALERT_FIELDS,
    ENDPOINT_FIELDS,
    FEED_FIELDS,
    ITEM_FIELDS,
    STORY_FIELDS,
    Format,
    delivery_text,
    endpoint_state,
    entry_text,
    item_view,
    parse_since,
    render,
)
from monitor.store import ItemFilter, Store

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
log = logging.getLogger("monitor")


class UsageProblem(click.UsageError):
    """A bad argument value: exit 2 with the message, no traceback."""


# ---------------------------------------------------------------- options ---


def config_option(fn: F) -> F:
    """`--config PATH` on every command (it can also be given before the command)."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Config file (TOML). Default: $MONITOR_CONFIG, else config/monitor.toml.",
    )(fn)


def output_options(fn: F) -> F:
    """The output format switches every read command shares."""
    for flag, fmt, text in reversed(
        (
            ("--json", "json", "Print a JSON array."),
            ("--nl", "nl", "Print one JSON object per line."),
            ("--csv", "csv", "Print CSV with a header row."),
        )
    ):
        fn = click.option(flag, "fmt", flag_value=fmt, help=text)(fn)
    return fn


def _fmt(fmt: str | None) -> Format:
    return fmt if fmt in ("json", "nl", "csv") else "table"  # type: ignore[return-value]


def _load_config(ctx: click.Context, option: str | None, *, secrets: bool = True) -> config_module.Config:
    path = config_module.config_path(option or ctx.obj.get("config"))
    return config_module.load(path, secrets=secrets)


def _open_store(ctx: click.Context, option: str | None, *, create: bool = False) -> Store:
    """The store, for commands that only read it: they need no webhook secret (see `load`)."""
    return Store.open(_load_config(ctx, option, secrets=False).database, create=create)


def handle_errors(fn: F) -> F:
    """Turn our errors into one clear line and the contract's exit status."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, ForeignDatabaseError) as e:
            # A `database` path holding what is not a usable monitor database is the
            # config's to fix, as check-config says: exit 2, which systemd does not restart
            # (it restarted every 10 s, forever).
            _fail(str(e), 2)
        except MonitorError as e:
            _fail(str(e), 1)
        except KeyboardInterrupt:
            _fail("interrupted", 1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:  # the contract: one-line reason, exit 1; traceback only with -v
            log.debug("unexpected error", exc_info=True)
            _fail(f"unexpected error: {type(e).__name__}: {e} (run with -v for details)", 1)

    return wrapper  # type: ignore[return-value]


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


# ------------------------------------------------------------------- group ---


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (TOML). Default: $MONITOR_CONFIG, else config/monitor.toml.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors in the log.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines as text or as JSON objects.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: int, quiet: bool, log_format: str) -> None:
    """Watch news feeds for the one item that settles a story.

    Polls feeds politely, stores every item in SQLite, groups rewrites and copies,
    and sends a signed webhook once per official statement.
    """
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_file
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    _setup_logging(level, log_format)


def _setup_logging(level: int, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll is ours to write
    # Apprise logs channel URLs, tokens included (even "Unparseable URL …" at ERROR); our own
    # lines say what failed with the URL redacted, so its log is shown only with -vv.
    logging.getLogger("apprise").setLevel(logging.CRITICAL if level > logging.DEBUG else logging.DEBUG)
    logging.getLogger("apscheduler").setLevel(logging.WARNING if level > logging.DEBUG else logging.DEBUG)


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the structured fields a poll line carries."""

    FIELDS = (
        "feed",
        "status",
        "items",
        "new",
        "duration_ms",
        "error",
        "warnings",
        "until",
        "url",
        "message_id",
        "outcome",
    )

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        return json.dumps(line, ensure_ascii=False, default=str)


# --------------------------------------------------------------- commands ---


@cli.command()
@config_option
@click.option(
    "--once", is_flag=True, help="Poll every feed once, deliver what is due, and exit (for cron and tests)."
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="With --once: poll failing feeds too, before their backoff or Retry-After runs out.",
)
@click.option(
    "--http",
    metavar="HOST:PORT",
    callback=lambda _ctx, _param, value: _http_address(value),
    help="Serve Prometheus /metrics and /healthz here (daemon only), e.g. 127.0.0.1:9180.",
)
@click.pass_context
@handle_errors
def run(
    ctx: click.Context, config_file: str | None, once: bool, everything: bool, http: tuple[str, int] | None
) -> None:
    """Poll the configured feeds: on schedule until SIGTERM/SIGINT/SIGHUP, or --once."""
    if once and http:
        raise UsageProblem("--http serves the daemon's metrics; it does not apply to --once")
    if everything and not once:
        raise UsageProblem("--all applies to --once; the daemon polls each feed on its schedule")
    from monitor.daemon import Daemon  # noqa: PLC0415 - keeps read commands fast to start
    from monitor.pipeline import Poller  # noqa: PLC0415

    config = _load_config(ctx, config_file)
    # The lock: a second `run` (or a cron `run --once` beside the daemon) would poll and
    # deliver the same rows, sending each alert twice. It is refused, exit 1.
    store = Store.open(config.database, exclusive=True)
    try:
        if once:
            stats = asyncio.run(_until_stopped(_run_once(Poller, store, config, everything=everything)))
            click.echo(
                f"polled {stats.feeds} feeds ({stats.failed} failed, {stats.not_modified} not modified): "
                f"{stats.items_new} new items, {stats.items_updated} updated, {stats.alerts} alerts, "
                f"{stats.delivered}/{stats.deliveries} deliveries succeeded{_held_back(stats)}",
                err=True,
            )
        else:
            asyncio.run(Daemon(store, config, http=http).run())
    finally:
        store.close()


def _http_address(value: str | None) -> tuple[str, int] | None:
    from monitor.observe import parse_address  # noqa: PLC0415 - prometheus_client only for `run`

    try:
        return parse_address(value) if value else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--http") from e


async def _run_once(
    poller_class: Any, store: Store, config: config_module.Config, *, everything: bool
) -> Any:
    poller = poller_class(store, config)
    try:
        return await poller.poll_once(everything=everything)
    finally:
        await poller.aclose()


async def _until_stopped(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` (`run --once`) until SIGINT or SIGTERM, which cancel it: it stores what it
    polled, closes, and the command says so in one line, exit 1. SIGTERM killed it silently
    (a cron job's timeout, a supervisor), and Ctrl-C left an asyncio traceback."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[str] = []

    def stop(sig: signal.Signals) -> None:
        received.append(sig.name)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if not received:
            raise
        raise MonitorError(
            f"interrupted by {received[0]}: the polls done before it are stored, the others"
            " are polled at the next run"
        ) from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _held_back(stats: Any) -> str:
    """The summary's note on failing feeds `run --once` left alone, if any."""
    if not stats.held_back:
        return ""
    until = stats.held_back_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"; {stats.held_back} failing feeds not polled (backoff or Retry-After), the first due"
        f" {until}: --all polls them now"
    )


def _deliver_now(store: Store, config: config_module.Config) -> tuple[int, int]:
    """One attempt for every due delivery, outside the daemon: (attempted, delivered)."""
    from monitor.pipeline import Poller  # noqa: PLC0415

    async def send() -> tuple[int, int]:
        poller = Poller(store, config)
        try:
            return await poller.deliver_due()
        finally:
            await poller.aclose()

    return asyncio.run(send())


@cli.command()
@config_option
@output_options
@click.option(
    "--search",
    help='Full-text search over title and summary, texts replaced by edits included (words, "phrases").',
)
@click.option("--feed", help="Only items of this feed (its name; a feed removed from the config too).")
@click.option("--since", help="Only items published since WHEN: a duration ago (2h, 3d) or an ISO date.")
@click.option("--story", type=int, help="Only items of this story id (see `monitor stories`).")
@click.option("--alert", type=int, help="Only items that raised or joined this alert id.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=100, show_default=True, help="At most N items; 0 for all."
)
@click.option("--versions", is_flag=True, help="With each item, the texts its edits replaced (oldest first).")
@click.pass_context
@handle_errors
def items(
    ctx: click.Context,
    *,
    config_file: str | None,
    fmt: str | None,
    search: str | None,
    feed: str | None,
    since: str | None,
    story: int | None,
    alert: int | None,
    limit: int,
    versions: bool,
) -> None:
    """Stored items, newest first."""
    if search is not None and not any(c.isalnum() for c in search):
        raise UsageProblem(f"--search {search!r} has no word to look for; e.g. --search 'LeCun Meta'")
    when = None
    if since is not None and (when := parse_since(since, datetime.now(UTC))) is None:
        raise UsageProblem(f"--since {since!r} is neither a duration (2h, 3d) nor an ISO date (2025-11-11)")
    config = _load_config(ctx, config_file, secrets=False)
    store = Store.open(config.database, create=False)
    # A misspelt name would match nothing and look like a quiet feed. Stored names count
    # (a removed feed's items stay), and configured ones (not polled yet: truly no items).
    known = sorted({f.name for f in config.feeds} | set(store.feed_names()))
    if feed is not None and feed not in known:
        raise UsageProblem(f"--feed: {no_such_feed(feed, known)}")
    query = ItemFilter(search=search, feed=feed, since=when, story=story, alert=alert, limit=limit or None)
    rows = [item_view(r) for r in store.items(query)]
    columns = ["id", "published", "feed", "title", "seed", "story", "duplicate_of", "alert"]
    fields = list(ITEM_FIELDS)
    if versions:
        earlier = store.item_versions([r["id"] for r in rows])
        for row in rows:
            row["versions"] = earlier.get(row["id"], [])
            if _fmt(fmt) == "table":  # people read the headlines; programs get every field
                row["versions"] = " / ".join(v["title"] for v in row["versions"])
        columns.append("versions")
        fields.append("versions")
    _print(rows, fmt, columns, fields)


@cli.group(invoke_without_command=True)
@config_option
@output_options
@click.pass_context
@handle_errors
def feeds(ctx: click.Context, config_file: str | None, fmt: str | None) -> None:
    """Every feed with its last poll, status, error, parser warnings, failures and item count.

    The subcommands add, remove, import and export the feeds of the config file.
    """
    if config_file:  # `monitor feeds --config X add …` edits X
        ctx.obj["config"] = config_file
    if ctx.invoked_subcommand is not None:
        return
    rows = _open_store(ctx, config_file).feeds_report()
    table = _fmt(fmt) == "table"
    for row in rows:
        row["official"], row["active"] = bool(row["official"]), bool(row["active"])
        row["warnings"] = json.loads(row["warnings"]) if row["warnings"] else []
        if table:
            row["warnings"] = "; ".join(row["warnings"])
        if not row["active"] and table:  # removed from the config: never polled again
            row["next_poll"] = "(removed)"
    columns = ["name", "status", "last_polled", "next_poll", "failures", "items", "last_error", "warnings"]
    _print(rows, fmt, columns, FEED_FIELDS)


@cli.command()
@config_option
@output_options
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most N stories; 0 for all.",
)
@click.pass_context
@handle_errors
def stories(ctx: click.Context, config_file: str | None, fmt: str | None, limit: int) -> None:
    """Stories (items about the same event across outlets), latest first."""
    rows = _open_store(ctx, config_file).stories(limit or None)
    for row in rows:
        row["outlets"] = json.loads(row["outlets"])
    _print(rows, fmt, ["id", "size", "first", "latest", "title", "outlets"], STORY_FIELDS)


@cli.group(invoke_without_command=True)
@config_option
@output_options
@click.pass_context
@handle_errors
def alerts(ctx: click.Context, config_file: str | None, fmt: str | None) -> None:
    """Alerts raised, with their sources and delivery state."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _open_store(ctx, config_file).alerts()
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "[]")
        if _fmt(fmt) == "table":  # people look for each delivery's state (`dead`: replay it)
            row["deliveries"] = ", ".join(delivery_text(d) for d in row["deliveries"])
    columns = ["id", "created", "watch", "speaker", "stance", "item", "sources", "deliveries"]
    _print(rows, fmt, columns, ALERT_FIELDS)


@alerts.command()
@config_option
@click.argument("alert_id", type=int)
@click.pass_context
@handle_errors
def replay(ctx: click.Context, config_file: str | None, alert_id: int) -> None:
    """Send alert ALERT_ID again to every webhook (same webhook-id, so receivers can dedupe).

    While `monitor run` holds the database, the alert is queued for it to send.
    """

    config = _load_config(ctx, config_file or ctx.obj.get("config"))
    store, holder = _open_to_send(config.database)
    with closing(store):
        if not store.alerts(alert_id):
            raise UsageProblem(f"no alert {alert_id}; see `monitor alerts` for the ids")
        if not config.channels:
            raise UsageProblem("no channels configured: add [[webhooks]] or [[notify]] to the config")
        store.sync_channels(config.channels)
        now = datetime.now(UTC)
        from monitor.pipeline import message_ids  # noqa: PLC0415 - httpx only for the commands that send

        requeued = store.requeue(alert_id, now, config.channels, message_ids(store))
        entries = config.channel_entries()
        for row in requeued:
            label = _channel_label(row["display"], entries.get(row["id"], ""))
            click.echo(f"{row['kind']:8} {label}: {_replay_note(row)}", err=True)
        queued = sum(1 for row in requeued if row["configured"] and not row["disabled"])
        if not queued:
            raise MonitorError(f"alert {alert_id}: nothing queued; see above why each channel was not")
        if holder is not None:
            click.echo(f"alert {alert_id}: {queued} deliveries queued; {_sent_by(holder)}", err=True)
            return
        attempted, delivered = _deliver_now(store, config)
    click.echo(
        f"alert {alert_id}: {queued} deliveries queued, {delivered}/{attempted} delivered now"
        + ("" if delivered == attempted else " (the others are retried on schedule by `monitor run`)"),
        err=True,
    )


def _open_to_send(database: Path) -> tuple[Store, DatabaseInUseError | None]:
    """The store with its lock, to send; or, while another process holds the lock, without
    it, and that process (which sends what is due) as the second value."""
    try:
        return Store.open(database, create=False, exclusive=True), None
    except DatabaseInUseError as holder:
        return Store.open(database, create=False), holder


def _sent_by(holder: DatabaseInUseError) -> str:
    """Who sends what `alerts replay` queued while another process holds the database."""
    return (
        f"not sent now: {holder.holder} holds the database ({holder.lock_file}), and a `monitor run` sends"
        " them (the daemon within seconds, `run --once` at its next run)"
    )


def _channel_label(display: str, source: str) -> str:
    """A channel as the listings made from the config show it: its display (URL hidden, a
    fingerprint) and, while it is configured, its entry (`webhooks[1]`), so that the user
    knows which table to fix."""
    return f"{display} ({source})" if source else display


def _replay_note(row: dict[str, Any]) -> str:
    """What `alerts replay` did about one delivery of the alert."""
    if not row["configured"]:
        return "not sent: this channel is no longer in the config (its delivery is kept as it was)"
    if row["disabled"]:  # pending again, waiting for the channel
        state = endpoint_state(row["disabled"], row["disabled_reason"])
        return f"not sent, {state}; `monitor notify test` re-enables it"
    return "queued (this channel had no delivery of it yet)" if row["added"] else "queued"


@cli.command()
@config_option
@click.option(
    "--alert",
    is_flag=True,
    help="Deliver alerts for statements found in old items (default: record them silently).",
)
@click.pass_context
@handle_errors
def rescan(ctx: click.Context, config_file: str | None, alert: bool) -> None:
    """Apply seed and statement detection again to every stored item (after a watch or seed changed)."""
    from monitor.pipeline import Processor  # noqa: PLC0415

    config = _load_config(ctx, config_file)
    # The lock: beside a daemon, rescan would judge old items by the new watch while the
    # daemon judges new ones by the one it started with, and `--alert` would send what
    # the daemon sends too. Refused (exit 1): stop it, rescan, start it again.
    with closing(Store.open(config.database, create=False, exclusive=True)) as store:
        store.sync_channels(config.channels)
        total = store.count("items")
        with click.progressbar(length=total, label="rescanning", file=sys.stderr) as bar:
            stats = Processor(store, config).rescan(datetime.now(UTC), alert=alert, progress=bar.update)
        delivered = (0, 0)
        if alert and (stats.alerts or stats.queued):
            delivered = _deliver_now(store, config)
    earlier = f", {stats.queued} earlier alerts recorded silently now queued" if stats.queued else ""
    click.echo(
        f"rescanned {stats.items_updated} items: {stats.alerts} new alerts{earlier}"
        + (
            f", {delivered[1]}/{delivered[0]} deliveries succeeded"
            if alert
            else " (recorded silently; --alert sends them)"
        ),
        err=True,
    )


@cli.group(invoke_without_command=True)
@config_option
@output_options
@click.pass_context
@handle_errors
def notify(ctx: click.Context, config_file: str | None, fmt: str | None) -> None:
    """Alert channels (signed webhooks and Apprise URLs, [[notify]]) with their state.

    A channel that answered 410 Gone is disabled: its alerts wait. `monitor notify test`
    re-enables every channel it reaches.
    """
    if config_file:  # `monitor notify --config X test` tests X's channels
        ctx.obj["config"] = config_file
    if ctx.invoked_subcommand is not None:
        return
    config = _config_naming_channels(ctx, config_file)
    with closing(Store.open(config.database, create=False)) as store:
        stored = store.endpoints_report()
    # Matched by id (kind and exact URL), which a display from an earlier version lacks.
    entries = config.channel_entries()
    rows = [_endpoint_row(row, entries.get(row["id"])) for row in stored]
    if _fmt(fmt) == "table":
        for row in rows:
            unread = config.unread_notify if row["kind"] == "apprise" else ()
            row["entry"] = entry_text(row["entry"], unread)
    columns = ["kind", "endpoint", "entry", "state", "pending", "dead", "delivered"]
    _print(rows, fmt, columns, ENDPOINT_FIELDS)


def _config_naming_channels(ctx: click.Context, option: str | None) -> config_module.Config:
    """The config with every channel URL it can know: url_env's variables read when they
    are set, and without them (a shell lacking the daemon's environment) the config as the
    read-only commands load it, whose url_env channels `monitor notify` cannot name."""
    try:
        return _load_config(ctx, option)
    except ConfigError:  # a variable not set; any other problem is raised again just below
        return _load_config(ctx, option, secrets=False)


def _endpoint_row(stored: dict[str, Any], entry: str | None) -> dict[str, Any]:
    """A channel as `monitor notify` shows it: ENDPOINT_FIELDS, in their order."""
    state = endpoint_state(stored["disabled"], stored["disabled_reason"], stored["removed"])
    row = {**stored, "entry": entry, "state": state}
    return {field: row[field] for field in ENDPOINT_FIELDS}


@notify.command("test")
@config_option
@click.pass_context
@handle_errors
def notify_test(ctx: click.Context, config_file: str | None) -> None:
    """Send a test message to every configured channel and say how each went (exit 1 if any failed)."""
    from monitor.pipeline import record_test, send_test  # noqa: PLC0415

    config = _load_config(ctx, config_file)
    if not config.channels:
        raise UsageProblem("no channels configured: add [[webhooks]] or [[notify]] to the config")
    results = asyncio.run(send_test(config))
    notes: dict[str, str] = {}
    if config.database.exists():  # with no database yet there is no channel state to change
        store = Store.open(config.database, create=False)
        try:
            notes = record_test(store, results, datetime.now(UTC))
        finally:
            store.close()
    for channel, outcome in results:
        status = "ok" if outcome.delivered else f"FAILED: {outcome.error}"
        note = f"; {notes[channel.id]}" if channel.id in notes else ""
        click.echo(f"{channel.kind:8} {_channel_label(channel.display, channel.source)}: {status}{note}")
    if not all(outcome.delivered for _, outcome in results):
        sys.exit(1)


@cli.command("check-config")
@config_option
@click.pass_context
def check_config(ctx: click.Context, config_file: str | None) -> None:
    """Validate the config and report every problem at once (exit 2 if any).

    The `database` path is checked as `run` checks it: a folder or a file that is not
    SQLite there is a problem; nothing is created or changed.
    """
    path = config_module.config_path(config_file or ctx.obj.get("config"))
    try:
        config = config_module.load(path, check_database=True)
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    seeds = sum(len(w.seeds) for w in config.watches)
    click.echo(
        f"{path}: ok ({len(config.feeds)} feeds, {len(config.webhooks)} webhooks, "
        f"{len(config.notify)} notify channels, "
        f"{len(config.watches)} watches, {seeds} seeds; database {config.database})"
    )


@cli.command("eval")
@config_option
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
@handle_errors
def eval_command(ctx: click.Context, config_file: str | None, labels: Path, as_json: bool) -> None:
    """Replay a labelled JSONL file through the real pipeline and print precision/recall.

    Each scenario in the file runs in its own temporary database, round by round, served
    from a loopback feed server, with a loopback webhook receiver.
    """
    from monitor import evaluate  # noqa: PLC0415

    # The level is put back however eval ends (a bad labels file exits 2): a process that runs
    # more commands (click's CliRunner, in the tests) would lose their INFO lines.
    monitor_log = logging.getLogger("monitor")
    previous = monitor_log.level
    if logging.getLogger().level >= logging.INFO:  # the report is the output; -vv shows every poll
        monitor_log.setLevel(logging.WARNING)
    try:
        config = _load_config(ctx, config_file, secrets=False)  # its own receiver; only the watches count
        report = evaluate.run(labels, config.watches)
    finally:
        monitor_log.setLevel(previous)
    click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if as_json else report.text())


def _print(
    rows: Sequence[dict[str, Any]], fmt: str | None, columns: Sequence[str], fields: Sequence[str]
) -> None:
    """`columns` for the table; `fields`, every field of a row, head an empty CSV."""
    click.echo(render(rows, _fmt(fmt), columns, fields))


def main() -> None:
    """Entry point of the `monitor` command."""
    cli(obj={})


# Registers `monitor feeds add|remove|import|export` on the `feeds` group above; last, as
# that module imports the helpers defined here.
from monitor import cli_feeds  # noqa: E402, F401
