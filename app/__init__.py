"""A JSON API over an archive of markdown articles."""

__version__ = "0.1.0"
