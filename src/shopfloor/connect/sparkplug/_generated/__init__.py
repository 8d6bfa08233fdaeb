"""Code generated from the published Sparkplug B schema (see README.md); do not edit."""
