#!/usr/bin/env python3
"""A fixed number of POSTs from concurrent keep-alive clients (Python's http.client), for the load test's memory
phase, where wrk (which always runs for its whole duration) does not fit:
    client.py URL REQUESTS CLIENTS IMAGE...
Prints one line: RESULT requests=… seconds=… rps=… p50_ms=… p99_ms=… errors=… statuses=200=…"""
import http.client
import sys
import threading
import time
import urllib.parse

url, total, clients, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
images = [open(p, "rb").read() for p in paths]
target = urllib.parse.urlsplit(url)
lock = threading.Lock()
issued = 0
latencies, statuses, errors = [], {}, 0


def worker(index):
    global issued, errors
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    n = index
    while True:
        with lock:
            if issued >= total:
                break
            issued += 1
        body = images[n % len(images)]
        n += 1
        start = time.perf_counter()
        try:
            connection.request("POST", target.path, body=body, headers={"Content-Type": "image/jpeg"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            with lock:
                errors += 1
            continue
        with lock:
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1
    connection.close()


start = time.perf_counter()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
seconds = time.perf_counter() - start
latencies.sort()


def percentile(p):
    return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else 0.0


print("RESULT requests=%d seconds=%.2f rps=%.2f p50_ms=%.1f p99_ms=%.1f errors=%d statuses=%s" % (
    len(latencies), seconds, len(latencies) / seconds, percentile(50), percentile(99), errors,
    ",".join("%d=%d" % kv for kv in sorted(statuses.items()))))
