"""A loopback feed farm: N feeds × M realistic news items, served fast from 127.0.0.x.

    farm = Farm(feeds=1000, items=50, hosts=16)           # deterministic content
    with FarmServer(farm) as server:                      # a separate process
        urls = server.urls                                # the same URLs for every contender
        server.control("advance", fraction=0.1, count=3)  # 10 % of feeds gain 3 items
        server.control("latency", seconds=0.05)           # every answer waits 50 ms
        server.control("reset")                           # back to the first generation

Why not `monitor.loopback.FeedServer`: it starts a thread per connection and runs in the
measured process. The farm runs in its own process, on asyncio, with every answer built
once (headers, body, gzip): it answers ~10k requests/s on one core, so it is not what the
benchmark measures (the bare httpx floor, `benchmarks.contenders floor`, shows its cost).

Feeds are spread over several loopback addresses (127.0.0.1 … 127.0.0.H) because the
monitor limits parallel requests per host. Content is a pure function of the seed, the
feed index and the item number, so every contender sees exactly the same bytes and
validators. Items are rewrites of a shared pool of stories (same names, different words,
some syndicated copies), so dedupe finds real candidates. The server stops by itself
after `lifetime` seconds even if its parent dies.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import multiprocessing
import os
import random
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

__all__ = ["Farm", "FarmServer", "Story", "make_item", "story_pool"]

# ── the word pool: enough names and words that dedupe blocks and compares for real ────────
FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ingrid",
    "James",
    "Kavya",
    "Lars",
    "Maria",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tariq",
    "Ursula",
    "Victor",
    "Wen",
    "Xavier",
    "Yusuf",
    "Zoe",
    "Amara",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Esther",
    "Felipe",
    "Greta",
    "Hassan",
    "Isabel",
    "Jonas",
    "Keiko",
    "Liam",
    "Mei",
    "Nikolai",
    "Olga",
    "Pablo",
    "Rania",
    "Stefan",
    "Tomas",
]
LAST = [
    "Adler",
    "Bianchi",
    "Castro",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Laurent",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Alvarez",
    "Brennan",
    "Chen",
    "Dasgupta",
    "Engel",
    "Fontaine",
    "Gupta",
    "Hoffmann",
    "Ishikawa",
    "Jovanovic",
    "Kim",
    "Lindqvist",
    "Mendes",
    "Novak",
    "Oyelaran",
    "Park",
    "Ramirez",
    "Sato",
    "Tremblay",
    "Vogel",
    "Walsh",
]
COMPANIES = [
    "Alphabet",
    "Amazon",
    "Apple",
    "Nvidia",
    "Microsoft",
    "OpenAI",
    "Anthropic",
    "Samsung",
    "Intel",
    "Tesla",
    "Siemens",
    "Ericsson",
    "Nokia",
    "Spotify",
    "Airbnb",
    "Uber",
    "Shopify",
    "Salesforce",
    "Oracle",
    "IBM",
    "Qualcomm",
    "Broadcom",
    "Arm",
    "Baidu",
    "Tencent",
    "Alibaba",
    "ByteDance",
    "Sony",
    "Toyota",
    "Volkswagen",
    "BMW",
    "Airbus",
    "Boeing",
    "Pfizer",
    "Moderna",
    "Novartis",
    "Roche",
    "Unilever",
    "Nestle",
    "Shell",
    "BP",
    "TotalEnergies",
    "Siemens",
    "Philips",
    "ASML",
    "Infineon",
    "Mistral",
    "Cohere",
    "Databricks",
    "Snowflake",
    "Stripe",
    "Klarna",
    "Revolut",
    "Zalando",
    "SAP",
    "Atos",
    "Capgemini",
    "Dassault",
    "Renault",
]
PLACES = [
    "London",
    "Paris",
    "Berlin",
    "Brussels",
    "Tokyo",
    "Seoul",
    "Beijing",
    "Shanghai",
    "Singapore",
    "Sydney",
    "Toronto",
    "Montreal",
    "Chicago",
    "Austin",
    "Seattle",
    "Boston",
    "Madrid",
    "Lisbon",
    "Rome",
    "Milan",
    "Vienna",
    "Zurich",
    "Geneva",
    "Stockholm",
    "Oslo",
    "Helsinki",
    "Warsaw",
    "Prague",
    "Dublin",
    "Amsterdam",
    "Mumbai",
    "Bangalore",
    "Nairobi",
    "Lagos",
    "Cairo",
    "Dubai",
    "Riyadh",
    "Istanbul",
    "Athens",
    "Mexico",
    "Santiago",
    "Lima",
    "Bogota",
    "Jakarta",
    "Manila",
    "Hanoi",
]
TOPICS = """chip factory, data centre, antitrust case, quarterly earnings, battery plant, cloud
contract, privacy fine, chatbot launch, layoffs, merger talks, bond sale, share buyback,
satellite network, self-driving trial, drug approval, vaccine trial, labour strike, tax
dispute, supply deal, robotics unit, smartphone launch, cyberattack, outage, IPO, funding
round, research lab, semiconductor export rules, energy contract, wind farm, recall,
subscription price, streaming deal, ad business, payments licence, trade tariffs, union
vote, pension plan, climate pledge, carbon credits, quantum computer, open-source model,
court ruling, board shake-up, chief executive search, stock split, debt restructuring""".replace(
    "\n", " "
).split(", ")
VERBS = [
    "expands",
    "halts",
    "delays",
    "unveils",
    "scraps",
    "revives",
    "doubles",
    "cuts",
    "wins",
    "loses",
    "settles",
    "appeals",
    "pauses",
    "accelerates",
    "reshapes",
    "trims",
    "boosts",
    "opens",
    "closes",
    "sells",
    "buys",
    "weighs",
    "plans",
    "backs",
]
ADJ = [
    "record",
    "surprise",
    "long-awaited",
    "controversial",
    "ambitious",
    "modest",
    "sweeping",
    "fragile",
    "landmark",
    "costly",
    "rare",
    "unexpected",
    "rapid",
    "gradual",
    "tentative",
    "bold",
]
OUTLETS = [
    "Reuters",
    "Bloomberg",
    "AP",
    "AFP",
    "Financial",
    "Times",
    "Wall",
    "Street",
    "Journal",
    "Guardian",
    "BBC",
    "CNBC",
    "Nikkei",
    "Handelsblatt",
    "Le",
    "Monde",
    "El",
    "Pais",
    "Politico",
    "Axios",
    "Verge",
    "Wired",
    "TechCrunch",
    "Ars",
    "Technica",
]
FILLER = [
    "Analysts said the move could weigh on margins for several quarters.",
    "The company did not give a timetable for the decision.",
    "Investors have been pressing management for clearer guidance on spending.",
    "Regulators in several countries are reviewing the plans.",
    "Shares moved in early trading after the announcement.",
    "People familiar with the matter said talks were continuing.",
    "The decision follows months of negotiations with suppliers and unions.",
    "Rivals have announced similar projects over the past year.",
    "Officials said more details would be published next month.",
    "Critics argue the plan leaves key questions about costs unanswered.",
    "The group employs tens of thousands of people across the region.",
    "Executives told staff in an internal memo that priorities had changed.",
]
TEMPLATES_TITLE = [
    "{co} {verb} {topic} in {place}",
    "{co} {verb} {adj} {topic} as {person} takes charge",
    "{person} says {co} {verb} {topic}",
    "{co} and {co2} in talks over {topic}",
    "{place} {topic}: {co} {verb} plans",
    "Why {co}'s {topic} in {place} matters",
    "{co} {verb} {topic} after {adj} quarter",
]
TEMPLATES_LEAD = [
    "{co} {verb} its {topic} in {place}, {person}, its {role}, said on {day}.",
    "{person}, {role} of {co}, said the company {verb} its {adj} {topic} in {place}.",
    "{co} on {day} announced that it {verb} the {topic}, a {adj} step for the {n}-year-old group.",
    "In {place}, {co} {verb} a {topic} worth ${n} billion, according to a statement.",
]
SECTIONS = ["Business", "Technology", "World", "Markets", "Politics", "Europe", "Asia", "Energy"]
ROLES = ["chief executive", "finance chief", "president", "head of research", "chair", "spokesperson"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


@dataclass(frozen=True, slots=True)
class Story:
    """A news event many outlets rewrite: the names stay, the words change."""

    co: str
    co2: str
    person: str
    place: str
    topic: str
    verb: str
    adj: str
    role: str
    n: int


def story_pool(size: int, seed: int = 1) -> list[Story]:
    rng = random.Random(f"stories:{seed}")
    return [
        Story(
            co=rng.choice(COMPANIES),
            co2=rng.choice(COMPANIES),
            person=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            place=rng.choice(PLACES),
            topic=rng.choice(TOPICS),
            verb=rng.choice(VERBS),
            adj=rng.choice(ADJ),
            role=rng.choice(ROLES),
            n=rng.randint(2, 180),
        )
        for _ in range(size)
    ]


def _text(story: Story, rng: random.Random) -> tuple[str, str]:
    slots = {**{k: getattr(story, k) for k in Story.__slots__}, "day": rng.choice(DAYS)}
    title = rng.choice(TEMPLATES_TITLE).format(**slots)
    title = title[0].upper() + title[1:]
    parts = [rng.choice(TEMPLATES_LEAD).format(**slots)]
    target = rng.randint(300, 600)
    fillers = rng.sample(FILLER, len(FILLER))
    while len(" ".join(parts)) < target and fillers:
        parts.append(fillers.pop())
    return title, " ".join(parts)[:620]


def make_item(seed: int, feed: int, seq: int, stories: list[Story], published: datetime) -> dict[str, Any]:
    """Item `seq` of feed `feed`: a rewrite of one story, or (1 in 10) a syndicated copy."""
    rng = random.Random(f"{seed}:{feed}:{seq}")
    story_no = rng.randrange(len(stories))
    story = stories[story_no]
    if rng.random() < 0.1:  # a wire copy: same title and lead as the story's "original"
        title, summary = _text(story, random.Random(f"{seed}:wire:{story_no}"))
    else:
        title, summary = _text(story, rng)
    slug = hashlib.blake2b(f"{feed}:{seq}".encode(), digest_size=6).hexdigest()
    # What a news item carries besides its text, drawn apart so the text stays as it was
    # (scenario 5's cached stores are built from title and summary).
    extra = random.Random(f"{seed}:{feed}:{seq}:extra")
    return {
        "title": title,
        "summary": summary,
        "link": f"https://news{feed % 97}.example.com/{story.co.lower()}/{slug}?utm_source=rss",
        "guid": f"urn:farm:{feed}:{seq}",
        "published": published,
        "author": f"{extra.choice(FIRST)} {extra.choice(LAST)}",
        "categories": [story.topic, story.place, story.co, *extra.sample(SECTIONS, 2)],
        "image": f"https://img{feed % 7}.example.com/{slug}/{extra.randrange(10**6)}.jpg",
    }


def rss(title: str, entries: list[dict[str, Any]]) -> bytes:
    """RSS 2.0 as news sites write it: an HTML description, author, sections, a picture.

    feedparser's time per item follows that markup as much as the text: `benchmarks.realism`
    prints it beside the real news snapshots in `../shared/feeds`.
    """
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'"
        " xmlns:media='http://search.yahoo.com/mrss/' xmlns:atom='http://www.w3.org/2005/Atom'><channel>"
        f"<title>{escape(title)}</title><link>https://example.com/</link>"
        "<description>farm feed</description><language>en-gb</language>"
        "<atom:link href='https://example.com/rss' rel='self' type='application/rss+xml'/>"
    ]
    parts.extend(_rss_item(e) for e in entries)
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _category(name: str) -> str:
    slug = escape(name.lower().replace(" ", "-"))
    return f"<category domain='https://example.com/{slug}'>{escape(name)}</category>"


def _rss_item(e: dict[str, Any]) -> str:
    link = escape(e["link"])
    html = f"<p>{escape(e['summary'])}</p>"  # the description's HTML, escaped again below
    if e.get("image"):
        html = f'<img src="{_attr(e["image"])}" alt="" width="140" height="84" />{html}'
    html += f'<p><a href="{_attr(e["link"])}">Continue reading...</a></p>'
    item = [
        f"<item><title>{escape(e['title'])}</title><link>{link}</link>",
        f"<description>{escape(html)}</description>",
        *(_category(c) for c in e.get("categories", ())),
        f"<pubDate>{format_datetime(e['published'])}</pubDate>",
        f"<guid isPermaLink='false'>{escape(e['guid'])}</guid>",
    ]
    if e.get("author"):
        item.append(f"<dc:creator>{escape(e['author'])}</dc:creator>")
    if e.get("image"):
        item.append(
            f"<media:content width='460' url='{escape(e['image'])}' medium='image'>"
            f"<media:credit scheme='urn:ebu'>Photograph: {escape(e.get('author', 'Staff'))}</media:credit>"
            "</media:content>"
            f"<media:thumbnail url='{escape(e['image'])}?w=140' width='140' height='84'/>"
        )
    item.append("</item>")
    return "".join(item)


# ── the farm: deterministic documents ─────────────────────────────────────────────────────


@dataclass(slots=True)
class _Doc:
    body: bytes
    gzipped: bytes
    etag: str
    modified: datetime
    items: int


@dataclass(slots=True)
class Farm:
    """N feeds of M items each; `advance` adds items to a fraction of them, deterministically."""

    feeds: int = 1000
    items: int = 50
    hosts: int = 16
    seed: int = 1
    epoch: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    stories: list[Story] = field(default_factory=list)
    extra: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # injected items
    newest: list[int] = field(default_factory=list)  # per feed: the next item number
    docs: dict[int, _Doc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # ~20 items per story over a first poll: rewrites meet across feeds as in real news.
        self.stories = story_pool(max(50, self.feeds * self.items // 20), self.seed)
        self.reset()

    def reset(self) -> None:
        self.newest = [self.items] * self.feeds
        self.extra = {}
        self.docs = {}

    def host(self, i: int) -> str:
        return f"127.0.0.{i % self.hosts + 1}"

    def path(self, i: int) -> str:
        return f"/feed/{i:05d}.xml"

    def published(self, feed: int, seq: int) -> datetime:
        # Item seq of a feed: one every 20 minutes, the first M ending an hour before the epoch.
        offset = (self.items - seq) * 20 + 60 + feed % 17
        return self.epoch - timedelta(minutes=offset)

    def document(self, i: int) -> _Doc:
        doc = self.docs.get(i)
        if doc is None:
            doc = self.docs[i] = self._build(i)
        return doc

    def _build(self, i: int) -> _Doc:
        top = self.newest[i]
        entries = [
            make_item(self.seed, i, seq, self.stories, self.published(i, seq))
            for seq in range(top - 1, max(top - self.items, 0) - 1, -1)
        ]
        entries = self.extra.get(i, []) + entries
        body = rss(f"Farm feed {i}", entries)
        modified = max(e["published"] for e in entries)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        return _Doc(body, gzip.compress(body, 5, mtime=0), etag, modified, len(entries))

    def advance(self, fraction: float, count: int, salt: int = 0) -> list[int]:
        """`fraction` of the feeds (chosen by `salt`) publish `count` new items each."""
        rng = random.Random(f"advance:{self.seed}:{salt}")
        chosen = sorted(rng.sample(range(self.feeds), round(self.feeds * fraction)))
        for i in chosen:
            self.newest[i] += count
            self.docs[i] = self._build(i)  # now, so the timed poll does not pay for it
        return chosen

    def inject(self, i: int, entry: dict[str, Any]) -> None:
        """Put one hand-written item at the top of feed i (e.g. the statement of scenario 6)."""
        entry = {**entry, "published": datetime.fromisoformat(entry["published"])}
        self.extra.setdefault(i, []).insert(0, entry)
        self.docs[i] = self._build(i)


# ── the server ────────────────────────────────────────────────────────────────────────────


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Protocol(asyncio.Protocol):
    def __init__(self, app: _App) -> None:
        self.app = app
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            self.buffer = self.buffer[length:]  # control requests carry no body we need
            response = self.app.answer(parts[0], parts[1] if len(parts) > 1 else "/", headers)
            delay = self.app.latency if not parts[1].startswith("/_farm") else 0.0
            if delay:
                asyncio.get_running_loop().call_later(delay, self._write, response)
            else:
                self._write(response)

    def _write(self, response: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)


class _App:
    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.latency = 0.0
        self.requests = 0
        self.not_modified = 0
        # False: the farm answers as a site that ignores conditional GET: no validators,
        # every GET a 200 with the whole (unchanged) body.
        self.validators = True

    def answer(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        url = urlsplit(target)
        if url.path.startswith("/_farm/"):
            return self.control(url.path[len("/_farm/") :], parse_qs(url.query))
        self.requests += 1
        if not url.path.startswith("/feed/"):
            return _head("404 Not Found", {"Content-Length": "0"})
        try:
            i = int(url.path[len("/feed/") : -len(".xml")])
            doc = self.farm.document(i)
        except (ValueError, IndexError):
            return _head("404 Not Found", {"Content-Length": "0"})
        validators = {"ETag": doc.etag, "Last-Modified": format_datetime(doc.modified, usegmt=True)}
        if not self.validators:
            validators = {}
        elif _fresh(headers, doc):
            self.not_modified += 1
            return _head("304 Not Modified", validators)
        gz = "gzip" in headers.get("accept-encoding", "")
        body = doc.gzipped if gz else doc.body
        common = {"Content-Type": "application/rss+xml; charset=utf-8", **validators}
        if gz:
            common["Content-Encoding"] = "gzip"
        common["Content-Length"] = str(len(body))
        return _head("200 OK", common) + (body if method != "HEAD" else b"")

    def control(self, command: str, query: dict[str, list[str]]) -> bytes:
        arg = {k: v[0] for k, v in query.items()}
        result: Any = None
        if command == "reset":
            self.farm.reset()
            self.latency = 0.0
            self.validators = True
        elif command == "validators":
            self.validators = arg.get("on", "1") == "1"
        elif command == "latency":
            self.latency = float(arg.get("seconds", 0))
        elif command == "advance":
            result = self.farm.advance(float(arg["fraction"]), int(arg["count"]), int(arg.get("salt", 0)))
        elif command == "inject":
            self.farm.inject(int(arg["feed"]), json.loads(arg["entry"]))
        elif command == "stats":
            result = {"requests": self.requests, "not_modified": self.not_modified}
        elif command == "warm":
            for i in range(self.farm.feeds):
                self.farm.document(i)
        else:
            return _head("404 Not Found", {"Content-Length": "0"})
        body = json.dumps({"ok": True, "result": result}).encode()
        return _head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body


def _fresh(headers: dict[str, str], doc: _Doc) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it."""
    if "if-none-match" in headers:
        return doc.etag in [t.strip() for t in headers["if-none-match"].split(",")]
    since = headers.get("if-modified-since")
    if since:
        try:
            return doc.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


async def _serve(farm: Farm, port: int, ready: Any, lifetime: float) -> None:
    app = _App(farm)
    loop = asyncio.get_running_loop()
    hosts = [farm.host(i) for i in range(min(farm.hosts, farm.feeds))]
    servers = [
        await loop.create_server(lambda: _Protocol(app), host, port, reuse_address=True, backlog=1024)
        for host in hosts
    ]
    parent = os.getppid()
    ready.send(port)
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline and os.getppid() == parent:  # bounded; dies with its parent
        await asyncio.sleep(0.5)
    for server in servers:
        server.close()


def _main(farm: Farm, port: int, ready: Any, lifetime: float) -> None:
    asyncio.run(_serve(farm, port, ready, lifetime))


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FarmServer:
    """Runs a `Farm` in its own process on every farm host, one port; stops after `lifetime` s."""

    def __init__(self, farm: Farm, *, lifetime: float = 1800.0) -> None:
        self.farm = farm
        self.lifetime = lifetime
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None

    def __enter__(self) -> FarmServer:
        ctx = multiprocessing.get_context("fork")
        for _ in range(5):  # the free port may be taken on another address meanwhile
            port = _free_port()
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_main, args=(self.farm, port, send, self.lifetime), daemon=True)
            process.start()
            if receive.poll(10):
                self.port, self._process = receive.recv(), process
                self.control("warm")
                return self
            process.terminate()
        raise RuntimeError("the feed farm did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def urls(self) -> list[str]:
        f = self.farm
        return [f"http://{f.host(i)}:{self.port}{f.path(i)}" for i in range(f.feeds)]

    def control(self, command: str, **args: Any) -> Any:
        return control(self.base, command, **args)


def control(base: str, command: str, **args: Any) -> Any:
    """Send a control command to a running farm (usable from any process)."""
    from urllib.parse import urlencode  # noqa: PLC0415

    url = f"{base}/_farm/{command}" + (f"?{urlencode(args)}" if args else "")
    with urllib.request.urlopen(url, timeout=60) as response:  # loopback only
        return json.loads(response.read())["result"]


if __name__ == "__main__":  # a quick look: python -m benchmarks.farm
    with FarmServer(Farm(feeds=20, items=5, hosts=4)) as server:
        print(server.urls[:3])
        with urllib.request.urlopen(server.urls[0]) as r:
            sys.stdout.write(r.read().decode()[:1500] + "\n")
