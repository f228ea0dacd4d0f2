"""A small, realistic day of news on a loopback feed server, for the tools that read the database.

Two outlets and a dead feed: a wire story and its syndicated copy (a duplicate), Meta
confirming LeCun's departure in two outlets (one alert, two sources), a rewrite of a
shipped seed, and a feed that answers 404 (a feed in error).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.loopback import FeedServer, rss

NOW = datetime.now(UTC).replace(microsecond=0)

WIRE = [
    {
        "guid": "wire-1",
        "title": "Markets rally as chip stocks climb",
        "link": "https://wire.example/markets",
        "summary": "Stocks rose on Tuesday as chip makers led gains across Asian and European markets.",
        "published": NOW - timedelta(hours=3),
    },
    {
        "guid": "wire-2",
        "title": "Meta spokesperson Andy Stone confirmed LeCun's departure in an email",
        "link": "https://wire.example/meta-confirms",
        "summary": "Meta confirmed that its chief AI scientist will leave at the end of the year.",
        "published": NOW - timedelta(hours=1),
    },
]
MIRROR = [
    {  # the wire story, syndicated: same headline and lead, another link
        "guid": "mirror-1",
        "title": "Markets rally as chip stocks climb",
        "link": "https://mirror.example/2025/markets-rally",
        "summary": "Stocks rose on Tuesday as chip makers led gains across Asian and European markets.",
        "published": NOW - timedelta(hours=2),
    },
    {  # the same statement in another outlet: joins the alert
        "guid": "mirror-2",
        "title": "LeCun's exit was confirmed by Meta on Thursday",
        "link": "https://mirror.example/2025/lecun-exit",
        "summary": "The company confirmed the departure in a statement.",
        "published": NOW - timedelta(minutes=30),
    },
    {  # a rewrite of the shipped seed (the FT report)
        "guid": "mirror-3",
        "title": "Meta's chief AI scientist Yann LeCun plans to quit and launch own start-up",
        "link": "https://mirror.example/2025/lecun-startup",
        "summary": (
            "Yann LeCun, the Turing Award winner who founded Meta's fundamental AI research lab, is"
            " preparing to leave the company in the coming months to build a start-up focused on world"
            " models, according to people familiar with his plans. He has held early talks with"
            " investors about funding the venture."
        ),
        "published": NOW - timedelta(hours=5),
    },
]
SERVED = len(WIRE) + len(MIRROR)


# The mirror answers late so the wire's items are always stored first. What the database
# holds depends on arrival order, as it does in the world: the first item to report the
# statement raises the alert, and the seed rewrite shares too few words with Mirror's short
# statement item to join its story without Wire's longer one already stored.
MIRROR_DELAY = 1.0


def publish(server: FeedServer) -> None:
    server.put("/wire.xml", rss("Wire", WIRE))
    server.put("/mirror.xml", rss("Mirror", MIRROR), delay=MIRROR_DELAY)


def config(server: FeedServer, database: str, webhooks: list[str], secret: str) -> str:
    """A monitor.toml for the three feeds (the third is never published: 404)."""
    text = f'database = "{database}"\n'
    for name, path in (("Wire", "/wire.xml"), ("Mirror", "/mirror.xml"), ("Gone", "/gone.xml")):
        text += f'[[feeds]]\nname = "{name}"\nurl = "{server.url(path)}"\ninterval = "1m"\n'
    for url in webhooks:
        text += f'[[webhooks]]\nurl = "{url}"\nsecret = "{secret}"\n'
    return text
