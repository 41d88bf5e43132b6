"""Network probes run inside a container; one output line per command.

connect HOST PORT   -> "ok <first line>" | "refused" | "unreachable" | "timeout" | "error <errno name>"
udp HOST PORT       -> "ok <reply>" | the same failures
resolve NAME        -> "addresses A,B" | "nxdomain"
tcpquery NAME       -> "rcode N answers M": one A query over TCP to resolv.conf's first nameserver
serve PORT COUNT    -> answers COUNT TCP connections with "hello from container"
serve-check PORT    -> "bound PORT" once a listener binds it (ports below 1024 are the workload's)
wait                -> reads one line from stdin (the test's go-ahead)
sleep SECONDS
"""
import errno
import struct
import socket
import sys
import time


def failure(error):
    if isinstance(error, socket.timeout):
        return "timeout"
    if error.errno == errno.ECONNREFUSED:
        return "refused"
    if error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM):
        return "unreachable"
    return "error " + errno.errorcode.get(error.errno, str(error.errno))


def connect(host, port):
    try:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            return "ok " + sock.makefile().readline().strip()
    except OSError as error:
        return failure(error)


def udp(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5)
    try:
        sock.connect((host, int(port)))
        sock.send(b"ping")
        return "ok " + sock.recv(100).decode()
    except OSError as error:
        return failure(error)


def resolve(name):
    try:
        found = socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)
        return "addresses " + ",".join(sorted({entry[4][0] for entry in found}))
    except socket.gaierror:
        return "nxdomain"


def tcpquery(name):
    with open("/etc/resolv.conf") as f:
        server = next(line.split()[1] for line in f if line.startswith("nameserver"))
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    query = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
    try:
        with socket.create_connection((server, 53), timeout=5) as sock:
            sock.sendall(struct.pack("!H", len(query)) + query)
            length = struct.unpack("!H", sock.recv(2, socket.MSG_WAITALL))[0]
            answer = sock.recv(length, socket.MSG_WAITALL)
    except OSError as error:
        return failure(error)
    flags, _, count = struct.unpack("!HHH", answer[2:8])
    return "rcode %d answers %d" % (flags & 0xF, count)


def serve(port, count):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", int(port)))
    server.listen(8)
    print("listening", flush=True)
    for _ in range(int(count)):
        conn, _ = server.accept()
        conn.sendall(b"hello from container\n")
        conn.close()
    return "served"


args = sys.argv[1:]
while args:
    command = args.pop(0)
    if command == "connect":
        print(connect(args.pop(0), args.pop(0)), flush=True)
    elif command == "udp":
        print(udp(args.pop(0), args.pop(0)), flush=True)
    elif command == "resolve":
        print(resolve(args.pop(0)), flush=True)
    elif command == "serve-check":
        port = int(args.pop(0))
        try:
            with socket.create_server(("0.0.0.0", port)):
                print("bound %d" % port, flush=True)
        except OSError as error:
            print(failure(error), flush=True)
    elif command == "tcpquery":
        print(tcpquery(args.pop(0)), flush=True)
    elif command == "serve":
        print(serve(args.pop(0), args.pop(0)), flush=True)
    elif command == "wait":
        sys.stdin.readline()
    elif command == "sleep":
        time.sleep(float(args.pop(0)))
    else:
        sys.exit("unknown command " + command)
