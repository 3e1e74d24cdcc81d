"""chainmatch: industry-chain partner matching for Chinese development zones (产业链供需撮合)."""

__version__ = "0.1.0"
