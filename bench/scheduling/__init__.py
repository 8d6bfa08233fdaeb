"""Scheduling benchmark: our CP-SAT solver, a straightforward CP-SAT model and the best
dispatching rule on OR-Library job shop and Brandimarte flexible job shop instances."""
