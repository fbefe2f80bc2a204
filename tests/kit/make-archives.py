#!/usr/bin/env python3
"""make-archives.py TOP DEST: a folder of submissions for vm/msgslot-kit
sandbox-test, made at test time from our own sources in TOP.

Five good ones, laid out as graders receive them, each with its
message_slot.c marked apart (a comment) so that the fake grader's verdicts
differ and a mix-up between submissions shows:
  Student One_111_assignsubmission_file_/ex3_111.zip   files under ex3_111/
  Student Two_222_assignsubmission_file_/ex3_222.zip   files at the top
  ex3_333.tar.gz                                        files under ex3_333/src/
  plain_444/                                            a plain folder
  nested_555/ex3/                                       a folder, one level down
and three hostile archives, each of which must be refused with nothing
written outside its folder (every path they aim at is named kit-escaped*):
  traversal.zip      ../ and absolute paths
  symlink-out.tar.gz a symbolic link to .. and one to /tmp, then files
                     written through them
  bomb.zip           200 MB of zeros, about 200 KB zipped (the limit: 64 MB)
"""
import io
import os
import sys
import tarfile
import zipfile

FILES = ["message_slot.c", "message_slot.h", "message_sender.c",
         "message_reader.c", "Makefile", "Kbuild"]


def sources(top, mark):
    out = {}
    for f in FILES:
        with open(os.path.join(top, f), "rb") as fh:
            out[f] = fh.read()
    out["message_slot.c"] += f"/* test submission {mark} */\n".encode()
    return out


def write_zip(path, files, prefix=""):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(prefix + name, data)


def add_tar(t, name, data=None, link=None):
    i = tarfile.TarInfo(name)
    if link is not None:
        i.type, i.linkname = tarfile.SYMTYPE, link
        t.addfile(i)
    else:
        i.size, i.mode = len(data), 0o644
        t.addfile(i, io.BytesIO(data))


def main(top, dest):
    os.makedirs(dest)
    d = os.path.join(dest, "Student One_111_assignsubmission_file_")
    os.makedirs(d)
    write_zip(os.path.join(d, "ex3_111.zip"), sources(top, 111), "ex3_111/")
    d = os.path.join(dest, "Student Two_222_assignsubmission_file_")
    os.makedirs(d)
    write_zip(os.path.join(d, "ex3_222.zip"), sources(top, 222))
    with tarfile.open(os.path.join(dest, "ex3_333.tar.gz"), "w:gz") as t:
        for name, data in sources(top, 333).items():
            add_tar(t, "ex3_333/src/" + name, data)
    for folder, mark in (("plain_444", 444), ("nested_555/ex3", 555)):
        os.makedirs(os.path.join(dest, folder))
        for name, data in sources(top, mark).items():
            with open(os.path.join(dest, folder, name), "wb") as fh:
                fh.write(data)

    good = sources(top, "hostile")
    with zipfile.ZipFile(os.path.join(dest, "traversal.zip"), "w") as z:
        z.writestr("message_slot.c", good["message_slot.c"])
        z.writestr("../kit-escaped-up", "escaped\n")
        z.writestr("../../kit-escaped-up2", "escaped\n")
        z.writestr("../../../../../../../../../../tmp/kit-escaped-zip", "escaped\n")
        z.writestr("/tmp/kit-escaped-abs", "escaped\n")
    with tarfile.open(os.path.join(dest, "symlink-out.tar.gz"), "w:gz") as t:
        add_tar(t, "message_slot.c", good["message_slot.c"])
        add_tar(t, "up", link="..")
        add_tar(t, "up/kit-escaped-tar", b"escaped\n")
        add_tar(t, "tmp", link="/tmp")
        add_tar(t, "tmp/kit-escaped-tar", b"escaped\n")
    with zipfile.ZipFile(os.path.join(dest, "bomb.zip"), "w", zipfile.ZIP_DEFLATED,
                         compresslevel=9) as z:
        z.writestr("message_slot.c", good["message_slot.c"])
        with z.open("kit-escaped-zeros", "w", force_zip64=True) as f:
            block = bytes(1 << 20)
            for _ in range(200):
                f.write(block)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
