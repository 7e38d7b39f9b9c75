"""The streaming side of the exporter: WebSocket feeds publishing into the pollers' snapshot store."""
