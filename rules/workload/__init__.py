"""workload rules."""
