"""How a post will look on Telegram, VK and MAX: the text each network gets and its limits.

The item page and the expert's approval link show one preview per network the item goes to
(all three when it goes to none of them), with the publication's own text when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from zveno.content.checks import text_limit
from zveno.content.models import ContentItem
from zveno.publishing.models import Network

PREVIEWED = (Network.TELEGRAM, Network.VK, Network.MAX)
VK_FOLD = 280  # VK folds a longer post under "Show more"


@dataclass(frozen=True)
class Preview:
    network: str
    label: str
    name: str  # the channel's name as readers see it
    text: str
    limit: int
    folded: bool  # the network shows the start and a "show more"

    @property
    def over(self) -> int:
        """Characters past the network's limit (0 when it fits)."""
        return max(len(self.text) - self.limit, 0)

    @property
    def shown(self) -> str:
        return self.text[:VK_FOLD].rstrip() + "…" if self.folded else self.text


def previews(item: ContentItem, *, has_image: bool) -> list[Preview]:
    publications = [p for p in item.publications.all() if p.channel.network in PREVIEWED]
    found = []
    for publication in publications:
        channel = publication.channel
        found.append(_preview(channel.network, channel.label, channel.own_name or item.project.name,
                              publication.text or item.text, has_image))  # fmt: skip
    if not found:
        for network in PREVIEWED:
            label = str(Network(network).label)
            found.append(_preview(network, label, item.project.name, item.text, has_image))
    return found


def _preview(network: str, label: str, name: str, text: str, has_image: bool) -> Preview:
    text = text or ""
    limit = text_limit(network, has_media=has_image)
    folded = network == Network.VK and len(text) > VK_FOLD
    return Preview(network, label, name, text, limit, folded)
