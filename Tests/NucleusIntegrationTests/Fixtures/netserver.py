"""The test "internet": run inside a network namespace the test created.

TCP on 80 and 8443 answers "hello from ADDRESS" (the address it was reached
at) and closes, also on each IPv6 address given; UDP on 5000 echoes "udp ADDRESS"; DNS on 53 answers A
queries from RECORDS (lines "name ttl address", re-read on every query),
NXDOMAIN otherwise (every name asked is appended to RECORDS.queries), over UDP (truncated past 512 bytes, as without EDNS)
and over TCP. Prints "ready" once every socket listens.
"""
import socket
import socketserver
import struct
import sys
import threading

RECORDS = sys.argv[1]  # then the resolver's address, then the UDP echo addresses


class Hello(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"hello from %s\n" % self.request.getsockname()[0].encode())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6


def records():
    table = {}
    with open(RECORDS) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                table.setdefault(parts[0].lower(), []).append((int(parts[1]), parts[2]))
    return table


def dns_answer(query):
    ident, flags = struct.unpack("!HH", query[:4])
    offset, labels = 12, []
    while query[offset]:
        length = query[offset]
        labels.append(query[offset + 1 : offset + 1 + length].decode())
        offset += 1 + length
    question_end = offset + 5
    qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
    name = ".".join(labels).lower()
    with open(RECORDS + ".queries", "a") as log:
        log.write(name + "\n")
    found = records().get(name, [])
    answers = b""
    count = 0
    if qtype == 1:
        for ttl, address in found:
            answers += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(address)
            count += 1
    rcode = 0 if found else 3
    header = struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, count, 0, 0)
    return header + query[12:question_end] + answers


# UDP sockets are bound per address: a reply from a 0.0.0.0 socket would
# leave from the link address, and conntrack would not match it.
def serve_dns():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((sys.argv[2], 53))
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            answer = dns_answer(query)
            if len(answer) > 512:
                question = answer[12:]
                answer = answer[:2] + struct.pack("!H", struct.unpack("!H", answer[2:4])[0] | 0x0200)
                answer += struct.pack("!HHHH", 1, 0, 0, 0) + question[: question.index(b"\0") + 5]
            sock.sendto(answer, peer)
        except Exception:
            pass


class DNSOverTCP(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            prefix = self.request.recv(2, socket.MSG_WAITALL)
            if len(prefix) < 2:
                return
            query = self.request.recv(struct.unpack("!H", prefix)[0], socket.MSG_WAITALL)
            answer = dns_answer(query)
            self.request.sendall(struct.pack("!H", len(answer)) + answer)


def serve_udp(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 5000))
    while True:
        data, peer = sock.recvfrom(4096)
        sock.sendto(b"udp reply", peer)


for port in (80, 8443):
    server = Server(("0.0.0.0", port), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
threading.Thread(target=serve_dns, daemon=True).start()
dns_tcp = Server((sys.argv[2], 53), DNSOverTCP)
threading.Thread(target=dns_tcp.serve_forever, daemon=True).start()
for address in sys.argv[3:]:
    if ":" in address:
        server = Server6((address, 80), Hello)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        threading.Thread(target=serve_udp, args=(address,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
