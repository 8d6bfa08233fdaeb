"""Long-running services of one shopfloor process: the twin runner, the recorder."""
