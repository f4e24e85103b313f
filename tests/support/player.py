"""A plain window playing a video at a known place on an X display, looping (a frameless Qt label).

    python -m tests.support.player VIDEO X Y [--scale S] [--canvas WxH]

The picture's top-left pixel lands at (X, Y): the window has no frame, and no window manager runs
under Xvfb to move it. With --scale/--canvas each frame is shrunk and centred on a dark canvas of
that size, as a gallery tile shows a face. (OpenCV's own window hung now and then in waitKey.)
"""

from __future__ import annotations

import argparse
import faulthandler
import signal
import time

import cv2

PLAYER_AT = (100, 80)  # where the tests put the player's window
TILE_ARGS = ("--scale", "0.21", "--canvas", "200x150")  # a gallery tile: the face about 55 px tall


def main() -> None:
    faulthandler.register(signal.SIGUSR1)  # a test that sees no window asks where the player is stuck
    p = argparse.ArgumentParser()
    p.add_argument("video")
    p.add_argument("x", type=int)
    p.add_argument("y", type=int)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--canvas", help="WxH")
    a = p.parse_args()
    canvas = tuple(int(v) for v in a.canvas.split("x")) if a.canvas else None

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QImage, QPixmap
    from PySide6.QtWidgets import QApplication, QLabel

    from tests.support.callfootage import place

    app = QApplication([])
    label = QLabel()
    label.setWindowFlags(Qt.WindowType.FramelessWindowHint)
    cap = cv2.VideoCapture(a.video)
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    start, shown = time.monotonic(), [0]

    def show_next() -> None:
        ok, image = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = cap.read()
        if a.scale != 1.0 or canvas:
            image = place(image, a.scale, canvas)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        label.setPixmap(QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()))
        if shown[0] == 0:
            label.setGeometry(a.x, a.y, w, h)
            label.show()
        shown[0] += 1
        timer.start(max(1, int((start + shown[0] / fps - time.monotonic()) * 1000)))

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(show_next)
    timer.start(0)
    app.exec()


if __name__ == "__main__":
    main()
