"""Probes and metrics answered before anything else, so a load balancer or Prometheus reaching
the process by its address (any Host header, plain http) gets an answer, not a 400 or a redirect.
They use the Host for nothing and set no cookie."""

from blipportal.ops import health, metrics

ROUTES = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics_view}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = ROUTES.get(request.path_info.rstrip("/") or "/")
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
