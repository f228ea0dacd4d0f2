"""Load and validate the TOML config, reporting every problem at once.

Where the config comes from: `--config PATH`, else `$MONITOR_CONFIG`, else
`config/monitor.toml` in the working directory. Relative paths inside it are relative
to the config file, so a config can be moved with its database.

Every mistake becomes a `ConfigProblem` naming the key, the value and what is
expected; `load()` raises one `ConfigError` holding all of them, so
`monitor check-config` can show the whole list and the daemon never starts on a bad file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard
from urllib.parse import urlsplit, urlunsplit

from monitor import deliver
from monitor import notify as notify_module
from monitor.channels import channel
from monitor.exceptions import ConfigError, ConfigProblem, StorageError
from monitor.normalise import canonical_link
from monitor.schedule import MAX_INTERVAL, MIN_INTERVAL
from monitor.store import refuse_foreign_database
from monitor.types import Channel, FeedConfig, WebhookConfig
from monitor.watch import Seed, Watch, load_seeds, load_watch, shipped_watch

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "MIN_INTERVAL",
    "Config",
    "config_path",
    "feed_url_key",
    "interval_problem",
    "load",
    "parse_duration",
]

CONFIG_ENV = "MONITOR_CONFIG"
DEFAULT_CONFIG = Path("config/monitor.toml")
DEFAULT_INTERVAL = timedelta(minutes=10)

_TOP_KEYS = {"database", "seeds", "feeds", "webhooks", "notify", "watches"}
_FEED_KEYS = {"name", "url", "official", "interval"}
_WEBHOOK_KEYS = {"url", "secret", "secret_env"}
_NOTIFY_KEYS = {"url", "url_env"}
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


@dataclass(frozen=True, slots=True)
class Config:
    """A validated config; built only by `load()`."""

    source: Path
    database: Path
    feeds: tuple[FeedConfig, ...]
    webhooks: tuple[WebhookConfig, ...]
    watches: tuple[Watch, ...]
    notify: tuple[str, ...] = ()  # Apprise URLs
    # False when loaded with secrets=False: the variables named by secret_env and url_env
    # were not read, so this config can list and edit feeds but never deliver.
    secrets: bool = True
    # The entry of each of `notify` ("notify[2]"; empty: their positions): with secrets=False
    # a url_env entry is not read, so the others' positions are not their indexes.
    notify_keys: tuple[str, ...] = ()
    # The url_env entries not read (secrets=False): channels this config cannot name.
    unread_notify: tuple[str, ...] = ()

    def feed(self, name: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.name == name), None)

    @property
    def channels(self) -> tuple[Channel, ...]:
        """Every place an alert goes: the webhooks, then the Apprise channels."""
        if not self.secrets:  # a programming error: a delivery must never go unsigned
            raise RuntimeError("a config loaded with secrets=False cannot deliver; load it with secrets")
        return self._channels()

    def channel_entries(self) -> dict[str, str]:
        """The entry ("webhooks[1]") of each channel this config names, by channel id: what
        `monitor notify` and `alerts replay` show beside a stored channel. Needs no secret,
        as an id is made of the URL alone; a url_env channel not read is missing (see
        `unread_notify`)."""
        return {c.id: c.source for c in self._channels()}

    def _channels(self) -> tuple[Channel, ...]:
        hooks = (
            channel("webhook", h.url, h.secret, source=f"webhooks[{i}]") for i, h in enumerate(self.webhooks)
        )
        keys = self.notify_keys or tuple(f"notify[{i}]" for i in range(len(self.notify)))
        apps = (channel("apprise", url, source=key) for key, url in zip(keys, self.notify, strict=True))
        return (*hooks, *apps)


def config_path(option: str | None) -> Path:
    """The config file to read: the option, else the environment, else the default."""
    if option:
        return Path(option)
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return DEFAULT_CONFIG


def load(path: Path, *, secrets: bool = True, check_database: bool = False) -> Config:
    """Read and validate `path`; raise ConfigError listing every problem.

    secrets=False is for the commands that read the store or edit the feeds: they must
    work in a shell that lacks the daemon's environment (its secrets live in a systemd
    EnvironmentFile), so the variables named by `secret_env` and `url_env` are not read.
    Everything else, a secret written in the file included, is checked as always.

    check_database=True (`monitor check-config`) also reports an existing `database` that
    `run` would refuse: a folder, a file that is not SQLite or not usable, another program's
    SQLite database, a newer monitor's. The other commands leave
    that to the store, which says the same when it opens the file.
    """
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            source, [ConfigProblem("", f"no such file; pass --config PATH or set ${CONFIG_ENV}")]
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, [ConfigProblem("", f"cannot read the file: {e}")]) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, [ConfigProblem("", f"not valid TOML: {e}")]) from e
    problems: list[ConfigProblem] = []
    config = _build(raw, path.resolve().parent, problems, secrets=secrets, check_database=check_database)
    if problems:
        raise ConfigError(source, problems)
    return dataclasses.replace(config, source=path)


def parse_duration(text: str) -> timedelta | None:
    """'90s', '10m', '1h30m', '2d' → timedelta; None when it is not a duration."""
    match = _DURATION.match(text)
    if not text.strip() or not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:  # more days than a timedelta holds: longer than any bound checked
        return timedelta.max


def _build(
    raw: Mapping[str, Any], base: Path, problems: list[ConfigProblem], *, secrets: bool, check_database: bool
) -> Config:
    _unknown_keys(raw, _TOP_KEYS, "", problems)
    database = _database(raw.get("database", "monitor.db"), base, problems, check_file=check_database)
    feeds = _feeds(raw.get("feeds", []), problems)
    webhooks = _webhooks(raw.get("webhooks", []), problems, read_env=secrets)
    notify = _notify(raw.get("notify", []), problems, read_env=secrets)
    watches = _watches(raw, base, problems)
    return Config(
        Path(),
        database,
        feeds,
        webhooks,
        watches,
        tuple(url for _, url in notify.read),
        secrets=secrets,
        notify_keys=tuple(key for key, _ in notify.read),
        unread_notify=notify.unread,
    )


def _unknown_keys(
    table: Mapping[str, Any], allowed: set[str], prefix: str, problems: list[ConfigProblem]
) -> None:
    for key in sorted(set(table) - allowed):
        expected = ", ".join(sorted(allowed))
        problems.append(ConfigProblem(f"{prefix}{key}", f"unknown key; expected one of: {expected}"))


def _database(value: Any, base: Path, problems: list[ConfigProblem], *, check_file: bool) -> Path:
    if not isinstance(value, str) or not value.strip():
        problems.append(
            ConfigProblem("database", f'{value!r} is not a file path; expected a string such as "monitor.db"')
        )
        return Path()
    path = (base / value).resolve()
    if not path.parent.is_dir():
        problems.append(
            ConfigProblem(
                "database", f"{value!r}: folder {path.parent} does not exist; create it or fix the path"
            )
        )
    elif not os.access(path.parent, os.W_OK):
        problems.append(ConfigProblem("database", f"{value!r}: folder {path.parent} is not writable"))
    elif check_file:
        try:
            refuse_foreign_database(path)  # the store's own checks: the same refusals, the same words
        except StorageError as e:
            problems.append(ConfigProblem("database", str(e)))
    return path


def _tables(value: Any, key: str, problems: list[ConfigProblem]) -> list[tuple[str, Mapping[str, Any]]]:
    """`[[key]]` entries with their key paths; a non-table entry is a problem."""
    if not isinstance(value, list):
        problems.append(
            ConfigProblem(key, f"expected an array of tables ([[{key}]]), got {type(value).__name__}")
        )
        return []
    tables = []
    for i, entry in enumerate(value):
        if isinstance(entry, Mapping):
            tables.append((f"{key}[{i}]", entry))
        else:
            problems.append(ConfigProblem(f"{key}[{i}]", f"expected a table, got {entry!r}"))
    return tables


def feed_url_key(url: str) -> str:
    """What two feed URLs share when they are the same feed: the canonical link (scheme and
    host case, default port, fragment and tracking parameters dropped; the path is kept, as
    servers may treat it case-sensitively). `monitor feeds add` and this file agree on it."""
    return canonical_link(url) or url.strip()


def _feeds(value: Any, problems: list[ConfigProblem]) -> tuple[FeedConfig, ...]:
    feeds: list[FeedConfig] = []
    seen: dict[str, str] = {}
    first_at: dict[str, tuple[str, FeedConfig]] = {}  # feed_url_key → the first feed there
    for where, table in _tables(value, "feeds", problems):
        _unknown_keys(table, _FEED_KEYS, f"{where}.", problems)
        name = _string(table, "name", where, problems)
        url = _url(table.get("url"), f"{where}.url", problems)
        official = _bool(table, "official", where, problems)
        interval = _interval(table.get("interval"), f"{where}.interval", problems)
        if name in seen:
            problems.append(
                ConfigProblem(
                    f"{where}.name", f"{name!r} is already the name of {seen[name]}; names must be unique"
                )
            )
        elif name:
            seen[name] = where
        feed = FeedConfig(name=name, url=url, official=official, interval=interval)
        if url and (first := first_at.get(key := feed_url_key(url))) is not None:
            # Polled twice, stored twice, every item a copy of its twin: one of them is a mistake.
            problems.append(_same_url(where, feed, *first))
        elif url:
            first_at[key] = (where, feed)
        feeds.append(feed)
    return tuple(feeds)


def _same_url(where: str, feed: FeedConfig, first_where: str, first: FeedConfig) -> ConfigProblem:
    return ConfigProblem(
        f"{where}.url",
        f"{feed.url!r} of feed {feed.name!r} is the URL of {first_where} {first.name!r} ({first.url!r}) "
        "once canonicalised (scheme and host case, default port, fragment and tracking parameters "
        "ignored, as `monitor feeds add` does); delete one of the two [[feeds]] tables",
    )


def _webhooks(value: Any, problems: list[ConfigProblem], *, read_env: bool) -> tuple[WebhookConfig, ...]:
    hooks: list[WebhookConfig] = []
    first_at: dict[str, str] = {}  # URL → the key of the first entry sending there
    for where, table in _tables(value, "webhooks", problems):
        _unknown_keys(table, _WEBHOOK_KEYS, f"{where}.", problems)
        url = _url(table.get("url"), f"{where}.url", problems)
        secret = _secret(table, where, problems, read_env=read_env)
        if url:
            _check_same_channel(first_at, url, f"{where}.url", "webhooks", problems)
        hooks.append(WebhookConfig(url=url, secret=secret))
    return tuple(hooks)


def _check_same_channel(
    first_at: dict[str, str], url: str, key: str, table: str, problems: list[ConfigProblem]
) -> None:
    """Report a channel URL given a second time; remember it otherwise.

    A channel is identified by its kind and exact URL (`channels.channel_id`), and the outbox holds one
    delivery per alert and channel: a URL listed twice would be one channel asked for two
    deliveries of every alert. An http(s) URL written twice with another case of scheme or
    host, or its default port, is two channel ids but one receiver, which would then get
    every alert twice under two message ids it cannot dedupe: compared by `_receiver`.
    The URL is never echoed, as it often holds a token.
    """
    first = first_at.get(receiver := _receiver(url))
    if first is None:
        first_at[receiver] = key
        return
    problems.append(
        ConfigProblem(
            key,
            f"the same URL as {first}: one channel, which would be sent every alert twice; "
            f"delete one of the two [[{table}]] tables",
        )
    )


def _receiver(url: str) -> str:
    """Where an http(s) URL sends: scheme and host in lower case, a default port dropped
    (RFC 3986 §6.2.2-3). The rest is kept as written: paths and query strings hold tokens
    servers compare exactly. Other schemes (Apprise's) are kept whole: their "host" is
    often a token ("tgram://BotToken/ChatID")."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url.strip()
    try:
        port = parts.port
    except ValueError:  # refused by _url already; compared as written
        return url.strip()
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


_DEFAULT_PORTS = {"http": 80, "https": 443}


class _NotifyEntries(NamedTuple):
    read: tuple[tuple[str, str], ...]  # (entry, URL)
    unread: tuple[str, ...]  # entries whose url_env was not read (secrets=False)


def _notify(value: Any, problems: list[ConfigProblem], *, read_env: bool) -> _NotifyEntries:
    urls: list[tuple[str, str]] = []
    unread: list[str] = []
    first_at: dict[str, str] = {}  # URL → the key of the first entry sending there
    for where, table in _tables(value, "notify", problems):
        _unknown_keys(table, _NOTIFY_KEYS, f"{where}.", problems)
        url, key = table.get("url"), f"{where}.url"
        if (url is None) == (table.get("url_env") is None):
            problems.append(ConfigProblem(key, 'give exactly one of url = "ntfy://…" or url_env = "VAR"'))
            continue
        if url is None:
            key, env = f"{where}.url_env", table["url_env"]
            if not _env_name(env, key, problems):
                continue
            if not read_env:
                unread.append(where)
                continue
            url = os.environ.get(env)
            if url is None:
                problems.append(ConfigProblem(key, f"environment variable {env} is not set"))
                continue
        if problem := notify_module.validate_url(url):
            problems.append(ConfigProblem(key, problem))  # never echo the URL: it holds tokens
        else:
            # url_env compared by the value it names: a URL given both ways is one channel.
            _check_same_channel(first_at, url, key, "notify", problems)
            urls.append((where, url))
    return _NotifyEntries(tuple(urls), tuple(unread))


def _watches(raw: Mapping[str, Any], base: Path, problems: list[ConfigProblem]) -> tuple[Watch, ...]:
    """The config's `[[watches]]`, or the shipped LeCun/Meta watch when it has none."""
    seeds_override = _seeds_override(raw.get("seeds"), base, problems)
    if "watches" not in raw:
        watch = shipped_watch()
        return (dataclasses.replace(watch, seeds=seeds_override) if seeds_override else watch,)
    watches: list[Watch] = []
    if seeds_override is not None:
        problems.append(
            ConfigProblem("seeds", "applies to the shipped watch only; with [[watches]], set seeds in each")
        )
    first_at: dict[str, str] = {}  # watch name → the key of the first watch so named
    for where, table in _tables(raw["watches"], "watches", problems):
        loaded, found = load_watch(table, base_dir=base, key=where)
        problems.extend(found)
        if loaded is None:
            continue
        if (first := first_at.setdefault(loaded.name, where)) != where:
            # Alerts are keyed by watch name: two watches of one name merge their alerts, and
            # the second's deliveries carry the first's question and seeds.
            problems.append(
                ConfigProblem(
                    f"{where}.name",
                    f"{loaded.name!r} is already the name of {first}; watch names must be unique",
                )
            )
        watches.append(loaded)
    return tuple(watches)


def _seeds_override(value: Any, base: Path, problems: list[ConfigProblem]) -> tuple[Seed, ...] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(ConfigProblem("seeds", f"{value!r} is not a folder path; expected a string"))
        return None
    seeds, found = load_seeds(base / value, key="seeds")
    problems.extend(found)
    return seeds


def _string(table: Mapping[str, Any], key: str, where: str, problems: list[ConfigProblem]) -> str:
    value = table.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    what = "missing" if value is None else f"{value!r} is not a non-empty string"
    problems.append(ConfigProblem(f"{where}.{key}", f"{what}; expected a non-empty string"))
    return ""


def _bool(table: Mapping[str, Any], key: str, where: str, problems: list[ConfigProblem]) -> bool:
    value = table.get(key, False)
    if isinstance(value, bool):
        return value
    problems.append(ConfigProblem(f"{where}.{key}", f"{value!r} is not true or false"))
    return False


def _url(value: Any, key: str, problems: list[ConfigProblem]) -> str:
    if value is None:
        problems.append(ConfigProblem(key, "missing; expected an http:// or https:// URL"))
        return ""
    problem = _web_url_problem(value.strip()) if isinstance(value, str) else "is not a string"
    if problem:
        problems.append(ConfigProblem(key, f"{value!r} {problem}"))
        return ""
    return str(value).strip()


def _web_url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched, or None. Checked here so `run` never meets it later."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port out of range or not a number
    except ValueError as e:  # "http://[::1/feed": "Invalid IPv6 URL"
        return f"is not a valid URL ({e}); expected an http:// or https:// URL with a host"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http:// or https:// URL with a host"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "contains spaces or control characters; percent-encode them (a space is %20)"
    return None


def interval_problem(value: Any) -> str | None:
    """Why `value` (a duration such as "10m", or seconds) is no valid feed interval; None
    when it is one."""
    problems: list[ConfigProblem] = []
    _interval(value, "interval", problems)
    return problems[0].message if problems else None


def _interval(value: Any, key: str, problems: list[ConfigProblem]) -> timedelta:
    if value is None:
        return DEFAULT_INTERVAL
    interval = None
    if isinstance(value, int) and not isinstance(value, bool):
        bound = timedelta.max.days * 86_400  # beyond it timedelta overflows
        interval = timedelta(seconds=max(-bound, min(value, bound)))
    if isinstance(value, str):
        interval = parse_duration(value)
    if interval is None:
        problems.append(
            ConfigProblem(key, f'{value!r} is not a duration; expected e.g. "90s", "10m", "1h30m"')
        )
        return DEFAULT_INTERVAL
    if interval < MIN_INTERVAL:
        problems.append(
            ConfigProblem(key, f"{value!r} is shorter than the minimum {int(MIN_INTERVAL.total_seconds())}s")
        )
        return MIN_INTERVAL
    if interval > MAX_INTERVAL:
        problems.append(ConfigProblem(key, f"{value!r} is longer than the maximum {MAX_INTERVAL.days}d"))
        return MAX_INTERVAL
    return interval


def _env_name(env: Any, key: str, problems: list[ConfigProblem]) -> TypeGuard[str]:
    if isinstance(env, str) and env:
        return True
    problems.append(ConfigProblem(key, f"{env!r} is not an environment variable name"))
    return False


def _secret(table: Mapping[str, Any], where: str, problems: list[ConfigProblem], *, read_env: bool) -> str:
    secret, env = table.get("secret"), table.get("secret_env")
    if (secret is None) == (env is None):
        problems.append(
            ConfigProblem(f"{where}.secret", 'give exactly one of secret = "whsec_…" or secret_env = "VAR"')
        )
        return ""
    key = f"{where}.secret"
    if env is not None:
        key = f"{where}.secret_env"
        if not _env_name(env, key, problems) or not read_env:
            return ""
        secret = os.environ.get(env)
        if secret is None:
            problems.append(ConfigProblem(key, f"environment variable {env} is not set"))
            return ""
    if not isinstance(secret, str):
        problems.append(ConfigProblem(key, 'expected a string "whsec_…"'))
        return ""
    if problem := deliver.validate_secret(secret):
        # Never echo the secret itself into logs or terminals.
        problems.append(ConfigProblem(key, problem))
    return secret
