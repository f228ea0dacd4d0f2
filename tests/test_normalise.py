"""normalise: links, plain text, identity and dates, with a fixed `now`."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.normalise import (
    FALLBACK_TITLE_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    canonical_link,
    clean_link,
    distinct_keys,
    keeps_replaced_text,
    normalise,
    other_key,
    plain_text,
    recycled_key,
)
from monitor.types import Item, RawEntry

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
ENTRY = RawEntry(
    guid="urn:uuid:1",
    title="Meta confirms",
    link="https://example.com/a?utm_source=x",
    summary="<p>Body</p>",
    published=datetime(2025, 11, 20, 9, 0, tzinfo=UTC),
    published_raw="Thu, 20 Nov 2025 09:00:00 GMT",
)


# --- canonical_link ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?id=7&fbclid=IwAR0x&gclid=1", "https://example.com/a?id=7"),
        ("https://example.com/a?UTM_Campaign=x&WT.mc_id=y&q=1", "https://example.com/a?q=1"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("HTTPS://Example.COM/Path/Case", "https://example.com/Path/Case"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/a?b=2&a=1&c", "https://example.com/a?a=1&b=2&c"),
        ("https://example.com/s?q=a%20b&r=x+y", "https://example.com/s?q=a%20b&r=x+y"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("ftp://example.com/file", None),
        ("/relative/path", None),
        ("https://example.com:99999/a", None),
        ("http://[::1/a", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_link(url: str | None, expected: str | None) -> None:
    assert canonical_link(url) == expected


def test_clean_link_keeps_the_link_as_given_but_only_http() -> None:
    assert clean_link(" https://Example.com/a?utm_source=x#f ") == "https://Example.com/a?utm_source=x#f"
    assert clean_link("javascript:alert(1)") is None
    assert clean_link("mailto:a@example.com") is None


# --- plain_text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line<br>break", "line break"),
        ("AT&amp;T &lt;3 &eacute;t&eacute; &#8217; &#x2014;", "AT&T <3 été ’ —"),
        ("5 < 6 and 7 > 6", "5 < 6 and 7 > 6"),
        ("before<script>alert('x')</script>after", "beforeafter"),
        ("a<style>p { color: red }</style>b", "ab"),
        ("a<script type='text/javascript'>if (a < b) { x = '</p>' }</script>b", "ab"),
        ("<!-- hidden comment -->shown", "shown"),
        ("  lots \n\n of\t\twhitespace\u00a0here  ", "lots of whitespace here"),
        ("Metaâ€™s AI chief", "Meta’s AI chief"),
        ("CafÃ© rÃ©sumÃ©", "Café résumé"),
        ("red \x1b[31mALERT\x1b[0m text", "red ALERT text"),
        ("link \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 here", "link click here"),
        ("csi \x9b2J clear", "csi clear"),
        ("bell\x07 null\x00 del\x7f c1\x85 end", "bell null del c1 end"),
        ("&#27;[2J escaped escape", "[2J escaped escape"),  # the ESC itself is gone: harmless
        ("Ｆｕｌｌ，宽度 stays", "Ｆｕｌｌ，宽度 stays"),
        ("", ""),
    ],
)
def test_plain_text(html: str, expected: str) -> None:
    assert plain_text(html) == expected


def test_plain_text_leaves_no_control_characters() -> None:
    hostile = "".join(chr(c) for c in range(0x00, 0xA0)) + "\x1b[1;31m&#x9b;&#x1b;]0;title\x07"
    assert re.search(r"[\x00-\x1f\x7f-\x9f]", plain_text(hostile)) is None


def test_plain_text_of_a_giant_fragment_is_bounded_in_time() -> None:
    assert plain_text("<p>word</p>" * 200_000).startswith("word word")


# --- titles and summaries ------------------------------------------------------------


def test_missing_title_falls_back_to_the_start_of_the_summary() -> None:
    item = normalise(
        replace(ENTRY, title="", summary="<p>" + "word " * 100 + "</p>"), feed="f", official=False, now=NOW
    )
    assert item.title.endswith("…")
    assert len(item.title) <= FALLBACK_TITLE_CHARS
    assert item.title.startswith("word word")


def test_titles_and_summaries_are_bounded() -> None:
    entry = replace(ENTRY, title="t " * MAX_TITLE_CHARS, summary="s " * MAX_SUMMARY_CHARS)
    item = normalise(entry, feed="f", official=False, now=NOW)
    assert len(item.title) <= MAX_TITLE_CHARS
    assert len(item.summary) <= MAX_SUMMARY_CHARS
    assert item.summary.endswith("…")


def test_text_plain_summary_keeps_angle_brackets() -> None:
    entry = replace(ENTRY, summary="if a <b> c", content_type="text/plain")
    assert normalise(entry, feed="f", official=False, now=NOW).summary == "if a <b> c"


def test_fingerprint_changes_with_an_edit_and_only_then() -> None:
    first = normalise(ENTRY, feed="f", official=False, now=NOW)
    again = normalise(ENTRY, feed="f", official=False, now=NOW + timedelta(hours=1))
    edited = normalise(replace(ENTRY, summary="<p>Body, corrected</p>"), feed="f", official=False, now=NOW)
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != edited.fingerprint
    assert len(first.fingerprint) == 16


def test_fields_are_carried_over() -> None:
    item = normalise(ENTRY, feed="lecun", official=True, now=NOW)
    assert (item.feed, item.official, item.title, item.summary) == ("lecun", True, "Meta confirms", "Body")
    assert (item.link, item.canonical_link) == ("https://example.com/a?utm_source=x", "https://example.com/a")


# --- identity ------------------------------------------------------------------------


def test_key_is_the_guid_first() -> None:
    assert normalise(ENTRY, feed="f", official=False, now=NOW).key == "guid:urn:uuid:1"


def test_key_falls_back_to_the_canonical_link() -> None:
    for guid in (None, "", "   "):
        item = normalise(replace(ENTRY, guid=guid), feed="f", official=False, now=NOW)
        assert (item.key, item.guid) == ("link:https://example.com/a", None)


def test_key_falls_back_to_a_hash_of_title_and_date_stable_across_polls() -> None:
    entry = replace(ENTRY, guid=None, link="javascript:void(0)")
    first = normalise(entry, feed="f", official=False, now=NOW)
    later = normalise(entry, feed="f", official=False, now=NOW + timedelta(days=1))
    other = normalise(replace(entry, published_raw="Fri, 21 Nov 2025"), feed="f", official=False, now=NOW)
    assert re.fullmatch(r"hash:[0-9a-f]{40}", first.key)
    assert first.key == later.key
    assert first.key != other.key


def test_entries_sharing_a_guid_but_differing_get_keys_of_their_own_stable_across_polls() -> None:
    # Scripting News gave two posts of one day the guid of the day's page (shared/feeds).
    def item(title: str, summary: str, hour: int) -> Item:
        entry = replace(
            ENTRY,
            guid="http://scripting.com/2017/06/25.html#a080631",
            title=title,
            summary=summary,
            published=datetime(2017, 6, 25, hour, tzinfo=UTC),
        )
        return normalise(entry, feed="f", official=False, now=NOW)

    morning, dropbox = item("Good morning", "Good morning", 12), item("Dropbox", "In 2015 I wrote", 13)
    other = normalise(ENTRY, feed="f", official=False, now=NOW)
    keyed = distinct_keys([morning, dropbox, other, morning])
    keys = [i.key for i in keyed]
    assert keys[0] != keys[1]
    assert keys[0].startswith("guid:http://scripting.com/2017/06/25.html#a080631 ~")
    assert keys[2:] == [other.key, keys[0]]  # others, and a word-for-word repeat, as they were
    assert [i.key for i in distinct_keys([dropbox, morning])] == [keys[1], keys[0]]  # order-free
    assert distinct_keys([morning]) == [morning]  # alone (an earlier poll), the guid as it is
    # met one poll after the other (a recycled guid), each gets the key it gets beside the other
    assert [recycled_key(i).key for i in (morning, dropbox)] == keys[:2]
    # and the writer looks up each entry under the other form too: alone now, beside it before
    assert [other_key(i) for i in (morning, dropbox)] == keys[:2]
    assert [other_key(i) for i in keyed[:2]] == [morning.key, dropbox.key]


def test_entries_sharing_a_guid_without_dates_keep_their_keys_from_poll_to_poll() -> None:
    def keys(now: datetime) -> list[str]:
        entries = [replace(ENTRY, title=t, published=None, published_raw=None) for t in ("One", "Two")]
        return [
            i.key for i in distinct_keys([normalise(e, feed="f", official=False, now=now) for e in entries])
        ]

    assert keys(NOW) == keys(NOW + timedelta(hours=1))  # `published` is the poll's time here
    assert len(set(keys(NOW))) == 2


def test_entries_sharing_guid_title_and_date_are_told_apart_by_their_text() -> None:
    # The W3C's Atom duplicate-entries case: one id, one title, one date, two texts.
    one = normalise(replace(ENTRY, summary="Some text."), feed="f", official=False, now=NOW)
    two = normalise(replace(ENTRY, summary="Different text."), feed="f", official=False, now=NOW)
    keys = {i.key for i in distinct_keys([one, two])}
    assert len(keys) == 2
    assert all(k.startswith("guid:urn:uuid:1 ~") for k in keys)


def test_link_keys_ignore_tracking_differences() -> None:
    a = normalise(
        replace(ENTRY, guid=None, link="https://x.example/p?utm_source=a"), feed="f", official=False, now=NOW
    )
    b = normalise(
        replace(ENTRY, guid=None, link="https://X.example/p#top"), feed="f", official=False, now=NOW
    )
    assert a.key == b.key


# --- dates ---------------------------------------------------------------------------


def test_feed_date_is_kept() -> None:
    item = normalise(ENTRY, feed="f", official=False, now=NOW)
    assert (item.published, item.date_note) == (datetime(2025, 11, 20, 9, 0, tzinfo=UTC), None)


def test_other_timezones_are_converted_to_utc() -> None:
    paris = datetime(2025, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    item = normalise(replace(ENTRY, published=paris), feed="f", official=False, now=NOW)
    assert item.published == datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
    assert item.published.tzinfo is UTC


def test_naive_date_is_taken_as_utc() -> None:
    item = normalise(
        replace(ENTRY, published=datetime(2025, 11, 20, 9, 0)), feed="f", official=False, now=NOW
    )
    assert item.published == datetime(2025, 11, 20, 9, 0, tzinfo=UTC)


def test_missing_date_is_now_with_a_note() -> None:
    item = normalise(replace(ENTRY, published=None, published_raw=None), feed="f", official=False, now=NOW)
    assert (item.published, item.date_note) == (NOW, "missing")


def test_unparseable_date_is_now_with_the_raw_string() -> None:
    entry = replace(ENTRY, published=None, published_raw="2016/6/29 \x1b[31m")
    item = normalise(entry, feed="f", official=False, now=NOW)
    assert (item.published, item.date_note) == (NOW, "unparseable: 2016/6/29")


def test_small_clock_skew_is_tolerated() -> None:
    ahead = NOW + timedelta(hours=3)
    item = normalise(replace(ENTRY, published=ahead), feed="f", official=False, now=NOW)
    assert (item.published, item.date_note) == (ahead, None)


def test_future_date_is_now_with_a_note() -> None:
    entry = replace(ENTRY, published=NOW + timedelta(days=2), published_raw="Sat, 22 Nov 2025 12:00:00 GMT")
    item = normalise(entry, feed="f", official=False, now=NOW)
    assert (item.published, item.date_note) == (NOW, "in the future: Sat, 22 Nov 2025 12:00:00 GMT")


def test_date_before_1995_is_now_with_a_note() -> None:
    entry = replace(
        ENTRY, published=datetime(1970, 1, 1, tzinfo=UTC), published_raw="Thu, 01 Jan 1970 00:00:00 GMT"
    )
    item = normalise(entry, feed="f", official=False, now=NOW)
    assert item.published == NOW
    assert item.date_note == "before 1995: Thu, 01 Jan 1970 00:00:00 GMT"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        normalise(ENTRY, feed="f", official=False, now=datetime(2025, 11, 20, 12, 0))


# ── edits: which replaced texts are kept ──────────────────────────────────────────────
HN_LINK = "https://news.example/item?id=41"


def hn(points: int, comments: int, title: str = "Show HN: a feed monitor") -> tuple[str, str, str]:
    return title, f"Points: {points} # Comments: {comments}", HN_LINK


def kept_ticks(minutes: list[int]) -> list[int]:
    """Minutes (after the item was first seen) at which a counter's ticks keep a version."""
    first_seen, current = NOW, hn(1, 0)
    kept: tuple[tuple[str, str, str], datetime] | None = None
    at: list[int] = []
    for n, minute in enumerate(minutes, start=2):
        now = first_seen + timedelta(minutes=minute)
        new = hn(n, n // 2)
        if keeps_replaced_text(current, new, kept, first_seen=first_seen, now=now):
            kept, at = (current, now), [*at, minute]
        current = new
    return at


def test_a_counter_ticking_at_every_poll_keeps_versions_ever_further_apart() -> None:
    every_ten_minutes_for_a_week = list(range(10, 7 * 24 * 60 + 1, 10))
    # 10 in a week (1,008 polls), 8 of them in the first day
    assert kept_ticks(every_ten_minutes_for_a_week) == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120]


def test_every_word_or_link_edit_keeps_the_text_it_replaces() -> None:
    last = (hn(5, 1), NOW + timedelta(minutes=50))
    soon = NOW + timedelta(minutes=51)
    retitled = hn(7, 2, title="Show HN: a news feed monitor")
    assert keeps_replaced_text(hn(6, 1), retitled, last, first_seen=NOW, now=soon)
    moved = (*hn(7, 2)[:2], "https://news.example/item?id=42")
    assert keeps_replaced_text(hn(6, 1), moved, last, first_seen=NOW, now=soon)


def test_the_first_numbers_only_edit_and_the_text_a_word_edit_made_are_kept() -> None:
    soon = NOW + timedelta(minutes=51)
    assert keeps_replaced_text(hn(6, 1), hn(7, 1), None, first_seen=NOW, now=soon)
    # "toll rises to 12" came from a word edit: a figure revised right after keeps it.
    reworded = ("Storm: toll rises to 12", "Rescuers reached the valley.", None)
    before = (("Storm hits the valley", "Rescuers are on their way.", None), NOW + timedelta(minutes=50))
    revised = ("Storm: toll rises to 15", "Rescuers reached the valley.", None)
    assert keeps_replaced_text(reworded, revised, before, first_seen=NOW, now=soon)
    # ... and a figure revised again within the minute loses the middle value, 15.
    after = (reworded, soon)
    final = ("Storm: toll rises to 20", "Rescuers reached the valley.", None)
    assert not keeps_replaced_text(revised, final, after, first_seen=NOW, now=soon + timedelta(minutes=1))
