"""Hostile: fork until refused; the children sleep, holding their slots. Report the count."""
import os
import time

count = 0
while count < 100_000:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    count += 1
raise RuntimeError(f"fork refused after {count} processes")
