"""The macOS and Windows parts of the bundle's description (used by glimpse.spec on those systems).

macOS kills an app that opens the camera without NSCameraUsageDescription (pyinstaller#8026). Screen
capture is gated by the Screen Recording permission (System Settings > Privacy & Security > Screen &
System Audio Recording, TCC service kTCCServiceScreenCapture): the person grants it once per app and
macOS asks them to reopen the app; NSScreenCaptureUsageDescription is the sentence shown with that
request (the grant itself is the permission, not the key). Neither build has been made here: CI makes
them (.github/workflows/bundle.yml).
"""

from __future__ import annotations

CAMERA_USE = ("Glimpse watches the camera to notice brief facial changes. Frames stay on this Mac: nothing is "
              "recorded unless you press Record, and nothing is sent anywhere.")
SCREEN_USE = ("Glimpse can watch a video call on your screen instead of the camera. What it sees stays on this "
              "Mac and is never sent anywhere.")
MIN_MACOS = "11.0"
COMPANY = "Glimpse"
DESCRIPTION = "Glimpse: notices brief facial changes and offers a gentle, open question"


def info_plist(version: str) -> dict:
    """The Info.plist keys of Glimpse.app beyond PyInstaller's defaults."""
    return {
        "CFBundleName": "Glimpse",
        "CFBundleDisplayName": "Glimpse",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSMinimumSystemVersion": MIN_MACOS,
        "NSHighResolutionCapable": True,
        "NSCameraUsageDescription": CAMERA_USE,
        "NSScreenCaptureUsageDescription": SCREEN_USE,
        "LSApplicationCategoryType": "public.app-category.productivity",
    }


def _four(version: str) -> tuple[int, int, int, int]:
    numbers = [int(n) for n in version.split(".")[:4] if n.isdigit()]
    return tuple(numbers + [0] * (4 - len(numbers)))  # type: ignore[return-value]


def windows_version(version: str):
    """The version resource of Glimpse.exe (Explorer's Properties > Details)."""
    from PyInstaller.utils.win32.versioninfo import (
        FixedFileInfo,
        StringFileInfo,
        StringStruct,
        StringTable,
        VarFileInfo,
        VarStruct,
        VSVersionInfo,
    )

    four = _four(version)
    strings = [StringStruct("CompanyName", COMPANY), StringStruct("FileDescription", DESCRIPTION),
               StringStruct("FileVersion", version), StringStruct("InternalName", "Glimpse"),
               StringStruct("LegalCopyright", "Apache-2.0; bundled parts under their own licences (Help > About)"),
               StringStruct("OriginalFilename", "Glimpse.exe"), StringStruct("ProductName", "Glimpse"),
               StringStruct("ProductVersion", version)]
    return VSVersionInfo(
        ffi=FixedFileInfo(filevers=four, prodvers=four, mask=0x3F, flags=0x0, OS=0x40004, fileType=0x1,
                          subtype=0x0, date=(0, 0)),
        kids=[StringFileInfo([StringTable("040904B0", strings)]),
              VarFileInfo([VarStruct("Translation", [1033, 1200])])])  # US English, Unicode
