"""The scanner-independent core: findings, severity, policy and baseline (no pytest here)."""
