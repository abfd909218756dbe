"""Synthetic portfolios driven through the real engine: borrowers, behaviours, shocks, outages."""
