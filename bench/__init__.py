"""Benchmarks: programs that print their figures and the command that produced them."""
