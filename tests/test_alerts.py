"""alerts.decide: which alert a statement joins, from the spans of those already raised."""

from __future__ import annotations

from datetime import timedelta

from monitor.alerts import OWN_POST_SAME_OCCASION, STATEMENT_QUIET_GAP, decide
from monitor.types import AlertSpan, Statement
from tests.conftest import NOW

HOUR = timedelta(hours=1)
CONFIRMS = Statement("w", "Yann LeCun", "confirms", ("confirms",), 2.0)
RECALLED = Statement("w", "Yann LeCun", "confirms", ("confirms",), 2.0, recalled=True)
# The post's coverage: its first report at NOW, the newest ten hours on.
POST = AlertSpan(1, NOW, NOW + 10 * HOUR)


def test_the_first_report_of_a_statement_raises_an_alert() -> None:
    assert decide(CONFIRMS, [], NOW).join is None


def test_reports_while_the_coverage_goes_on_join_it() -> None:
    for published in (NOW + HOUR, NOW + 10 * HOUR + STATEMENT_QUIET_GAP, NOW - STATEMENT_QUIET_GAP):
        assert decide(CONFIRMS, [POST], published).join == 1, published


def test_the_same_stance_after_a_quiet_spell_is_a_new_statement() -> None:
    """An interview two days after the post's last report: the speaker said it again."""
    later = NOW + 10 * HOUR + STATEMENT_QUIET_GAP + HOUR
    assert decide(CONFIRMS, [POST], later).join is None
    # Polled out of order: an older statement reaches the store after a newer one's alert.
    assert decide(CONFIRMS, [POST], NOW - STATEMENT_QUIET_GAP - HOUR).join is None


def test_a_report_that_dates_the_statement_in_the_past_joins_however_late() -> None:
    talk = AlertSpan(2, NOW + 20 * 24 * HOUR, NOW + 21 * 24 * HOUR)
    # "Last week LeCun said…", a week after the post and before the talk: the post's.
    assert decide(RECALLED, [POST, talk], NOW + 7 * 24 * HOUR).join == 1
    # After the talk, the talk's: the latest raised before the report.
    assert decide(RECALLED, [POST, talk], NOW + 30 * 24 * HOUR).join == 2
    # Before every alert it could mean, it is news here: a new alert.
    assert decide(RECALLED, [talk], NOW).join is None


def test_each_span_is_its_own_statement() -> None:
    talk = AlertSpan(2, NOW + 20 * 24 * HOUR, NOW + 20 * 24 * HOUR)
    assert decide(CONFIRMS, [POST, talk], NOW + 2 * HOUR).join == 1
    assert decide(CONFIRMS, [POST, talk], NOW + 20 * 24 * HOUR + HOUR).join == 2


def test_an_alert_no_item_has_joined_yet_is_joined() -> None:
    assert decide(CONFIRMS, [AlertSpan(3, None, None)], NOW).join == 3


def test_a_partys_own_post_is_its_own_occasion() -> None:
    """His post, a day and a half after the first report of an interview he gave: a new
    alert, where the quiet gap alone would have joined the interview's."""
    interview = AlertSpan(1, NOW, NOW + 4 * HOUR)
    post = NOW + 34 * HOUR
    assert decide(CONFIRMS, [interview], post).join == 1  # a report of it, from the press
    assert decide(CONFIRMS, [interview], post, official=True).join is None
    # Reported before its feed was polled: the same occasion.
    assert decide(CONFIRMS, [interview], NOW + OWN_POST_SAME_OCCASION, official=True).join == 1
    # An alert a post has joined already is the post's: a second post within the gap joins it.
    posted = AlertSpan(2, NOW, NOW + 4 * HOUR, official=True)
    assert decide(CONFIRMS, [posted], post, official=True).join == 2
