"""Start-up steps of a deployment, installed with the package: render Alertmanager's configuration from
the environment, adapt the shipped prometheus.yml to Docker Compose. The configuration they read stays in
the repository's alertmanager/ and prometheus.yml."""
