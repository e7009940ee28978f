"""Use cases: one transaction each, role-checked, validated, audited."""
