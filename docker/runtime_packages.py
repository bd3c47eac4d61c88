#!/usr/bin/python3
"""The Debian packages a slim image needs to run the built programs.

`check` is the suite's guard on docker/runtime-packages.txt (CTest
deploy_runtime_packages): it runs `ldd` on the built programs, maps each
shared library to the Debian package that owns it (dpkg's file lists, i.e.
what `dpkg -S` reads), adds the
packages owning the /usr/share data files the sources name, and fails, naming
the package and the file, when one of them is neither listed in the runtime
package list nor pulled in by the Depends/Pre-Depends of a listed package
(apt installs those with --no-install-recommends too; for `a | b` apt takes
`a`, so only the first alternative counts). Listed names that are not Debian
packages fail as well.

`print` writes the needed packages one a line, for an image whose package
names differ from bookworm's (docker/Dockerfile.cuda builds on Ubuntu);
libraries under a --skip prefix (a LibTorch copied whole) are left out.

Usage: runtime_packages.py check --list FILE [--list FILE] --sources DIR [--without PKG] BINARY...
       runtime_packages.py print --sources DIR [--skip PREFIX] BINARY...
--without checks the list as if PKG were not in it (the suite's negative case).
Exit status: 0 ok, 1 a package is missing or unknown, 2 usage or tool error.
"""
import argparse
import glob
import os
import re
import subprocess
import sys


def read_list(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            name = line.split("#", 1)[0].strip()
            if name:
                names.append(name)
    return names


def shared_libraries(binary):
    """Returns {library path: soname} of everything ldd resolves for binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"ldd {binary} failed: {out.stderr.strip()}", file=sys.stderr)
        sys.exit(2)
    libs = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            print(f"FAIL: {binary}: {line} (ldd cannot resolve it here)",
                  file=sys.stderr)
            libs[line.split()[0]] = None
            continue
        m = re.match(r"(\S+) => (/\S+)", line) or re.match(r"(/\S+) \(", line)
        if m:
            path = m.group(2) if m.lastindex == 2 else m.group(1)
            libs[path] = os.path.basename(m.group(1))
    return libs


def owner_index():
    """Maps every path dpkg installed to its package (as `dpkg -S` does)."""
    owners = {}
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        package = os.path.basename(lst)[: -len(".list")].split(":")[0]
        with open(lst, encoding="utf-8", errors="replace") as f:
            for path in f:
                owners.setdefault(path.rstrip("\n"), package)
    return owners


def owner_of(path, owners):
    """The package owning path, trying the /usr-merged spellings too."""
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[len("/usr"):])
        else:
            candidates.append("/usr" + p)
    for p in candidates:
        if p in owners:
            return owners[p]
    return None


def installed_packages():
    """{package: (depends, provides)} for installed packages, from dpkg."""
    fmt = "${Package}\t${Status}\t${Pre-Depends}, ${Depends}\t${Provides}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt],
                         capture_output=True, text=True, check=True).stdout
    packages, providers = {}, {}
    for line in out.splitlines():
        name, status, depends, provides = (line.split("\t") + ["", "", ""])[:4]
        if not status.endswith(" installed"):
            continue
        groups = []
        for group in depends.split(","):
            alts = [re.sub(r"[ (:].*", "", a.strip()) for a in group.split("|")]
            alts = [a for a in alts if a]
            if alts:
                groups.append(alts)
        packages[name] = groups
        for p in provides.split(","):
            p = re.sub(r"[ (:].*", "", p.strip())
            if p:
                providers.setdefault(p, []).append(name)
    return packages, providers


def closure(roots, packages, providers):
    """Packages apt installs for roots: first alternative of each group."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in packages:
            # A virtual package: the providers installed here stand in.
            todo.extend(providers.get(name, []))
            continue
        for alts in packages[name]:
            todo.append(alts[0])
    return seen


def data_files(sources):
    """/usr/share/... files named as string literals in the program sources."""
    found = {}
    for folder in ("client", "server", "trainer", "core"):
        for path in glob.glob(os.path.join(sources, folder, "**", "*.[ch]*"),
                              recursive=True):
            if path.endswith("_test.cc"):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for m in re.finditer(r'"(/usr/share/[^"\s]+)"', f.read()):
                    found.setdefault(m.group(1), os.path.relpath(path, sources))
    return found


def needed_packages(binaries, sources, owners, skip):
    """{package: why} for binaries' libraries and the sources' data files,
    and the number of files no package owns (each printed)."""
    needed, failures = {}, 0
    for binary in binaries:
        for path, soname in shared_libraries(binary).items():
            if soname is None:
                failures += 1
                continue
            if any(path.startswith(p) for p in skip):
                continue
            package = owner_of(path, owners)
            if package is None:
                print(f"FAIL: {path} (needed by {os.path.basename(binary)}) "
                      "belongs to no Debian package", file=sys.stderr)
                failures += 1
                continue
            needed.setdefault(package, f"{path}, needed by "
                                       f"{os.path.basename(binary)}")
    for path, source in data_files(sources).items():
        package = owner_of(path, owners)
        if package is None:
            print(f"FAIL: {path} (named in {source}) belongs to no installed "
                  "Debian package", file=sys.stderr)
            failures += 1
        else:
            needed.setdefault(package, f"{path}, named in {source}")
    return needed, failures


def check(args, owners):
    listed = [p for path in args.list for p in read_list(path)
              if p not in args.without]
    where = " + ".join(args.list)
    packages, providers = installed_packages()
    needed, failures = needed_packages(args.binaries, args.sources, owners, [])
    for name in listed:
        if name not in packages:
            known = subprocess.run(["apt-cache", "show", name],
                                   capture_output=True).returncode == 0
            if not known:
                print(f"FAIL: {where}: '{name}' is not a Debian package")
                failures += 1
    have = closure(listed, packages, providers)
    for package in sorted(needed):
        if package not in have:
            print(f"FAIL: runtime package '{package}' is missing from "
                  f"{where} ({needed[package]})")
            failures += 1
    direct = sorted(p for p in needed if p in listed)
    print(f"{len(needed)} packages needed by {len(args.binaries)} programs "
          f"({len(direct)} listed, the rest pulled in by their dependencies); "
          f"{failures} problem(s)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("check")
    c.add_argument("--list", required=True, action="append",
                   help="a package list; several are read as one")
    c.add_argument("--without", action="append", default=[])
    p = commands.add_parser("print")
    p.add_argument("--skip", action="append", default=[])
    for sub in (c, p):
        sub.add_argument("--sources", required=True)
        sub.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    owners = owner_index()
    if args.command == "check":
        return check(args, owners)
    needed, failures = needed_packages(args.binaries, args.sources, owners,
                                       args.skip)
    print("\n".join(sorted(needed)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
