"""``{% signed_media_url media %}``, ``{% answer_file_url file public %}``: where a file opens."""

from django import template
from django.urls import reverse

from zveno.content import links

register = template.Library()


@register.simple_tag
def signed_media_url(media) -> str:
    return links.media_url(media)


@register.simple_tag
def answer_file_url(answer_file, public: bool = False, slug: str = "") -> str:
    """Where an answer's file opens: signed on the expert's login-free page, else for members."""
    if public:
        return links.answer_file_url(answer_file)
    slug = slug or answer_file.answer.request.project.slug
    return reverse("content:answer_file", args=[slug, answer_file.pk])
