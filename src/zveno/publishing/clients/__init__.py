"""Thin httpx clients for the documented HTTP APIs, no SDKs, so fakes and limits are ours."""
