import NucleusFilesystem
import NucleusIsolation
import NucleusModel
import NucleusPlan
import Testing

@Suite struct ContextExclusionTests {
    @Test(arguments: [
        ".git", ".hg", ".svn", ".env", ".env.production", "cert.pem", "TLS.KEY", "id_rsa", "id_rsa.pub",
        "id_ed25519", "store.p12", ".netrc", ".npmrc", ".pypirc", "credentials", "Credentials.json",
        "my-secret.txt", "SECRETS", "client_secret.json",
    ])
    func excludedNames(_ name: String) {
        #expect(ContextExclusions.excludes(name: name))
    }

    @Test(arguments: ["README.md", "main.py", "environment.yml", "keys.txt", "pemfile", "gitignore", "p12", "id_dsa"])
    func keptNames(_ name: String) {
        #expect(!ContextExclusions.excludes(name: name))
    }

    @Test func symlinksMustStayInsideLexically() {
        #expect(ContextExclusions.symlinkStaysInside(path: "a/link", target: "../b"))
        #expect(ContextExclusions.symlinkStaysInside(path: "a/b/link", target: "./../../c/d"))
        #expect(ContextExclusions.symlinkStaysInside(path: "link", target: "sub/../file"))
        #expect(!ContextExclusions.symlinkStaysInside(path: "link", target: "../outside"))
        #expect(!ContextExclusions.symlinkStaysInside(path: "a/link", target: "../../x"))
        #expect(!ContextExclusions.symlinkStaysInside(path: "a/link", target: "b/../../../x"))
        #expect(!ContextExclusions.symlinkStaysInside(path: "link", target: "/etc/passwd"))
        #expect(!ContextExclusions.symlinkStaysInside(path: "link", target: ""))
    }
}

@Suite struct ContextPlanningTests {
    var host: FakeHost {
        var host = FakeHost()
        host.entries["/srv"] = .directory
        host.entries["/srv/project"] = .directory
        host.entries["/srv/file"] = .file
        host.owners["/srv/project"] = (1234, 1234)
        host.owners["/srv/file"] = (1234, 1234)
        return host
    }

    func plan(_ configure: (inout Request) -> Void, host: FakeHost? = nil) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        configure(&request)
        return try Planner.plan(request, host: host ?? self.host)
    }

    @Test func contextIsAReadOnlyNoexecTreeOwnedByTheWorkload() throws {
        let plan = try plan {
            $0.user = "1000"
            $0.context = Context(source: "/srv/project", mode: .bind, verifyIntegrity: true)
        }
        let bind = try #require(plan.step(.bind, "/context"))
        #expect(bind.options == [.readOnly, .noSuid, .noDev, .noExec])
        #expect(
            bind.context
                == ContextTree(
                    source: "/srv/project", mode: .bind, owner: FileOwner(uid: 101_000, gid: 101_000),
                    verifyIntegrity: true))
        #expect(plan.index(.makeDirectory, "/context")! < plan.index(.bind, "/context")!)
        let mechanism = try #require(plan.mechanisms.first { $0.name == "context" })
        for pattern in ContextExclusions.namePatterns { #expect(mechanism.detail.contains(pattern)) }
        #expect(mechanism.detail.contains("SHA-256"))
    }

    @Test func badContextsAreRefused() {
        var rootless = host
        rootless.effectiveUID = 1000
        for (source, host) in [
            ("project", self.host), ("/srv/missing", self.host), ("/srv/file", self.host),
            ("/srv/project", rootless),
        ] {
            #expect(throws: NucleusError.self) { try plan({ $0.context = Context(source: source) }, host: host) }
        }
        #expect(throws: NucleusError.self) {
            try plan {
                $0.context = Context(source: "/srv/project")
                $0.tmpfsMounts = [TmpfsMount(destination: "/context")]
            }
        }
    }

    @Test func providerConfigsBindIntoTheHome() throws {
        let plan = try plan {
            $0.providerConfigs = [
                ProviderConfig(source: "/srv/file", destination: ".config/tool/auth.json", readOnly: true),
                ProviderConfig(source: "/srv/project", destination: "/home/agent/.state", readOnly: false),
            ]
        }
        let readOnly = try #require(plan.step(.bind, "/home/agent/.config/tool/auth.json"))
        #expect(readOnly.options.contains(.readOnly))
        #expect(readOnly.idmap != nil)
        #expect(plan.step(.bind, "/home/agent/.state")?.idmap?.diskUID == 1234)
        #expect(plan.index(.mount, "/home/agent")! < plan.index(.bind, "/home/agent/.state")!)
        for destination in ["/opt/x", "../x", "/home/agent", ".config/../../../etc/x"] {
            #expect(throws: NucleusError.self) {
                try self.plan {
                    $0.providerConfigs = [ProviderConfig(source: "/srv/file", destination: destination, readOnly: true)]
                }
            }
        }
    }
}
