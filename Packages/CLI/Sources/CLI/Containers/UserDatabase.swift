import FoundationEssentials
import Runtime

/// The container's own users and groups, read from its /etc/passwd and /etc/group, to turn
/// `-u www-data` or `-u 1000:staff` into numbers, as Docker does before it starts anything.
struct UserDatabase {
    struct Entry {
        var name: String
        var id: UInt32
        var gid: UInt32
        var members: [String]
    }

    let users: [Entry]
    let groups: [Entry]

    init(rootfs: String) {
        func read(_ file: String, isGroup: Bool) -> [Entry] {
            let text = (try? String(contentsOfFile: rootfs + file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= (isGroup ? 3 : 4), let id = UInt32(fields[2]) else { return nil }
                let gid = isGroup ? id : UInt32(fields[3]) ?? 0
                let members = isGroup && fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
                return Entry(name: fields[0], id: id, gid: gid, members: members)
            }
        }
        users = read("/etc/passwd", isGroup: false)
        groups = read("/etc/group", isGroup: true)
    }

    /// `name|uid[:group|gid]` as numbers, with the supplementary groups the user is a member of.
    func resolve(_ text: String?) throws -> Spec.User {
        guard let text, !text.isEmpty else { return Spec.User(additionalGids: supplementaryGroups(of: "root", gid: 0)) }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let user: Entry
        if let found = users.first(where: { $0.name == parts[0] }) {
            user = found
        } else if let uid = UInt32(parts[0]) {
            user = users.first(where: { $0.id == uid }) ?? Entry(name: parts[0], id: uid, gid: 0, members: [])
        } else {
            throw CommandError.failed("unable to find user \(parts[0]): no matching entries in passwd file")
        }
        var gid = user.gid
        if parts.count == 2 {
            if let group = groups.first(where: { $0.name == parts[1] }) {
                gid = group.id
            } else if let number = UInt32(parts[1]) {
                gid = number
            } else {
                throw CommandError.failed("unable to find group \(parts[1]): no matching entries in group file")
            }
        }
        let extra = parts.count == 2 ? [] : supplementaryGroups(of: user.name, gid: gid)
        return Spec.User(uid: user.id, gid: gid, additionalGids: extra.isEmpty ? nil : extra)
    }

    func supplementaryGroups(of name: String, gid: UInt32) -> [UInt32] {
        groups.filter { $0.members.contains(name) && $0.id != gid }.map(\.id)
    }
}
