/// What /etc/resolv.conf says: nameservers, search domains, options.
public struct ResolvConf: Equatable, Sendable {
    public var nameservers: [String] = []
    public var search: [String] = []
    public var options: [String] = []

    public init(parsing text: String) {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            switch keyword {
            case "nameserver" where words.count > 1: nameservers.append(words[1])
            case "search", "domain": search = Array(words.dropFirst())
            case "options": options += words.dropFirst()
            default: break
            }
        }
    }
}
