import NucleusModel

/// What this build enforces for the workload's privileges, and what it does
/// not enforce yet, stated plainly in every plan.
public enum SecurityMechanisms {
    public static func privileges(uid: UInt32, gid: UInt32, supplementary: [UInt32] = []) -> [Mechanism] {
        let groups =
            supplementary.isEmpty
            ? "no supplementary groups"
            : "supplementary groups " + supplementary.map { String($0) }.concatenated(separator: ", ")
        return [
            Mechanism(name: "no_new_privs", status: .enforced, detail: "PR_SET_NO_NEW_PRIVS set before exec"),
            Mechanism(
                name: "identity", status: .enforced,
                detail: "workload runs as uid \(uid), gid \(gid), \(groups)"),
        ]
    }
}
