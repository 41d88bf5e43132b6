#!/usr/bin/env bash
# Fuzzes every parser of untrusted or operator input (Fuzz/Sources/FuzzTargets.swift)
# with libFuzzer, SECONDS each (default 30), from the committed seed corpus in
# Fuzz/corpus/TARGET. The harness is built with AddressSanitizer, libFuzzer's
# coverage, and NDEBUG for C++ as in the release binary. libFuzzer first runs
# every corpus file, so an input that once crashed nucleus and was committed
# there is a regression test from then on. A crash stops the run with its
# input in Fuzz/crashes/; fix it, then commit the input to the corpus.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls Fuzz/corpus)
runtime=$(ls "$(dirname "$(realpath "$(command -v swiftc)")")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
# -sanitize=fuzzer would bring libFuzzer's own main, which clashes with the
# entry point SwiftPM gives executables: the harness calls LLVMFuzzerRunDriver.
swift build --product nucleus-fuzz --build-path .build-fuzz -Xcxx -DNDEBUG -Xswiftc -DFUZZING \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xlinker "$runtime" 2>&1 | grep -E "error|warning: |Build" || true
mkdir -p Fuzz/crashes
for target in "${targets[@]}"; do
    work=$(mktemp -d "/tmp/nucleus-fuzz-$target.XXXXXX")
    cp -r "Fuzz/corpus/$target/." "$work/"
    echo "== $target ($seconds s)"
    # Leaks are not what this looks for (the Swift runtime keeps caches);
    # the Swift backtracer would read memory ASan then flags: off.
    if ! ASAN_OPTIONS=detect_leaks=0 NUCLEUS_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no .build-fuzz/debug/nucleus-fuzz \
        -detect_leaks=0 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=0 \
        -artifact_prefix="Fuzz/crashes/$target-" "$work" 2>"$work.log"; then
        tail -40 "$work.log"
        echo "fuzz: $target crashed; the input is in Fuzz/crashes/"
        rm -rf "$work" "$work.log"
        exit 1
    fi
    grep -E "^#[0-9]+.*DONE" "$work.log" | tail -1
    rm -rf "$work" "$work.log"
done
echo "fuzz: ${#targets[@]} targets, no crash"
