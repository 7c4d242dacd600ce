"""Secret detection: trivy's provider rules, our generic detector and detect-secrets, merged."""
