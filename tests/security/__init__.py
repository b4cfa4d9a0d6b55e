"""Security tests from the penetration test of issue 11: each finding stays fixed."""
