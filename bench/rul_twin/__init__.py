"""Health and remaining useful life on the twin, scored against its true failure times."""
