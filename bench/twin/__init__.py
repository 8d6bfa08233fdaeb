"""Twin benchmark: simulated time per wall-clock second, default and ten-times plant."""
