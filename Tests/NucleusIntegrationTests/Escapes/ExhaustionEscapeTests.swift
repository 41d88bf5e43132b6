import Foundation
import Testing

/// Exhausting what a container is given: a fork bomb, a memory bomb, every
/// descriptor, a full tmpfs. Each ends inside its limit, while a second
/// container and the host carry on.
@Suite(.serialized) struct ExhaustionEscapeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    @Test(arguments: EscapeMode.allCases) func bombsStayInsideTheirLimits(mode: EscapeMode) throws {
        let neighbour = try NucleusBinary.start(["run"] + mode.flags + ["--", "/bin/sh", "-c", "sleep 4; echo alive"])
        let base = ["run"] + mode.flags + ["--volume", Self.fixtures + ":/fixtures:ro"]
        let forks = try NucleusBinary.run(
            base + ["--pids", "16", "--", "/usr/bin/python3", "/fixtures/fork-until-refused.py"])
        #expect(forks.stdout.lines == ["fork failed: EAGAIN"], "\(mode.rawValue): \(forks.stderr)")
        let memory = try NucleusBinary.run(
            base + ["--memory", "48M", "--", "/usr/bin/python3", "-c", "b = bytearray(512 << 20); print('allocated')"])
        #expect(memory.status == 137, "\(mode.rawValue): \(memory.stdout) \(memory.stderr)")
        let descriptors = try NucleusBinary.run(
            base + [
                "--", "/usr/bin/python3", "-c",
                "import os\nfds = []\ntry:\n  while True: fds.append(os.open('/dev/null', os.O_RDONLY))\nexcept OSError as e: print(e.errno, len(fds) < 5000)",
            ])
        #expect(descriptors.stdout.lines == ["24 True"], "EMFILE within the NOFILE limit: \(descriptors.stderr)")
        let fill = try NucleusBinary.run(
            base + ["--", "/bin/sh", "-c", "dd if=/dev/zero of=/tmp/fill bs=1M 2>&1; du -m /tmp/fill"])
        #expect(fill.stdout.contains("No space left on device"), "\(fill.stdout) \(fill.stderr)")
        let filled = fill.stdout.lines.last?.split(separator: "\t").first.flatMap { Int($0) } ?? 0
        #expect((200...256).contains(filled), "the tmpfs stops at its 256M size: \(fill.stdout)")
        let survivor = NucleusBinary.finish(neighbour)
        #expect(survivor.stdout.lines == ["alive"], "\(mode.rawValue): the neighbour kept running")
        #expect(try Process.runCapturing("/bin/true", []).status == 0, "the host still forks")
    }
}
