"""Reading and writing the file formats users bring and take away (CSV of samples)."""
