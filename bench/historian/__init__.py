"""Historian benchmark: append throughput and trend-query latency against plain DuckDB."""
