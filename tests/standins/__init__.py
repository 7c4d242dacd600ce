"""Stand-ins for services that cannot run here, each implementing the documented contract."""
