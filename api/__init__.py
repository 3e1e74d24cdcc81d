"""chainmatch's HTTP API: a thin FastAPI layer over the chainmatch library."""
