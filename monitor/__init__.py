"""monitor: watch news feeds for the one item that settles a story."""

__version__ = "0.1.0"
