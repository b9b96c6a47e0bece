#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a large pcap for the traffic-import benchmark (issue 13), fast:
plain struct packing, no scapy.

usage: traffic-bigpcap.py PACKETS FLOWS OUT.pcap [CLIENTS [AT_ONCE]]

FLOWS TCP flows from CLIENTS clients in 10.64.0.0/10 (default: one per
flow; flow i is client i mod CLIENTS's) to 200 servers on port 502
(flow i to server i mod 200; Modbus framing), each a SYN, a SYN-ACK and
then requests and responses in turn, interleaved round robin until
PACKETS frames are written. With AT_ONCE, the flows run AT_ONCE at a
time instead, each group to its end before the next one starts (PACKETS
a multiple of FLOWS, FLOWS of AT_ONCE).
Addresses are data in a file; nothing is sent.
"""
import struct
import sys


def main():
    if len(sys.argv) not in (4, 5, 6):
        sys.exit(__doc__)
    packets, flows, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    clients = int(sys.argv[4]) if len(sys.argv) >= 5 else flows
    at_once = int(sys.argv[5]) if len(sys.argv) == 6 else 0
    if at_once and (packets % flows or flows % at_once):
        sys.exit("traffic-bigpcap.py: AT_ONCE needs PACKETS a multiple of "
                 "FLOWS and FLOWS of AT_ONCE")
    if flows > 60000 and clients < flows:
        sys.exit("traffic-bigpcap.py: more than 60000 flows need a client "
                 "each (the client ports would repeat)")
    req = bytes.fromhex("000100000006010300000002")
    rsp = bytes.fromhex("00010000000701030400070008")
    t0 = 1700000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for n in range(packets):
            if at_once:
                group, n_in = divmod(n, at_once * (packets // flows))
                step, j = divmod(n_in, at_once)
                i = group * at_once + j
            else:
                i = n % flows
                step = n // flows
            c = 0x0a400000 + i % clients
            s = 0x0a000100 + (i % 200)
            sport = 1024 + (i % 60000)
            to_server = step % 2 == 0
            flags = 0x02 if step == 0 else 0x12 if step == 1 else 0x18
            data = b"" if step < 2 else (req if to_server else rsp)
            src, dst = (c, s) if to_server else (s, c)
            sp, dp = (sport, 502) if to_server else (502, sport)
            smac = b"\x00\x14\x22" + struct.pack(">I", src)[1:]
            dmac = b"\x00\x80\xf4" + struct.pack(">I", dst)[1:]
            ip = struct.pack(">BBHHHBBHII", 0x45, 0, 40 + len(data), 0, 0,
                             64, 6, 0, src, dst)
            tcp = struct.pack(">HHIIBBHHH", sp, dp, step, step, 0x50, flags,
                              8192, 0, 0)
            frame = dmac + smac + b"\x08\x00" + ip + tcp + data
            ts = t0 + n // 100000
            us = (n % 100000) * 10
            f.write(struct.pack("<IIII", ts, us, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
