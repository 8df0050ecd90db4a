"""A stand-in detail page for browser tests: the portal layout with the live progress partial.

The real campaign detail page belongs to the wizard track; this one only hosts the partial.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import RequestContext, Template
from django.urls import include, path

from bots.portal import portal_context
from campaigns.models import Campaign

PAGE = Template(
    '{% extends "portal/base.html" %}{% block content %}<div id="content-main">'
    '{% include "campaigns/_live_progress.html" with campaign=campaign %}'
    "</div>{% endblock %}"
)


def detail(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    context = {
        **portal_context(request, campaign.bot),
        "campaign": campaign,
        "title": campaign.name,
    }
    return HttpResponse(PAGE.render(RequestContext(request, context)))


urlpatterns = [
    path("test-campaign/<int:pk>/", detail),
    path("", include("blipportal.urls")),
]
