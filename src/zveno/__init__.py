"""Zveno: a self-hosted platform for social-media-marketing teams."""

__version__ = "0.1.0"
