"""The HTTP client of the ALPR API (investigators, administrators) and the vehicle unit's outbox."""
