"""Outbound webhooks: events built from the lower apps' signals, signed, delivered at least once."""
