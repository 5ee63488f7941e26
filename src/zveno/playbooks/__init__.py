"""Niche playbooks: built-in data files, their schema and the loader."""
