#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the pcap files of the traffic tests (issue 13) with scapy.

usage: traffic-pcap.py SCENARIO OUT.pcap [--base-ms MS]

  protocols  one flow per protocol with real framing (Modbus, S7Comm, DNP3,
             IEC 60870-5-104, EtherNet/IP, BACnet, TLS, DNS, HTTP), a VLAN
             tagged flow, IPv6, ICMP, an ARP reply, a one-way flow, a DNP3
             flow caught without its SYN, a truncated and a malformed frame
  router     one MAC (a router) in front of six IPs
  epp        one Modbus flow 10.0.9.10 -> 10.0.9.20:502, the interaction an
             EPP agent also reports in the end-to-end test
  replay     like protocols but without the broken frames (live capture)

Every address is data in a file; nothing is sent anywhere. Times start at
--base-ms (default 1700000000000) so that tests can check them.
"""
import struct
import sys

from scapy.all import (ARP, DNS, DNSQR, DNSRR, Dot1Q, Ether, ICMP, IP, IPv6,
                       Raw, TCP, UDP, wrpcap)

# Vendors: IEEE MA-L prefixes as Debian's ieee-data lists them.
SIEMENS = "00:1b:1b"
SCHNEIDER = "00:80:f4"
ROCKWELL = "00:00:bc"
CISCO = "00:00:0c"
DELL = "00:14:22"

BASE = 1700000000000


def mac(prefix, n):
    return "%s:00:00:%02x" % (prefix, n)


class Capture:
    def __init__(self, base_ms):
        self.t = base_ms / 1000.0
        self.pkts = []

    def add(self, p):
        self.t += 0.001
        p.time = self.t
        self.pkts.append(p)


def tcp_flow(cap, cmac, cip, smac, sip, sport, dport, requests,
             syn=True, vlan=None, v6=False):
    """A TCP conversation; requests is a list of (client, server) payloads."""
    def frame(src_mac, dst_mac, src, dst, sp, dp, flags, seq, ack,
              data=b""):
        e = Ether(src=src_mac, dst=dst_mac)
        if vlan is not None:
            e = e / Dot1Q(vlan=vlan)
        ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
        p = e / ip / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack)
        return p / Raw(data) if data else p

    cs, ss = 1000, 5000
    if syn:
        cap.add(frame(cmac, smac, cip, sip, sport, dport, "S", cs, 0))
        cap.add(frame(smac, cmac, sip, cip, dport, sport, "SA", ss, cs + 1))
        cap.add(frame(cmac, smac, cip, sip, sport, dport, "A", cs + 1,
                      ss + 1))
    cs += 1
    ss += 1
    for req, rsp in requests:
        cap.add(frame(cmac, smac, cip, sip, sport, dport, "PA", cs, ss, req))
        cs += len(req)
        if rsp:
            cap.add(frame(smac, cmac, sip, cip, dport, sport, "PA", ss, cs,
                          rsp))
            ss += len(rsp)
    cap.add(frame(cmac, smac, cip, sip, sport, dport, "FA", cs, ss))
    cap.add(frame(smac, cmac, sip, cip, dport, sport, "FA", ss, cs + 1))


def udp_flow(cap, cmac, cip, smac, sip, sport, dport, requests):
    for req, rsp in requests:
        cap.add(Ether(src=cmac, dst=smac) / IP(src=cip, dst=sip) /
                UDP(sport=sport, dport=dport) / Raw(req))
        if rsp:
            cap.add(Ether(src=smac, dst=cmac) / IP(src=sip, dst=cip) /
                    UDP(sport=dport, dport=sport) / Raw(rsp))


def modbus():
    req = bytes.fromhex("000100000006010300000002")
    rsp = bytes.fromhex("00010000000701030400070008")
    return [(req, rsp), (req, rsp)]


def s7comm():
    cotp_cr = bytes.fromhex("0300001611e00000000100c0010ac1020100c2020102")
    cotp_cc = bytes.fromhex("0300001611d00001000100c0010ac1020100c2020102")
    setup = bytes.fromhex("0300001902f08032010000000000080000f0000001000101e0")
    setup_ack = bytes.fromhex(
        "0300001b02f080320300000000000800000000f0000001000100f0")
    return [(cotp_cr, cotp_cc), (setup, setup_ack)]


def dnp3():
    req = bytes.fromhex("056408c40100020012c9c0c101")
    rsp = bytes.fromhex("05640ac40200010047bdc0c1810000e5ec")
    return [(req, rsp), (req, rsp)]


def iec104():
    return [(bytes.fromhex("680407000000"), bytes.fromhex("68040b000000")),
            (bytes.fromhex("680443000000"), bytes.fromhex("680483000000"))]


def enip():
    reg = struct.pack("<HHII8sI", 0x65, 4, 0, 0, b"\0" * 8, 0) + \
        struct.pack("<HH", 1, 0)
    rsp = struct.pack("<HHII8sI", 0x65, 4, 0x1234, 0, b"\0" * 8, 0) + \
        struct.pack("<HH", 1, 0)
    return [(reg, rsp)]


def bacnet():
    req = bytes.fromhex("810a001101040005010c0c023fffff194b")
    rsp = bytes.fromhex("810a00180100300c0c0c023fffff194b3ec4023fffff3f")
    return [(req, rsp)]


def tls_client_hello(host):
    sni = host.encode()
    ext_sni = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0,
                          len(sni)) + sni
    ext_groups = bytes.fromhex("000a00040002001d")
    ext_algs = bytes.fromhex("000d000400020403")
    exts = ext_sni + ext_groups + ext_algs
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + \
        struct.pack(">H", 4) + bytes.fromhex("c02fc030") + b"\x01\x00" + \
        struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tls_server_hello():
    body = b"\x03\x03" + b"\x22" * 32 + b"\x00" + bytes.fromhex("c02f") + \
        b"\x00" + struct.pack(">H", 0)
    hs = b"\x02" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def http():
    return [(b"GET /status HTTP/1.1\r\nHost: hmi.plant\r\n"
             b"User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n",
             b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 2\r\n\r\nok")]


def flows(cap, broken):
    # client .1xx, server .2xx; the last byte of each MAC follows the IP
    c, s = "10.0.1.", "10.0.2."
    tcp_flow(cap, mac(DELL, 101), c + "101", mac(SCHNEIDER, 201), s + "201",
             50101, 502, modbus())
    tcp_flow(cap, mac(DELL, 102), c + "102", mac(SIEMENS, 202), s + "202",
             50102, 102, s7comm())
    tcp_flow(cap, mac(DELL, 103), c + "103", mac(SCHNEIDER, 203), s + "203",
             50103, 20000, dnp3())
    tcp_flow(cap, mac(DELL, 104), c + "104", mac(SIEMENS, 204), s + "204",
             50104, 2404, iec104())
    tcp_flow(cap, mac(DELL, 105), c + "105", mac(ROCKWELL, 205), s + "205",
             50105, 44818, enip())
    udp_flow(cap, mac(DELL, 106), c + "106", mac(SIEMENS, 206), s + "206",
             47808, 47808, bacnet())
    tcp_flow(cap, mac(DELL, 107), c + "107", mac(DELL, 207), s + "207",
             50107, 443, [(tls_client_hello("historian.plant"),
                           tls_server_hello())])
    q = DNS(id=7, rd=1, qd=DNSQR(qname="historian.plant"))
    a = DNS(id=7, qr=1, aa=1, rd=1, qd=DNSQR(qname="historian.plant"),
            an=DNSRR(rrname="historian.plant", rdata="10.0.2.207"))
    udp_flow(cap, mac(DELL, 108), c + "108", mac(DELL, 208), s + "208",
             53001, 53, [(bytes(q), bytes(a))])
    tcp_flow(cap, mac(DELL, 109), c + "109", mac(DELL, 209), s + "209",
             50109, 80, http())
    # VLAN 42: Modbus again between other hosts
    tcp_flow(cap, mac(DELL, 110), c + "110", mac(SCHNEIDER, 210), s + "210",
             50110, 502, modbus(), vlan=42)
    # IPv6: HTTP
    tcp_flow(cap, mac(DELL, 111), "fd00::1:111", mac(DELL, 211),
             "fd00::2:211", 50111, 80, http(), v6=True)
    # ICMP echo and reply
    for i in range(2):
        cap.add(Ether(src=mac(DELL, 112), dst=mac(DELL, 212)) /
                IP(src=c + "112", dst=s + "212") / ICMP(type=8, seq=i))
        cap.add(Ether(src=mac(DELL, 212), dst=mac(DELL, 112)) /
                IP(src=s + "212", dst=c + "112") / ICMP(type=0, seq=i))
    # DNP3 caught mid-stream from a client on a low port: no SYN, so the
    # side on DNP3's default port is the responder
    tcp_flow(cap, mac(DELL, 113), c + "113", mac(SCHNEIDER, 213), s + "213",
             1024, 20000, dnp3(), syn=False)
    # one way only: no device, no edge
    udp_flow(cap, mac(DELL, 114), c + "114", mac(DELL, 214), s + "214",
             40000, 514, [(b"<13>syslog line", None)] * 3)
    # ARP reply: 10.0.3.50 is at a Siemens MAC
    cap.add(Ether(src=mac(SIEMENS, 50), dst=mac(DELL, 101)) /
            ARP(op=2, hwsrc=mac(SIEMENS, 50), psrc="10.0.3.50",
                hwdst=mac(DELL, 101), pdst=c + "101"))
    if broken:
        # truncated: an IPv4 header cut after 10 bytes
        p = Ether(src=mac(DELL, 115), dst=mac(DELL, 215)) / \
            IP(src=c + "115", dst=s + "215") / TCP(sport=1, dport=2)
        cap.add(Ether(bytes(p)[:24]))
        # malformed: an IPv4 header length of 2 words
        raw = bytearray(bytes(Ether(src=mac(DELL, 116), dst=mac(DELL, 216)) /
                              IP(src=c + "116", dst=s + "216") /
                              UDP(sport=3, dport=4)))
        raw[14] = 0x42
        cap.add(Ether(bytes(raw)))


def router(cap):
    rmac = mac(CISCO, 1)
    for i in range(6):
        ip = "172.16.%d.10" % i
        tcp_flow(cap, rmac, ip, mac(SIEMENS, 60), "10.0.6.60", 40000 + i,
                 102, s7comm())


def epp(cap):
    tcp_flow(cap, mac(DELL, 10), "10.0.9.10", mac(SCHNEIDER, 20), "10.0.9.20",
             50010, 502, modbus())


def main():
    args = sys.argv[1:]
    base = BASE
    if "--base-ms" in args:
        i = args.index("--base-ms")
        base = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    scenario, out = args
    cap = Capture(base)
    if scenario == "protocols":
        flows(cap, True)
    elif scenario == "replay":
        flows(cap, False)
    elif scenario == "router":
        router(cap)
    elif scenario == "epp":
        epp(cap)
    else:
        sys.exit("unknown scenario '%s'" % scenario)
    wrpcap(out, cap.pkts)


if __name__ == "__main__":
    main()
