#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Records an RTMP conversation through a TCP relay on 127.0.0.1.

    capture.py LISTEN_PORT SERVER_PORT NAME

accepts one client on LISTEN_PORT, connects to SERVER_PORT, forwards both
directions and writes what each side sent, without the 3073 handshake bytes
(C0 C1 C2 / S0 S1 S2), to NAME.c2s.bin and NAME.s2c.bin.
"""

import socket
import sys
import threading

HANDSHAKE_BYTES = 1 + 1536 + 1536


def pump(src, dst, path):
    data = bytearray()
    while True:
        try:
            block = src.recv(65536)
        except OSError:
            block = b''
        if not block:
            break
        data += block
        try:
            dst.sendall(block)
        except OSError:
            break
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    with open(path, 'wb') as f:
        f.write(data[HANDSHAKE_BYTES:])


def main():
    listen_port, server_port, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', listen_port))
    listener.listen(1)
    client, _ = listener.accept()
    server = socket.create_connection(('127.0.0.1', server_port))
    threads = [
        threading.Thread(target=pump, args=(client, server, name + '.c2s.bin')),
        threading.Thread(target=pump, args=(server, client, name + '.s2c.bin')),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == '__main__':
    main()
