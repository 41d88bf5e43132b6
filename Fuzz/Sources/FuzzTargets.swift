import NucleusDocuments
import NucleusLifecycle
import NucleusModel
import NucleusNetwork
import NucleusResources
import NucleusSecurity

/// One entry per parser of untrusted or operator input. Each takes any
/// bytes and must return (a refusal is a thrown `NucleusError`, ignored
/// here); a crash, trap or hang is the bug the fuzzer looks for.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "config": { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            for origin in ["request.toml", "request.json"] {
                _ = try? ConfigDocument(text: text, origin: origin).arguments()
            }
        },
        "env-json": { bytes in
            _ = try? EnvironmentDocument.assignments(from: String(decoding: bytes, as: UTF8.self), origin: "fd 3")
        },
        "env-file": { bytes in
            _ = try? EnvironmentPolicy.parse(
                String(decoding: bytes, as: UTF8.self), origin: "env", caller: { _ in nil })
        },
        "oci-seccomp": { bytes in _ = try? OCISeccompProfile.parse(bytes, path: "p.json", origin: "--seccomp-profile")
        },
        "caps-toml": { bytes in _ = try? CapabilityPolicy.parse(bytes, origin: "--caps-policy") },
        "landlock-toml": { bytes in
            _ = try? LandlockPlanner.parse(bytes, origin: "--landlock-policy", abi: 7, description: "policy")
        },
        "seccomp-trace": { bytes in _ = try? SeccompProfileGenerator.names(fromTrace: bytes, path: "trace.ndjson") },
        "attestation": { bytes in
            _ = try? RootfsAttestation.entries(ofManifest: String(decoding: bytes, as: UTF8.self), path: "manifest")
        },
        "dns-message": { bytes in
            if let message = DNSMessage(bytes) {
                _ = DNSMessage.refusal(of: bytes, rcode: 3).map { $0.count + message.addresses.count }
            }
            _ = DNSMessage.unframe(bytes)
        },
        "specs": { bytes in
            // One spec per line: size, io limit, port, volume, tmpfs, address and block, domain.
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init) {
                _ = ByteSize(parsing: line)
                _ = try? IOLimit(parsing: line)
                _ = try? PortMapping(parsing: line)
                _ = try? VolumeMount(parsing: line)
                _ = try? TmpfsMount(parsing: line)
                _ = IPAddress(line)
                _ = IPNetwork(line)
                _ = try? DomainPattern(parsing: line)
                _ = try? SecretMount(parsing: line)
                _ = try? ProviderConfig(parsing: line, readOnly: true)
                _ = try? SystemdCredential(parsing: line)
            }
        },
    ]
}
