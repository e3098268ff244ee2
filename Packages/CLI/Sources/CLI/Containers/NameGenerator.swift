/// Names for containers started without `--name`, like Docker's `adjective_surname`
/// (`quirky_hopper`), here with scientists and scholars from the Korean peninsula among them.
enum NameGenerator {
    static let adjectives = [
        "admiring", "bold", "brave", "busy", "calm", "clever", "cool", "dazzling", "eager", "elegant",
        "epic", "focused", "friendly", "gentle", "happy", "hopeful", "jolly", "keen", "kind", "lucid",
        "modest", "nice", "patient", "quirky", "relaxed", "serene", "sharp", "stoic", "tender", "vibrant",
        "wizardly", "zealous",
    ]
    static let names = [
        "sejong", "jangyeongsil", "heojun", "choimuseon", "jeongyakyong", "yiseonggye", "kimjeongho", "hongdaeyong",
        "turing", "hopper", "lovelace", "ritchie", "thompson", "torvalds", "curie", "noether", "shannon", "knuth",
        "dijkstra", "liskov", "hamilton", "babbage", "goldberg", "kare", "allen", "wozniak", "pike", "mccarthy",
        "bell", "darwin", "euclid", "fermi",
    ]

    /// A name not in `taken`.
    static func generate(avoiding taken: Set<String>) -> String {
        for attempt in 0..<1000 {
            var name = adjectives.randomElement()! + "_" + names.randomElement()!
            if attempt >= 10 { name += String(Int.random(in: 0..<10)) }
            if !taken.contains(name) { return name }
        }
        return "container_" + ContainerIndex.randomID().prefix(12)
    }

    /// Docker's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    static func isValid(_ name: String) -> Bool {
        guard name.count >= 2, let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}
