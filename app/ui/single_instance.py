"""One Glimpse window per user: a second start brings the first window forward instead of opening another
that would watch the same camera.

The first start holds a lock file in the user's runtime folder (`runtime_dir`) and listens on a local
socket beside it that only this user can reach. A later start finds the lock held, sends the first its
request (one JSON line: a recording to open, or none), and ends once the first has answered. A lock left by
a Glimpse that died is stale (its process is gone) and taken over; a first that holds the lock but does not
answer is reported: a plain message in a window, and its process id on the terminal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.system.files import private_dir

log = logging.getLogger(__name__)

LOCK_NAME, SOCKET_NAME = "window.lock", "window.socket"
ANSWER = b"ok\n"
ANSWER_WAIT_MS = 3000  # a first window busy starting up still answers within this
MAX_SOCKET_PATH = 100  # a local socket's path must fit in sockaddr_un (108 bytes with its terminator)
MAX_REQUEST_BYTES = 64 * 1024


def runtime_dir() -> Path:
    """Where the lock and the socket live: GLIMPSE_RUNTIME_DIR, else the desktop's per-user runtime folder
    (XDG_RUNTIME_DIR), else Glimpse's data folder in the home folder (never a shared /tmp folder)."""
    import platformdirs

    chosen = os.environ.get("GLIMPSE_RUNTIME_DIR")
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "glimpse" if xdg else Path(platformdirs.user_data_dir("glimpse", appauthor=False)) / "run"


def socket_name(folder: Path) -> str:
    """The socket beside the lock; a name of Qt's temporary folder, made from the folder's, when that
    path is too long for a local socket."""
    path = str(folder / SOCKET_NAME)
    if len(path.encode()) <= MAX_SOCKET_PATH:
        return path
    return f"glimpse-{os.getuid()}-{hashlib.sha256(path.encode()).hexdigest()[:16]}"


class SingleInstance(QObject):
    """`acquire()` once at start; when it is False, `ask_first(...)` hands the request to the first window."""

    woken = Signal(object)  # a later start's request: the recording to open (str), or None

    def __init__(self, folder: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = folder if folder is not None else runtime_dir()
        self.lock = QLockFile(str(self.folder / LOCK_NAME))
        self.lock.setStaleLockTime(0)  # held for the app's life: only a lock whose process is gone is stale
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this is the only Glimpse window of the user (it then listens for later starts). A lock
        that cannot be made at all (a read-only or missing folder) does not keep Glimpse from starting."""
        try:
            private_dir(self.folder)
        except OSError as exc:
            log.warning("one window per user is not checked: %s", exc)
            return True
        if not self.lock.tryLock(0):
            if self.lock.error() == QLockFile.LockError.LockFailedError:
                return False  # another Glimpse holds it
            log.warning("one window per user is not checked: %s cannot be made", self.folder / LOCK_NAME)
            return True
        name = socket_name(self.folder)
        QLocalServer.removeServer(name)  # left by a Glimpse that died: the lock is ours now
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._answer)
        server.listen(name)  # if it cannot listen, a later start says the first did not answer
        self.server = server
        return True

    def holder(self) -> int | None:
        """The process id of the Glimpse holding the lock (None: unknown)."""
        info = self.lock.getLockInfo()
        pid = info[0] if isinstance(info, tuple) and info else None
        return int(pid) if isinstance(pid, int) and pid > 0 else None

    def ask_first(self, path: str | None = None, wait_ms: int = ANSWER_WAIT_MS) -> bool:
        """Send the first window the request (bring it forward; open `path` in Review, if given); True once
        it has answered."""
        socket = QLocalSocket()
        socket.connectToServer(socket_name(self.folder))
        if not socket.waitForConnected(wait_ms):
            return False
        socket.write(json.dumps({"open": path}).encode() + b"\n")
        socket.flush()
        answered = socket.waitForReadyRead(wait_ms) and bytes(socket.readAll().data()).startswith(ANSWER)
        socket.disconnectFromServer()
        return answered

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.lock.isLocked():
            self.lock.unlock()

    def _answer(self) -> None:
        server = self.server
        socket = server.nextPendingConnection() if server is not None else None
        if socket is None:
            return
        socket.readyRead.connect(lambda: self._read(socket))
        socket.disconnected.connect(socket.deleteLater)
        if socket.canReadLine():
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_REQUEST_BYTES:
                socket.abort()
            return
        try:
            request = json.loads(bytes(socket.readLine().data()))
            path = request.get("open") if isinstance(request, dict) else None
        except ValueError:
            path = None
        socket.write(ANSWER)
        socket.flush()
        self.woken.emit(path if isinstance(path, str) else None)
