"""Sparkplug B ingest benchmark: broker to historian, against the broker's ceiling."""
