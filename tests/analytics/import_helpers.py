"""Shared bits of the import tests: the Facebook file and an independent reading of it."""

from __future__ import annotations

import csv
from pathlib import Path

FACEBOOK = Path(__file__).resolve().parents[1] / "data" / "facebook_metrics_moro2016.csv"


def facebook_rows() -> list[dict]:
    with FACEBOOK.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def facebook_totals() -> dict:
    """Sums straight from the CSV, with the csv module: empty cells are absent, not zero."""
    columns = {
        "reach": "Lifetime Post Total Reach",
        "impressions": "Lifetime Post Total Impressions",
        "likes": "like",
        "comments": "comment",
        "shares": "share",
    }
    rows = facebook_rows()
    totals = {k: sum(int(r[c]) for r in rows if r[c] != "") for k, c in columns.items()}
    interactions = 0
    for r in rows:
        present = [int(r[c]) for c in ("like", "comment", "share") if r[c] != ""]
        interactions += sum(present)
    totals["interactions"] = interactions
    totals["posts"] = len(rows)
    return totals


def api_upload(client, token, path, **fields):
    with Path(path).open("rb") as handle:
        return client.post(
            "/api/v1/projects/alpha/imports",
            {"file": handle, **fields},
            headers={"Authorization": f"Bearer {token}"},
        )
