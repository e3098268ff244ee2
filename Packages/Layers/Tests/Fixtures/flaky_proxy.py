#!/usr/bin/python3
"""A TCP proxy in front of the test registry that drops connections, for the resume test.

    flaky_proxy.py TARGET_PORT CUT_AFTER_BYTES CUTS

Listens on 127.0.0.1 on a free port (printed first) and forwards every connection to
127.0.0.1:TARGET_PORT. The first CUTS responses to a blob GET are cut off after
CUT_AFTER_BYTES bytes (the connection is closed in the middle of the body), as a flaky network
would; everything else passes untouched.
"""
import socket, sys, threading

target_port, cut_after, cuts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
remaining = [cuts]

def pipe(source, sink, limit=None):
    sent = 0
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) > limit:
                sink.sendall(data[:limit - sent])
                break
            sink.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def handle(client):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    first = client.recv(65536)
    request_line = first.split(b"\r\n", 1)[0]
    limit = None
    if request_line.startswith(b"GET ") and b"/blobs/sha256:" in request_line:
        with lock:
            if remaining[0] > 0:
                remaining[0] -= 1
                limit = cut_after
    upstream.sendall(first)
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    pipe(upstream, client, limit)
    client.close()
    upstream.close()

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
print(server.getsockname()[1], flush=True)
while True:
    connection, _ = server.accept()
    threading.Thread(target=handle, args=(connection,), daemon=True).start()
