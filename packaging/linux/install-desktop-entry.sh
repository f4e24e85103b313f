#!/bin/sh
# Adds Glimpse to this user's application menu: the .desktop file and icon, pointing at this folder.
set -e
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/glimpse.png" "$icons/glimpse.png"
sed "s|^Exec=Glimpse|Exec=\"$here/Glimpse\"|" "$here/glimpse.desktop" > "$apps/glimpse.desktop"
echo "Glimpse is in your application menu ($apps/glimpse.desktop)."
