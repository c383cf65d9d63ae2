#!/usr/bin/env python3
# Write the seed corpora of the fuzz harnesses (tests/fuzz/corpus/NAME/):
# small meaningful inputs in each harness's own input format (see the op
# switch of tests/fuzz/fuzz_NAME.c): a Linux/edk2 probe of each device, a
# valid DMA descriptor and WRITE_POINTER, a virtio-blk request on a Linux
# ring layout, GHES submit/ack/poll rounds. The control and boot seeds are
# written by hand (JSON lines; a real Image header prefix), not here.
#   tests/fuzz/make-seeds.py        (from the repository root)
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


def put(name, seed, data):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


# ---- fwcfg: ops 0 select, 1 data reads, 3 DMA, 5 poke ----------------------
def fw_select(key):
    return u8(0) + u16(key)


def fw_reads(size_sel, n):
    return u8(1) + u8(size_sel) + u8(n - 1)


def fw_gpa_ram(off):           # fz_gpa: selector 0 = RAM_BASE + u16
    return u8(0) + u16(off)


def fw_dma(desc_off, control, length, addr_off, wide=True):
    return (u8(3) + fw_gpa_ram(desc_off) + u32(control) + u8(0) + u8(length) +
            fw_gpa_ram(addr_off) + u8(1 if wide else 0))


def fw_poke(off, data):
    return u8(5) + u16(off) + u8(len(data)) + data


SEL, READ, SKIP, WRITE = 0x08, 0x02, 0x04, 0x10
put("fwcfg", "signature-and-dir",
    fw_select(0) + fw_reads(0, 4) + fw_select(0x19) + fw_reads(2, 1))
put("fwcfg", "dma-read-dir",
    fw_dma(0x100, 0x19 << 16 | SEL | READ, 200, 0x200) +
    fw_dma(0x100, 0x01 << 16 | SEL | READ, 4, 0x400, wide=False))
put("fwcfg", "dma-skip-read-cmdline",
    fw_dma(0x100, 0x15 << 16 | SEL | SKIP, 8, 0) + fw_dma(0x100, READ, 64, 0x200))
put("fwcfg", "write-pointer",
    fw_poke(0x300, u64(0x40001000)) + fw_dma(0x100, 0x22 << 16 | SEL | WRITE, 8, 0x300))
put("fwcfg", "write-read-only",
    fw_poke(0x300, b"ABCDEFGH") + fw_dma(0x100, 0x23 << 16 | SEL | WRITE, 8, 0x300))

# ---- cfi_flash: ops 0 write, 3 read, 6 buffered program, 7 reset ----------
def fl_off(block, off):         # pick_off selector 2: block base + u8
    return u8(2 | (0x10 if block else 0)) + u8(off)


def fl_cmd(cmd, block=0, off=0):     # value selector 0: cmd in both halves
    return u8(0) + u8(2) + fl_off(block, off) + u8(0) + u8(cmd)


def fl_read(size_sel, block=0, off=0):
    return u8(3) + u8(size_sel) + fl_off(block, off)


put("cfi_flash", "linux-probe",
    bytes(64) + fl_cmd(0xF0) + fl_cmd(0xFF) + fl_cmd(0x98, 0, 0x55 * 4 & 0xff) +
    b"".join(fl_read(2, 0, 4 * i) for i in range(0x10, 0x14)) + fl_cmd(0x90) +
    fl_read(2, 0, 0) + fl_read(2, 0, 4) + fl_cmd(0xFF) + fl_read(3, 0, 0))
put("cfi_flash", "program-erase-lock",
    bytes(64) + fl_cmd(0x40) + u8(0) + u8(2) + fl_off(0, 8) + u8(0x80) + u32(0x12345678) +
    fl_cmd(0x70) + fl_read(2) + fl_cmd(0x50) + fl_cmd(0x20, 1) + fl_cmd(0xD0, 1) +
    fl_cmd(0x60, 1) + fl_cmd(0x01, 1) + fl_cmd(0x20, 1) + fl_cmd(0xD0, 1) +
    fl_cmd(0x60, 1) + fl_cmd(0xD0, 1) + u8(7))
put("cfi_flash", "buffered-program",
    bytes(64) + u8(6) + fl_off(0, 0x40) + u16(3) + u8(4) +
    u32(0x11111111) + u32(0x22222222) + u32(0x33333333) + u32(0x44444444) +
    fl_cmd(0xD0) + fl_cmd(0xFF) + fl_read(3, 0, 0x40))

# ---- pl011: ops 0-2 access (0x10 write, 0xc0 ID window), 3 input, 5 reset --
RD, WRT, IDW = 0x00, 0x12, 0xc0


def uart(op, size_sel, reg, val):
    return u8(op) + u8(size_sel) + u8(0) + u8(reg // 4) + u32(val)


put("pl011", "linux-probe-and-echo",
    b"".join(uart(IDW, 2, 4 * i, 0) for i in range(8)) +
    uart(RD, 2, 0x30, 0) + uart(WRT, 2, 0x24, 1) + uart(WRT, 2, 0x2c, 0x70) +
    uart(WRT, 2, 0x38, 0x50) + uart(WRT, 2, 0x30, 0x301) +
    u8(3) + u8(5) + b"hello" + uart(RD, 2, 0x18, 0) + uart(RD, 2, 0, 0) +
    uart(WRT, 2, 0, ord("x")) + uart(WRT, 2, 0x44, 0x7ff) + u8(5))

# ---- pl031: first u32 clock; ops 0-1 access, 2 time, 3 DR check ------------
def rtc(wr, reg, val, id_win=False):
    return u8((0x10 if wr else 0) | (0x40 if id_win else 0)) + u8(2) + u8(reg // 4) + u32(val)


put("pl031", "set-time-and-alarm",
    u32(1000) + rtc(False, 0, 0, True) + rtc(False, 0, 0) + rtc(True, 8, 2000000000) +
    u8(3) + rtc(True, 4, 2000000005) + rtc(True, 0x10, 1) + u8(2) + u8(10) + u8(3) +
    rtc(False, 0x14, 0) + rtc(True, 0x1c, 1))

# ---- bus: nreg, regions (sel, u16 base/16, u16 len), then accesses ----------
def region(sel, base16, length):
    return u8(sel) + u16(base16) + u16(length)


def access(sel, idx, param, val, size_sel, wr):
    return u8(sel) + u8(idx) + param + u64(val) + u8(size_sel) + u8(wr)


put("bus", "three-devices",
    u8(3) + region(0x04, 0x0, 0x1000) + region(0x0f, 0x100, 0x18) + region(0x06, 0x200, 0x200) +
    access(3, 0, u32(0), 0x11, 2, 0) +          # inside region 0
    access(2, 1, u8(9), 0x22, 3, 1) +           # at the end of region 1
    access(1, 2, u8(0), 0, 1, 0) +              # one below region 2
    u8(0) + u16(0x2000) + u64(0) + u8(2) + u8(0))   # no device

# ---- ghes: ncpus, maxq, base sel; ops 0-2 record, 3 poll, 4 ack ------------
def cper(op, src, gpa):
    return u8(op) + u8(src) + u64(gpa) + u8(0) + u8(3) + u8(1)


put("ghes", "submit-ack-poll",
    u8(1) + u8(3) + u8(0) +
    cper(0, 0, 0x40001000) + cper(0, 0, 0x40002000) + cper(0, 2, 0x40003000) +
    u8(3) + u8(0) + u8(4) + u8(0) + u8(3) + u8(0) + u8(4) + u8(2) + u8(3) + u8(0) +
    cper(2, 1, 0x40004000) + u8(9) + u8(0) + u8(3))
put("ghes", "reset-and-rebase",
    u8(2) + u8(1) + u8(0) + cper(0, 3, 0x40001000) + cper(0, 3, 0x40005000) +
    u8(198) + u8(0) + cper(0, 3, 0x40006000) + u8(4) + u8(3) + u8(3) + u8(0))


# ---- virtio: a blk IN request and an rng request on a Linux layout ---------
def vq_desc(op, i, off, length, flags, nxt):
    # fz_vq_write_desc: i, sel (0: data area + u16), u16 len, flags, next
    return u8(op) + u8(i) + u8(0) + u16(off) + u16(length) + u8(flags) + u8(nxt)


def vq_poke(op, off, data):
    return u8(op) + u16(off) + u8(len(data)) + data


NEXT, WR = 1, 2
BUFS = 0x4000
blk_hdr = u32(0) + u32(0) + u64(2)          # VIRTIO_BLK_T_IN, sector 2
getid_hdr = u32(8) + u32(0) + u64(0)
blk_disk = u8(0) + u8(16)                     # 128 sectors, 512-byte blocks, rw


def publish(head):                  # fz_vq_publish: head selector, head, idx selector
    return u8(0) + u8(head) + u8(0)


def blk_chain(op_desc, hdr_off):
    return (vq_desc(op_desc, 0, hdr_off, 16, NEXT, 1) +
            vq_desc(op_desc, 1, hdr_off + 0x100, 512, NEXT | WR, 2) +
            vq_desc(op_desc, 2, hdr_off + 0x400, 1, WR, 0))


# virtqueue: disk, kind byte, enable (sel, size log2); ops 0 desc, 3 publish,
# 5 poke, 6 pop, 9 notify?
put("virtqueue", "blk-read",
    blk_disk + u8(0) + u8(0) + u8(3) +
    vq_poke(5, BUFS, blk_hdr) + blk_chain(0, 0) +
    u8(3) + publish(0) + u8(6) + u8(9) + u8(10))
put("virtqueue", "blk-get-id-event-idx",
    blk_disk + u8(0) + u8(1) + u8(3) +
    vq_poke(5, BUFS, getid_hdr) +
    vq_desc(0, 0, 0, 16, NEXT, 1) + vq_desc(0, 1, 0x100, 21, WR, 0) +
    u8(3) + publish(0) + u8(6) + u8(9))
put("virtqueue", "rng-indirect",
    blk_disk + u8(0x10) + u8(2) + u8(2) +
    # an indirect table at data offset 0x100 (entries 0..1), then its descriptor
    u8(2) + u8(0x10) + u8(0) + u8(0) + u16(0x800) + u16(64) + u8(WR | NEXT) + u8(1) +
    u8(2) + u8(0x10) + u8(1) + u8(0) + u16(0x900) + u16(32) + u8(WR) + u8(0) +
    vq_desc(0, 0, 0x100, 32, 4, 0) + u8(3) + publish(0) + u8(6))


# virtqueue_packed: disk, kind byte, enable (sel, size = 1 + u8); ops 0 a
# proper chain (n-1, id sel, id, then per buffer: sel (WRITE 2, INDIRECT 4),
# u16 data offset, u16 len), 2 indirect entry, 4 driver event (u32), 5 poke,
# 6 pop (bit 6: keep in flight, else push at once: u8 which), 8 push a kept
# one (u8 which), 9 notify?, 10 set notify (bit 7 on)
def pk_chain(id, bufs):
    out = u8(0) + u8(len(bufs) - 1) + u8(0) + u8(id)
    for sel, off, length in bufs:
        out += u8(sel) + u16(off) + u16(length)
    return out


flush_hdr = u32(4) + u32(0) + u64(0)
put("virtqueue_packed", "blk-read-getid-out-of-order",
    blk_disk + u8(0) + u8(0) + u8(7) +
    vq_poke(5, BUFS, blk_hdr) + vq_poke(5, BUFS + 0x40, getid_hdr) +
    pk_chain(5, [(0, 0, 16), (WR, 0x100, 512), (WR, 0x400, 1)]) +
    pk_chain(9, [(0, 0x40, 16), (WR, 0x600, 21)]) +
    u8(0x46) + u8(0x46) + u8(8) + u8(1) + u8(8) + u8(0) + u8(9) + u8(0x8a))
put("virtqueue_packed", "rng-indirect-wrap",
    blk_disk + u8(0x10) + u8(2) + u8(2) +
    u8(2) + u8(0x10) + u8(0) + u8(0) + u16(0x800) + u16(64) + u8(WR) + u8(0) +
    u8(2) + u8(0x10) + u8(1) + u8(0) + u16(0x900) + u16(32) + u8(WR) + u8(0) +
    pk_chain(1, [(4, 0x100, 32)]) + u8(6) + u8(0) +
    pk_chain(2, [(WR, 0xa00, 8), (WR, 0xb00, 8)]) + u8(6) + u8(0) +
    pk_chain(3, [(WR, 0xc00, 8), (WR, 0xd00, 8)]) + u8(6) + u8(0) +
    pk_chain(4, [(WR, 0xe00, 8)]) + u8(6) + u8(0) + u8(9))
put("virtqueue_packed", "blk-flush-event-idx",
    blk_disk + u8(0) + u8(1) + u8(3) +
    vq_poke(5, BUFS, flush_hdr) +
    u8(4) + u32(0x8002 | (2 << 16)) + u8(10) +
    pk_chain(1, [(0, 0, 16), (WR, 0x10, 1)]) + u8(6) + u8(0) + u8(9) +
    pk_chain(2, [(0, 0, 16), (WR, 0x11, 1)]) + u8(6) + u8(0) + u8(9) +
    pk_chain(3, [(0, 0, 16), (WR, 0x12, 1)]) + u8(6) + u8(0) + u8(9) +
    u8(0x8a) + u8(9))


# virtio_mmio: kind, (blk: disk), ops 3 probe, 4 desc, 6 publish, 7 notify,
# 8 process, 9 ack
def mmio_seed(is_rng, body):
    return u8(1 if is_rng else 0) + (b"" if is_rng else blk_disk) + body


probe = u8(3) + u8(0) + u8(3)                 # offered features, 8 entries
put("virtio_mmio", "blk-probe-read",
    mmio_seed(False, probe + vq_poke(130, BUFS, blk_hdr) + blk_chain(4, 0) +
              u8(6) + publish(0) + u8(7) + u8(8) + u8(9)))
put("virtio_mmio", "rng-probe-request",
    mmio_seed(True, probe + vq_desc(4, 0, 0x200, 64, WR, 0) + u8(6) + publish(0) +
              u8(7) + u8(9) + u8(11)))
put("virtio_mmio", "blk-config-reads",
    mmio_seed(False, b"".join(u8(2) + u8(s) + u16(0x100 + o) + u64(0) for s, o in
                              ((3, 0), (2, 8), (1, 20), (0, 25), (2, 56), (2, 60)))))


# ---- virtio_net / virtio_console (fuzz_vdev.h): two queues, RX rings at
# FZ_VQ_*, TX rings at FZ_VQ1_*; ring ops carry the queue in bit 7 ---------
def vdev_probe(op, mask=None, log2=3):
    if mask is None:
        return u8(op) + u8(0) + u8(log2) + u8(log2)
    return u8(op) + u8(0x80) + u64(mask) + u8(log2) + u8(log2)


VERSION_1 = 1 << 32
NET_MRG, NET_MAC, NET_STATUS, NET_CSUM, NET_GCSUM = 1 << 15, 1 << 5, 1 << 16, 1, 2
NET_GTSO4 = 1 << 7
net_mrg = VERSION_1 | NET_MRG | NET_MAC | NET_STATUS | NET_CSUM | NET_GCSUM
net_plain = VERSION_1 | NET_MAC | NET_STATUS
vnet_hdr = bytes(12)


def net_send(length, hdr=vnet_hdr):
    # sel 5: u16 length; the first 16 bytes from the input
    return u8(6) + u8(5) + u16(length) + (hdr + bytes(4))[:min(length, 16)]


put("virtio_net", "tx-one-frame",
    u8(0) + vdev_probe(0x8a, net_plain) +
    vq_poke(0x4a, 0x4100, vnet_hdr + b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + b"x" * 46) +
    vq_desc(0x80, 0, 0x100, 12, NEXT, 1) + vq_desc(0x80, 1, 0x10c, 60, 0, 0) +
    u8(0x82) + publish(0) + u8(0x84) + u8(5) + u8(7))
put("virtio_net", "rx-mergeable",
    u8(1) + b"\x02\x00\x00\x00\x00\x01" + vdev_probe(0x8a, net_mrg) +
    b"".join(vq_desc(0, i, 0x1000 + 0x400 * i, 0x400, WR, 0) for i in range(4)) +
    b"".join(u8(2) + publish(i) for i in range(4)) + u8(4) +
    net_send(1514) + net_send(60) + u8(0xc5) + u8(9 | 0x80))
put("virtio_net", "rx-gso-single",
    u8(0) + vdev_probe(0x8a, net_plain | NET_GCSUM | NET_GTSO4) +
    vq_desc(0, 0, 0x1000, 0x1fff, WR | NEXT, 1) + vq_desc(0, 1, 0x3000, 0x1fff, WR, 0) +
    u8(2) + publish(0) + u8(4) + net_send(9000) + u8(0xc5))
put("virtio_net", "tx-tap-full-then-reset",
    u8(0) + vdev_probe(0x8a, net_mrg) + u8(0x88) + u8(1) +
    vq_desc(0x80, 0, 0x100, 72, 0, 0) + u8(0x82) + publish(0) + u8(0x84) + u8(0x45) +
    u8(0x88) + u8(0) + u8(0x85) + u8(11) + u8(7))

put("virtio_console", "tx-hello",
    vdev_probe(9) + vq_poke(0x8a, 0x4100, b"hello world\n") +
    vq_desc(0x80, 0, 0x100, 12, 0, 0) + u8(0x82) + publish(0) + u8(0x84) + u8(5) + u8(7))
put("virtio_console", "rx-input",
    vdev_probe(9) + vq_desc(0, 0, 0x200, 64, WR, 0) + u8(2) + publish(0) + u8(4) +
    u8(6) + u8(5) + b"ls -l" + u8(5) + u8(6) + u8(3) + b"pwd")
put("virtio_console", "tx-pipe-full-closed",
    vdev_probe(9, log2=4) +
    b"".join(vq_desc(0x80, i, 0x100, 0x1fff, 0, 0) for i in range(1)) +
    b"".join(u8(0x82) + publish(0) for _ in range(6)) + u8(0x84) + u8(0xc5) + u8(7) +
    u8(0xc5) + u8(0x87) + u8(0xc5))
