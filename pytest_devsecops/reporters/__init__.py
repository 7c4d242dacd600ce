"""Reporters: render a finished security run as text (JSON, SARIF); the caller writes it."""
