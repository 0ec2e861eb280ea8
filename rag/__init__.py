"""Question answering over press releases with verified citations."""

__version__ = "0.1.0"
