#!/usr/bin/env python3
"""Write build/config.h (for C) and build/config.mk (for make) from Kconfig
and a configuration file, using only the public API of Debian's
python3-kconfiglib (Kconfig.write_autoconf and Kconfig.write_config)."""
import os
import sys
import tempfile

import kconfiglib


def write_if_changed(path, write):
    """Call write(tmp) for a temporary file next to 'path', then replace
    'path' with it only when the contents differ, so that make does not
    rebuild everything after an unchanged configuration is reloaded."""
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".",
                               dir=os.path.dirname(path) or ".")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp) as f:
            new = f.read()
        old = None
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
        if new != old:
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    kconfig, config, header, mk = sys.argv[1:5]
    kconf = kconfiglib.Kconfig(kconfig, warn_to_stderr=True)
    kconf.load_config(config)
    for path in (header, mk):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    # The temporary file is new (empty), so kconfiglib always writes it.
    write_if_changed(header, kconf.write_autoconf)
    write_if_changed(mk, lambda tmp: kconf.write_config(tmp, save_old=False))


if __name__ == "__main__":
    main()
