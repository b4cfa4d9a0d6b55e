"""Rectification (整改): items issued to counties, tracked from 待整改 to 已销号."""
