#!/usr/bin/env python3
"""Write build/config.h (for C) and build/config.mk (for make) from Kconfig
and a configuration file, using Debian's python3-kconfiglib."""
import os
import sys

import kconfiglib


def write_if_changed(path, text):
    """Only touch the file when it changed, so make does not rebuild all."""
    if os.path.exists(path) and open(path).read() == text:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    kconfig, config, header, mk = sys.argv[1:5]
    kconf = kconfiglib.Kconfig(kconfig, warn_to_stderr=True)
    kconf.load_config(config)
    os.makedirs(os.path.dirname(header) or ".", exist_ok=True)
    write_if_changed(header, kconf._autoconf_contents(None))
    write_if_changed(mk, kconf._config_contents(None))


if __name__ == "__main__":
    main()
