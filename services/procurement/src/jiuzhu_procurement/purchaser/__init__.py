"""The purchasers: who buys in each division (the civil-affairs bureau), by name, address and contact."""
