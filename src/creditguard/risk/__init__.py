"""Risk intelligence: optimal binning, WOE scorecards, model metrics and monitoring.

Pure domain code (NumPy, Polars, scikit-learn); the CLI lives in :mod:`creditguard.model_cli`.
"""
