"""`monitor run`: APScheduler drives the polls until SIGTERM, SIGINT or SIGHUP, then drains.

One interval job per feed (`max_instances=1`: a feed never overlaps itself;
`coalesce=True`: polls missed while the machine slept run once, not N times;
`misfire_grace_time`: a poll late by up to one interval still runs). After each poll the
job's next run is moved to what `schedule.next_poll` decided (backoff, Retry-After,
Cache-Control), so politeness is decided in one pure place. A hung feed cannot hold up
the others: every fetch has a total deadline and polls run as independent tasks.

Deliveries run as a separate job every few seconds and whenever the writer has just
committed an alert, so an alert leaves within milliseconds of its poll.

The writer retries what it cannot commit for now (`Poller.retrying`), the start's writes
too (`Poller.sync`: a database locked as the daemon starts is waited out); if it dies anyway, the
daemon stops with exit 1 rather than fetch what nothing stores, and a service manager
starts a fresh one. Every wait of the drain is bounded, a stuck writer's too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor import observe, schedule
from monitor.config import Config
from monitor.exceptions import StorageError
from monitor.pipeline import Poller, RunStats, outcome_queue
from monitor.store import Store
from monitor.types import FeedConfig, FeedState

__all__ = ["DELIVERY_TICK", "DRAIN_SECONDS", "STOP_SIGNALS", "Daemon", "StillPolling"]

log = logging.getLogger("monitor.daemon")

# How long SIGTERM waits for polls and deliveries in flight before giving up on them.
# Fetches have their own deadline; this bound is what systemd's TimeoutStopSec must exceed.
DRAIN_SECONDS = 5.0
# Each of these drains and stops. SIGHUP too: its default action killed the daemon with
# polls in flight (exit 129, a leaked semaphore). It is not a reload: applying a changed
# config in place means rebuilding the watches, the parse workers and every feed's job
# while polls run, where a restart does it all from one known state; a supervisor that
# restarts on exit, or `systemctl restart`, applies the new config (see README).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Retries of failed deliveries are checked this often; fresh alerts do not wait for it.
DELIVERY_TICK = timedelta(seconds=5)


class StillPolling(logging.Filter):
    """Drops apscheduler's warning that a feed's poll came due while its last one still
    ran (`max_instances=1`): that skip is the design (one poll of a feed at a time), and the
    reason a poll runs that long is logged where it is (the writer's "cannot store" line
    while the database is locked, or a first poll of thousands of feeds filling the queue).
    Left in, it was one WARNING a feed an interval: 1,000 feeds at 5 minutes, 200 a minute
    burying the one line that says what is wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(_SKIPPED))


_SKIPPED = 'Execution of job "%s" skipped: maximum number of running instances reached'
_STILL_POLLING = StillPolling()  # one instance: addFilter adds an equal filter only once


class Daemon:
    """Runs the poller under APScheduler until stopped."""

    def __init__(
        self,
        store: Store,
        config: Config,
        poller: Poller | None = None,
        *,
        http: tuple[str, int] | None = None,
    ) -> None:
        self.store = store
        self.http = http  # where to serve /metrics and /healthz (`run --http`), if anywhere
        self.config = config
        self.poller = poller or Poller(store, config)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        logging.getLogger("apscheduler.scheduler").addFilter(_STILL_POLLING)
        self.queue = outcome_queue()
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        # The daemon owns the database, so feed state is kept in memory between polls and
        # persisted by the writer after each one (read back only at start).
        self.states: dict[str, FeedState] = {}
        # Why the daemon must stop with an error (the writer died, or could not store what
        # was polled before the exit); /healthz reports it, `run` raises it at the end.
        self.failure: str | None = None

    async def run(self) -> None:
        """Schedule every feed, run until a signal, then drain and return."""
        # Listening first: a taken port fails before any poll, and /healthz says "starting".
        endpoint = observe.Endpoint(*self.http, self.health) if self.http else None
        if endpoint is not None:
            endpoint.start()
        try:
            await self._run()
        finally:
            if endpoint is not None:
                endpoint.close()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self.stop)
        now = datetime.now(UTC)
        try:
            # Retried until the database can be written (/healthz 503 with the reason
            # meanwhile); a stop signal ends the wait, and the run, with that reason.
            self.states = states = await self.poller.sync(now, tries=None, stop=self.stopping)
        except StorageError:
            await self.poller.aclose()  # nothing was scheduled or polled yet
            raise
        observe.track_feeds(states.values)  # the gauge reads the live states at each scrape
        self.poller.start_pool(len(states))
        writer = asyncio.create_task(self.poller.drain(self.queue))
        deliverer = asyncio.create_task(self._deliver_loop())
        self._schedule_feeds(states, now)
        self.scheduler.start()
        observe.sd_notify(f"READY=1\nSTATUS=polling {len(states)} feeds")  # systemd Type=notify
        log.info("started: %d feeds, %d alert channels", len(states), len(self.config.channels))
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({stop, writer}, return_when=asyncio.FIRST_COMPLETED)
        if writer.done():  # it only ends when told to: anything else means nothing is stored
            self._writer_died(writer)
            self.stop()
        stop.cancel()
        await self._drain(writer, deliverer)
        if self.failure is not None:
            # Exit 1 (not 2): the unit's Restart=on-failure starts a fresh daemon, which
            # polls again the feeds whose polls were not stored.
            raise StorageError(self.failure)

    def _writer_died(self, writer: asyncio.Task[RunStats]) -> None:
        error = None if writer.cancelled() else writer.exception()
        self.failure = (
            f"the writer stopped: {type(error).__name__}: {error}" if error else "the writer stopped"
        )
        # With its traceback: this is a bug or a damaged database, not a passing condition
        # (those are retried by the writer itself, see `Poller._store`).
        log.error(
            "%s; no poll can be stored, so the daemon stops (a service manager restarts it)",
            self.failure,
            exc_info=error,
        )

    def stop(self) -> None:
        log.info("stopping: draining work in flight (at most %.0f s)", DRAIN_SECONDS)
        observe.sd_notify("STOPPING=1")
        self.stopping.set()

    def health(self) -> str | None:
        """None while polling on schedule and storing, with a readable database; else why
        not (/healthz)."""
        if self.failure is not None:
            return self.failure
        if self.stopping.is_set():
            return "stopping"
        if self.poller.write_failure is not None:  # retrying (at start too); polls wait meanwhile
            return self.poller.write_failure
        if not self.scheduler.running:
            return "starting"
        self.store.ping()  # raises StorageError, which /healthz reports
        return None

    def _schedule_feeds(self, states: Mapping[str, FeedState], now: datetime) -> None:
        for feed in self.config.feeds:
            state = states.get(feed.name)
            if state is None:
                continue
            first = state.next_poll or schedule.first_poll(now, feed.interval, self.poller.rng.random())
            self.scheduler.add_job(
                self._poll_job,
                IntervalTrigger(seconds=feed.interval.total_seconds(), timezone=UTC),
                args=[feed],
                id=feed.name,
                name=feed.name,
                next_run_time=max(first, now),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(feed.interval.total_seconds()),
            )

    async def _poll_job(self, feed: FeedConfig) -> None:
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self.in_flight.add(task)
        try:
            state = await self.poller.poll_into(self.queue, feed, self.states[feed.name])
            self.states[feed.name] = state
            self._reschedule(feed, state)
        except asyncio.CancelledError:
            if not self.stopping.is_set():
                raise
            # The drain cut this poll short on purpose (see `_drain`); re-raised, apscheduler
            # would log it as an ERROR with a traceback. This task is the job's own, so
            # nothing above it waits for the cancellation.
            log.info("poll feed=%r interrupted at shutdown; it is polled again at the next start", feed.name)
        finally:
            self.in_flight.discard(task)

    def _reschedule(self, feed: FeedConfig, state: FeedState) -> None:
        next_poll = state.next_poll
        job = self.scheduler.get_job(feed.name)
        if job is not None and next_poll is not None and not self.stopping.is_set():
            job.modify(next_run_time=next_poll)

    async def _deliver_loop(self) -> None:
        """Start delivering whenever an alert was committed, and every tick for retries.

        It never waits for an attempt: each endpoint's worker runs on its own, so a hanging
        receiver cannot delay the next alert to another one. On stopping it waits for the
        attempts in flight, as long as `_drain` allows.
        """
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.poller.delivered_event.wait(), DELIVERY_TICK.total_seconds())
            self.poller.delivered_event.clear()
            try:
                await self.poller.start_deliveries()
            except Exception:  # a delivery bug must not stop polling; it is logged and retried
                log.exception("delivery round failed")
        await self.poller.deliveries_idle()

    async def _drain(self, writer: asyncio.Task[RunStats], deliverer: asyncio.Task[None]) -> None:
        """Stop scheduling, let polls in flight finish (bounded), store them, close."""
        # Pause, not shut down, until the polls in flight are done: APScheduler's
        # AsyncIOExecutor.shutdown cancels every job still running, which threw them away.
        self.scheduler.pause()
        # A job submitted just before the pause has a task that has not started yet; one
        # turn of the loop lets it see `stopping` and return, before `shutdown` below
        # would cancel it unstarted (which apscheduler logs as an ERROR).
        await asyncio.sleep(0)
        if self.in_flight:
            _done, pending = await asyncio.wait(self.in_flight, timeout=DRAIN_SECONDS)
            for task in pending:
                task.cancel()
        self.scheduler.shutdown(wait=False)
        if await self._stop_writer(writer):
            self.poller.delivered_event.set()
            try:
                await asyncio.wait_for(deliverer, DRAIN_SECONDS)
            except TimeoutError:
                log.warning("deliveries still in flight at exit; they are retried on the next start")
        else:  # deliveries read and write through the writer's thread: nothing to wait for
            deliverer.cancel()
            await asyncio.wait({deliverer})
        await self.poller.aclose()
        log.info("stopped")

    async def _stop_writer(self, writer: asyncio.Task[RunStats]) -> bool:
        """Let the writer store what is queued, for at most DRAIN_SECONDS; True if it did.

        Bounded: a writer retrying a locked database never gets through a full queue, and
        an unbounded `queue.put(None)` once hung SIGTERM for good.
        """
        if not writer.done():
            end_of_input = asyncio.create_task(self.queue.put(None))
            await asyncio.wait({writer}, timeout=DRAIN_SECONDS)
            end_of_input.cancel()
            if not writer.done():
                writer.cancel()
                await asyncio.wait({writer})
                queued = sum(self.queue.get_nowait() is not None for _ in range(self.queue.qsize()))
                why = self.poller.write_failure or "the writer did not finish in time"
                self.failure = self.failure or (
                    f"the polls the writer held and {queued} queued were not stored at exit ({why});"
                    " their feeds are polled again at the next start"
                )
                log.error("%s", self.failure)
                return False
        return self.failure is None
