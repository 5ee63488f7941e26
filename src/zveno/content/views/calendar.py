"""calendar pages of the content plan."""

from django.urls import path  # noqa: F401

urls: list = []
