"""Hostile: open connections to the host's loopback (where the test suite listens) and the internet."""
import socket

results = []
for host, port in (("127.0.0.1", 47391), ("1.1.1.1", 53), ("pypi.org", 443)):
    try:
        socket.create_connection((host, port), timeout=3).close()
        results.append(f"CONNECTED {host}:{port}")
    except OSError as err:
        results.append(f"blocked {host}:{port} ({err.__class__.__name__})")
raise RuntimeError("; ".join(results))
