"""Node mode: every fill of the venue, read from a non-validating node's hourly fill files."""
