"""Indicator scoring and eligibility against a zero-carbon factory indicator system."""
