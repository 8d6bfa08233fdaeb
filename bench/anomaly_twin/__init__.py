"""The live anomaly service on the twin, scored against the twin's ground truth."""
