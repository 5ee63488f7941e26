"""matrix pages of a project."""

from django.urls import path  # noqa: F401

urls: list = []
