#!/usr/bin/env python3
"""Layer-2 attacks from a port held as descriptor 3 (vdectl network attach -- python3 l2attack.py ...).

  steal VICTIM_MAC SECONDS   send a frame with the victim's source MAC every 50 ms for SECONDS and
                             count the frames for the victim that come to us
  flood N DST_MAC SECONDS    send N frames from random source MACs, then count for SECONDS the unicast
                             frames for DST_MAC (another station) that come to us
  storm N SRC_MAC            send N broadcast frames from SRC_MAC as fast as the port takes them

Prints one line "sent=N stolen=M". The frames are Ethernet datagrams, one per write.
"""
import os
import random
import select
import sys
import time

FD = 3


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def frame(dst, src):
    # EtherType 0x88b5 (local experimental), padded to the 60-byte minimum
    return dst + src + b"\x88\xb5" + b"vded l2 attack test".ljust(46, b"\0")


def count_for(dst, seconds, pump=None):
    got = 0
    end = time.monotonic() + seconds
    next_pump = 0.0
    while True:
        now = time.monotonic()
        if now >= end:
            return got
        if pump and now >= next_pump:
            pump()
            next_pump = now + 0.05
        r, _, _ = select.select([FD], [], [], min(0.05, end - now))
        if r:
            data = os.read(FD, 65536)
            if len(data) >= 14 and data[0:6] == dst:
                got += 1


def main():
    bcast = b"\xff" * 6
    sent = 0
    if sys.argv[1] == "steal":
        victim = mac(sys.argv[2])
        seconds = float(sys.argv[3])
        forged = frame(bcast, victim)

        def pump():
            nonlocal sent
            os.write(FD, forged)
            sent += 1

        stolen = count_for(victim, seconds, pump)
    elif sys.argv[1] == "storm":
        n, src = int(sys.argv[2]), mac(sys.argv[3])
        b = frame(bcast, src)
        while sent < n:
            try:
                os.write(FD, b)
                sent += 1
            except BlockingIOError:
                time.sleep(0.0005)
        stolen = 0
    else:
        n, dst, seconds = int(sys.argv[2]), mac(sys.argv[3]), float(sys.argv[4])
        rnd = random.Random(13)
        for _ in range(n):
            src = bytes([0x02]) + bytes(rnd.getrandbits(8) for _ in range(5))
            try:
                os.write(FD, frame(bcast, src))
                sent += 1
            except BlockingIOError:
                time.sleep(0.001)
        stolen = count_for(dst, seconds)
    print("sent=%d stolen=%d" % (sent, stolen), flush=True)


if __name__ == "__main__":
    main()
