#!/usr/bin/env python3
# A fake QMP server for the host checks of 'microvm-ras ctl' (run.sh): one
# connection on a UNIX socket, driven as MODE says, every line received
# appended to LOG.
#   normal   greet, answer qmp_capabilities, then an event and the reply
#            {"return":{"ok":1}} to the next request
#   nogreet  send a line that is not a greeting
#   events   greet, answer qmp_capabilities, send two events, close
#   usage: qmp_fake.py SOCKET MODE LOG
import os
import socket
import sys

GREETING = (b'{"QMP":{"version":{"qemu":{"micro":0,"minor":0,"major":0},'
            b'"package":"fake"},"capabilities":[]}}\n')
EVENT = b'{"event":"RESET","data":{"guest":true,"reason":"guest-reset"},' \
        b'"timestamp":{"seconds":1,"microseconds":2}}\n'


def main():
    path, mode, log = sys.argv[1], sys.argv[2], sys.argv[3]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    os.rename(path + ".tmp", path)   # the path appears once it listens
    srv.listen(1)
    srv.settimeout(30)
    conn, _ = srv.accept()
    conn.settimeout(30)
    rf = conn.makefile("rb")
    with open(log, "ab") as lf:
        def line():
            ln = rf.readline()
            lf.write(ln)
            lf.flush()
            return ln
        if mode == "nogreet":
            conn.sendall(b'{"hello":1}\n')
            line()
            return
        conn.sendall(GREETING)
        if b'"qmp_capabilities"' not in line():
            conn.sendall(b'{"error":{"class":"CommandNotFound","desc":"negotiate"}}\n')
            return
        conn.sendall(b'{"return":{}}\n')
        if mode == "events":
            conn.sendall(EVENT + EVENT.replace(b"RESET", b"POWERDOWN"))
            return
        line()
        conn.sendall(EVENT + b'{"return":{"ok":1}}\n')
        line()   # until the client closes


if __name__ == "__main__":
    main()
