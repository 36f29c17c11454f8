"""API keys for system integrations (provincial systems, portals): hashed, scoped, revocable."""
