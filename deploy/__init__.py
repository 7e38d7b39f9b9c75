"""Deployment files for docker compose, and the start-up step that adapts prometheus.yml to it."""
