"""``{% signed_media_url media %}``: a file's signed, expiring address for a login-free page."""

from django import template

from zveno.content import links

register = template.Library()


@register.simple_tag
def signed_media_url(media) -> str:
    return links.media_url(media)
