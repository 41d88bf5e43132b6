#!/usr/bin/env bash
# Builds the release binary at .build/release/nucleus: optimized and fully
# static. A static executable skips the dynamic loader, which otherwise
# spends ~0.4 ms of every start relocating libstdc++ alone (see
# docs/benchmarks.md). glibc warns that the NSS functions FoundationEssentials
# links (getpwnam_r...) would need shared libraries at run time; nucleus
# never calls them. Direct metadata accessors instead of mangled-name lookups
# save a third of the Swift work before clone (demangling plus a scan of every
# protocol conformance in the binary). NDEBUG: toml++ (inside TOMLKit)
# asserts parser invariants whose release path reports a parse error; with
# assertions on, a malformed config aborted nucleus (found by the fuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
swift build -c release --product nucleus -Xcxx -DNDEBUG -Xswiftc -static-executable \
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors 2>&1 \
    | grep -vE "in statically linked applications requires at runtime|the use of .mktemp. is dangerous"
test -x .build/release/nucleus
# FoundationEssentials is fine; Foundation proper drags in CoreFoundation and
# ICU (twice the binary's size, a constructor and ~0.4 ms on every start).
# One stray overload resolved to Foundation's is enough to link it all, so
# the build refuses it.
if nm .build/release/nucleus | grep -q ' __CFInitialize$'; then
    echo "build-release: nucleus links Foundation (CoreFoundation's __CFInitialize is in the binary);" \
        "find the reference with -Xlinker -Map and use FoundationEssentials or the stdlib instead" >&2
    exit 1
fi
