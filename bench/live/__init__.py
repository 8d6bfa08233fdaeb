"""Live-stream benchmark: from a sample entering the bus to a browser and to 1,000 clients."""
