"""A Wayland connection relay that lets xdg-desktop-portal-wlr 0.7 cast a screen on a machine without a GPU.

    python -m tests.support.wayland_shim LISTEN_PATH COMPOSITOR_PATH

Without a DRM device wlroots renders with pixman, and its screencopy frames offer shared-memory buffers
only; xdg-desktop-portal-wlr 0.7 then refuses to start any cast ("unable to receive a valid format from
wlr_screencopy", upstream issue 289), although its shared-memory path works. This relay sits between the
portal backend and the compositor and, for each screencopy frame, adds the `linux_dmabuf` event the
compositor leaves out (same format and size as its shared-memory offer) just before `buffer_done`. The
backend finds no DMA-BUF modifiers (the compositor has no linux-dmabuf global) and negotiates shared
memory with PipeWire, as it would have without the check. Everything else passes through unchanged,
file descriptors included. Only the test stack uses it (tests/support/wayland.py), and only where /dev/dri is
missing; a desktop with a GPU never needs it.
"""

from __future__ import annotations

import array
import os
import socket
import struct
import sys
import threading

HEADER = struct.Struct("<IHH")  # object id, opcode, size (bytes, header included)
MAX_FDS = 28  # libwayland sends at most this many descriptors with one sendmsg
DISPLAY_ID = 1
GET_REGISTRY, BIND, DELETE_ID = 1, 0, 1  # wl_display.get_registry, wl_registry.bind, wl_display.delete_id
SCREENCOPY = b"zwlr_screencopy_manager_v1"
CAPTURE_REQUESTS = (0, 1)  # capture_output, capture_output_region: the frame's new id comes first
FRAME_BUFFER, FRAME_LINUX_DMABUF, FRAME_BUFFER_DONE = 0, 5, 6
SHM_TO_FOURCC = {0: 0x34325241, 1: 0x34325258}  # wl_shm ARGB8888 / XRGB8888 as DRM fourcc; others are fourcc


def wl_string(data: bytes, offset: int) -> tuple[bytes, int]:
    """A Wayland string argument at `offset`: (its bytes without the NUL, the offset after its padding)."""
    (length,) = struct.unpack_from("<I", data, offset)
    text = data[offset + 4: offset + 4 + max(length - 1, 0)]
    return text, offset + 4 + (length + 3) // 4 * 4


class Objects:
    """The object ids the relay follows on one connection: registries, screencopy managers and frames."""

    def __init__(self) -> None:
        self.registries: set[int] = set()
        self.managers: set[int] = set()
        self.frames: dict[int, tuple[int, int, int] | None] = {}  # id -> (fourcc, w, h) offered, once seen
        self.lock = threading.Lock()

    def request(self, obj: int, opcode: int, body: bytes) -> None:
        with self.lock:
            if obj == DISPLAY_ID and opcode == GET_REGISTRY:
                self.registries.add(struct.unpack_from("<I", body)[0])
            elif obj in self.registries and opcode == BIND:
                interface, at = wl_string(body, 4)
                if interface == SCREENCOPY:
                    self.managers.add(struct.unpack_from("<I", body, at + 4)[0])
            elif obj in self.managers and opcode in CAPTURE_REQUESTS:
                self.frames[struct.unpack_from("<I", body)[0]] = None

    def event(self, obj: int, opcode: int, body: bytes) -> bytes:
        """Bytes to send before this event (the added `linux_dmabuf`, or nothing)."""
        with self.lock:
            if obj == DISPLAY_ID and opcode == DELETE_ID:
                gone = struct.unpack_from("<I", body)[0]
                self.frames.pop(gone, None)
                self.managers.discard(gone)
                self.registries.discard(gone)
            elif obj not in self.frames:
                return b""
            elif opcode == FRAME_BUFFER:
                shm_format, width, height, _stride = struct.unpack_from("<4I", body)
                self.frames[obj] = (SHM_TO_FOURCC.get(shm_format, shm_format), width, height)
            elif opcode == FRAME_LINUX_DMABUF:
                self.frames[obj] = None  # the compositor offers one itself: add nothing
            elif opcode == FRAME_BUFFER_DONE and self.frames[obj] is not None:
                offer = self.frames[obj]
                assert offer is not None
                return HEADER.pack(obj, FRAME_LINUX_DMABUF, HEADER.size + 12) + struct.pack("<3I", *offer)
        return b""


def receive(sock: socket.socket) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    data, ancdata, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def send(sock: socket.socket, data: bytes, fds: list[int]) -> None:
    """All of `data`, with `fds` on the first piece (a receiver takes descriptors in order, never late)."""
    ancdata = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
    sent = sock.sendmsg([data], ancdata)
    if sent < len(data):
        sock.sendall(data[sent:])
    for fd in fds:
        os.close(fd)


def pump(src: socket.socket, dst: socket.socket, objects: Objects, from_client: bool) -> None:
    """Forward whole messages from `src` to `dst`, noting requests and adding events as described above."""
    pending, held = b"", []  # bytes of an unfinished message; descriptors not sent yet
    try:
        while True:
            data, fds = receive(src)
            held += fds
            if not data:
                break
            pending += data
            out = bytearray()
            while len(pending) >= HEADER.size:
                obj, opcode, size = HEADER.unpack_from(pending)
                if size < HEADER.size or len(pending) < size:
                    break
                body = pending[HEADER.size:size]
                if from_client:
                    objects.request(obj, opcode, body)
                else:
                    out += objects.event(obj, opcode, body)
                out += pending[:size]
                pending = pending[size:]
            if out:  # descriptors travel with bytes (a message that uses one never arrives before it)
                send(dst, bytes(out), held)
                held = []
    except OSError:
        pass
    finally:
        for fd in held:
            os.close(fd)
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client: socket.socket, compositor_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upstream.connect(compositor_path)
    objects = Objects()
    threads = [threading.Thread(target=pump, args=(client, upstream, objects, True), daemon=True),
               threading.Thread(target=pump, args=(upstream, client, objects, False), daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    upstream.close()


def main(argv: list[str]) -> int:
    listen_path, compositor_path = argv
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen_path)
    server.listen(8)
    print("ready", flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=relay, args=(client, compositor_path), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
