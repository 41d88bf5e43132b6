import NucleusFilesystem
import NucleusIsolation
import NucleusModel
import NucleusSecurity
import Testing

@Suite struct HostnameRulesTests {
    @Test(arguments: ["nucleus", "box1", "a-b.c", "x", String(repeating: "a", count: 63)])
    func validHostnames(_ name: String) throws {
        try HostnameRules.validateHostname(name)
    }

    @Test(arguments: ["", "bad_name", "-lead", "trail-", "a..b", "sp ace", String(repeating: "a", count: 65), "ünï"])
    func invalidHostnames(_ name: String) {
        #expect(throws: NucleusError.self) { try HostnameRules.validateHostname(name) }
    }

    @Test func hostnameFallsBackFromExplicitToNameToDefault() throws {
        #expect(try HostnameRules.hostname(explicit: nil, name: nil) == "nucleus")
        #expect(try HostnameRules.hostname(explicit: nil, name: "box1") == "box1")
        #expect(try HostnameRules.hostname(explicit: "h2", name: "box1") == "h2")
        #expect(try HostnameRules.hostname(explicit: "h2", name: "my_box") == "h2")
        #expect(throws: NucleusError.self) { try HostnameRules.hostname(explicit: nil, name: "my_box") }
        #expect(throws: NucleusError.self) { try HostnameRules.hostname(explicit: nil, name: ".hidden") }
    }
}

@Suite struct EnvironmentPolicyTests {
    func build(_ assignments: [String], files: [(String, String)] = [], terminal: String? = nil) throws -> [String] {
        try EnvironmentPolicy.build(
            home: "/home/agent", terminal: terminal, assignments: assignments,
            envFiles: files.map { (path: $0.0, contents: $0.1) }, caller: { $0 == "FROM_CALLER" ? "yes" : nil }
        ).visible
    }

    @Test func baseIsPathHomeAndTermOnlyWithATerminal() throws {
        #expect(try build([]) == ["PATH=\(EnvironmentPolicy.defaultPath)", "HOME=/home/agent"])
        #expect(try build([], terminal: "xterm").last == "TERM=xterm")
    }

    @Test func flagsOverrideFilesAndBareKeysCopyTheCaller() throws {
        let env = try build(["A=flag", "FROM_CALLER", "MISSING"], files: [("f", "# c\nA=file\n  B=2\n\n")])
        #expect(env.contains("A=flag"))
        #expect(env.contains("B=2"))
        #expect(env.contains("FROM_CALLER=yes"))
        #expect(!env.contains { $0.hasPrefix("MISSING") })
        #expect(try build(["EMPTY="]).contains("EMPTY="))
    }

    @Test(arguments: ["LD_PRELOAD=x", "LD_ANYTHING=x", "GLIBC_TUNABLES=x", "GCONV_PATH=x"])
    func codeLoadingVariablesAreRefused(_ assignment: String) {
        #expect(throws: NucleusError.self) { try build([assignment]) }
        #expect(throws: NucleusError.self) { try build([], files: [("f", assignment)]) }
    }

    @Test(arguments: ["=x", "A B=c", "A\0=x"])
    func malformedAssignmentsAreRefused(_ assignment: String) {
        #expect(throws: NucleusError.self) { try build([assignment]) }
    }

    @Test func envFileErrorsNameTheLine() {
        #expect {
            try build([], files: [("vars.env", "OK=1\nLD_PRELOAD=x\n")])
        } throws: { error in
            (error as? NucleusError)?.description.contains("vars.env line 2") == true
        }
    }
}

@Suite struct ByteSizeTests {
    @Test func parsesBinarySuffixes() {
        #expect(ByteSize(parsing: "256M")?.bytes == 256 << 20)
        #expect(ByteSize(parsing: "1g")?.bytes == 1 << 30)
        #expect(ByteSize(parsing: "512KiB")?.bytes == 512 << 10)
        #expect(ByteSize(parsing: "100")?.bytes == 100)
        #expect(ByteSize(parsing: "1.5G") == nil)
        #expect(ByteSize(parsing: "-1M") == nil)
        #expect(ByteSize(parsing: "M") == nil)
        #expect(ByteSize(parsing: "99999999999T") == nil)
    }

    @Test func printsTheShortestExactForm() {
        #expect(ByteSize(bytes: 256 << 20).description == "256M")
        #expect(ByteSize(bytes: 1536 << 10).description == "1536K")
        #expect(ByteSize(bytes: 100).description == "100")
    }
}

@Suite struct ContainerPathTests {
    @Test(arguments: ["/", "/a", "/home/agent", "/a.b/c..d/.e"])
    func normalizedAbsolutePaths(_ path: String) {
        #expect(ContainerPath.isNormalizedAbsolute(path))
    }

    @Test(arguments: ["", "a", "a/b", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/.", "/.."])
    func rejectedPaths(_ path: String) {
        #expect(!ContainerPath.isNormalizedAbsolute(path))
    }

    @Test func ancestorsAreOutermostFirst() {
        #expect(ContainerPath.ancestors(of: "/a/b/c") == ["/a", "/a/b"])
        #expect(ContainerPath.ancestors(of: "/a").isEmpty)
        #expect(ContainerPath.ancestors(of: "/").isEmpty)
    }
}

@Suite struct UserMountParsingTests {
    @Test func volumesParseSourceDestinationAndMode() throws {
        #expect(try VolumeMount(parsing: "/a:/b") == VolumeMount(source: "/a", destination: "/b", readOnly: false))
        #expect(try VolumeMount(parsing: "/a:/b:ro").readOnly)
        #expect(try !VolumeMount(parsing: "/a:/b:rw").readOnly)
        for bad in ["/a", "/a:", ":/b", "/a:/b:rx", "/a:/b:ro:x"] {
            #expect(throws: NucleusError.self) { try VolumeMount(parsing: bad) }
        }
    }

    @Test func tmpfsParsesSizeAndMode() throws {
        #expect(try TmpfsMount(parsing: "/s") == TmpfsMount(destination: "/s"))
        #expect(try TmpfsMount(parsing: "/s:1M").size.bytes == 1 << 20)
        #expect(try TmpfsMount(parsing: "/s:ro").readOnly)
        #expect(
            try TmpfsMount(parsing: "/s:2G:ro")
                == TmpfsMount(destination: "/s", size: ByteSize(bytes: 2 << 30), readOnly: true))
        for bad in ["", "/s:big", "/s:0", "/s:1M:ro:x", "/s:ro:1M"] {
            #expect(throws: NucleusError.self) { try TmpfsMount(parsing: bad) }
        }
    }
}

@Suite struct SensitiveEnvironmentTests {
    @Test func envFdVariablesStayApartUnlessAFlagOverridesThem() throws {
        let result = try EnvironmentPolicy.build(
            home: "/h", terminal: nil, assignments: ["SHOWN=flag"], envFiles: [],
            sensitive: ["TOKEN=abc", "SHOWN=hidden"], caller: { _ in nil })
        #expect(result.sensitive == ["TOKEN=abc"])
        #expect(result.visible.contains("SHOWN=flag"))
        #expect(!result.visible.contains { $0.hasPrefix("TOKEN") })
        #expect(throws: NucleusError.self) {
            try EnvironmentPolicy.build(
                home: "/h", terminal: nil, assignments: [], envFiles: [], sensitive: ["LD_AUDIT=x"],
                caller: { _ in nil })
        }
    }
}

@Suite struct IdentityResolverTests {
    let accounts = IdentityResolver.Accounts(
        passwd: "root:x:0:0::/root:/bin/sh\nsvc:x:4242:4343::/home/svc:/bin/sh\nbad-line\n",
        group: "root:x:0:\nsvcgrp:x:4343:\nvideo:x:44:\n")

    func resolve(_ user: String?, _ group: String? = nil, _ additional: [String] = []) throws
        -> IdentityResolver.Identity
    {
        try IdentityResolver.resolve(
            user: user, group: group, additional: additional, accounts: accounts, origin: "/r/etc")
    }

    @Test func numbersNeedNoAccountsAndAUserNumberIsAlsoTheGroup() throws {
        #expect(!IdentityResolver.needsAccounts(user: "1000", group: "7", additional: ["44"]))
        #expect(IdentityResolver.needsAccounts(user: "svc", group: nil, additional: []))
        let identity = try resolve("1000")
        #expect((identity.uid, identity.gid) == (1000, 1000))
        #expect(try resolve(nil).uid == 0)
    }

    @Test func namesTakeTheirPrimaryGroupAndSupplementaryGroupsAreDeduplicated() throws {
        let identity = try resolve("svc", nil, ["video", "44", "4343"])
        #expect((identity.uid, identity.gid, identity.userName, identity.groupName) == (4242, 4343, "svc", "svcgrp"))
        #expect(identity.supplementary.map(\.gid) == [44, 4343])
        #expect(try resolve("svc", "video").gid == 44)
    }

    @Test func unknownNamesNameTheFileTheyWereLookedUpIn() {
        #expect { try resolve("ghost") } throws: { "\($0)".contains("/r/etc/passwd") }
        #expect { try resolve(nil, "ghosts") } throws: { "\($0)".contains("/r/etc/group") }
        #expect { try resolve(nil, nil, ["ghosts"]) } throws: { "\($0)".contains("--additional-group") }
    }
}
