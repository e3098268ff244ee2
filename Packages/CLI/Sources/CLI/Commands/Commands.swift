/// Every `dosirak` command, found by its words: `ps`, `network create`, and Docker's longer
/// spellings (`container ls`, `image rm`) for the same commands.
public enum Commands {
    public static var all: [Command] {
        containerCommands + imageCommands + networkCommands + volumeCommands + systemCommands
    }

    /// Docker's management-command spellings: `container ls` is `ps`, `image ls` is `images`.
    static let aliases: [String: String] = [
        "container ls": "ps", "container list": "ps", "container ps": "ps", "container run": "run",
        "container create": "create", "container start": "start", "container stop": "stop",
        "container restart": "restart", "container kill": "kill", "container rm": "rm", "container remove": "rm",
        "container logs": "logs", "container exec": "exec", "container attach": "attach",
        "container inspect": "inspect", "container top": "top", "container stats": "stats", "container wait": "wait",
        "container port": "port", "container rename": "rename", "container cp": "cp", "container commit": "commit",
        "container prune": "container prune",
        "image ls": "images", "image list": "images", "image pull": "pull", "image push": "push", "image rm": "rmi",
        "image remove": "rmi", "image tag": "tag", "image import": "import", "image save": "save",
        "image load": "load", "image history": "history", "image inspect": "inspect", "image prune": "image prune",
        "network list": "network ls", "volume list": "volume ls", "ps": "ps",
    ]

    /// The command named by the first one or two words, and how many words named it.
    public static func find(_ words: [String]) -> (command: Command, words: Int)? {
        let commands = all
        if words.count >= 2 {
            let two = words[0] + " " + words[1]
            let name = aliases[two] ?? two
            if let command = commands.first(where: { $0.name == name }) { return (command, 2) }
        }
        guard let first = words.first, let command = commands.first(where: { $0.name == first }) else { return nil }
        return (command, 1)
    }

    /// What `dosirak --help` prints.
    public static var overview: String {
        var text = "\nUsage:  dosirak [--root DIR] COMMAND\n\nA small container runtime, like Docker without a daemon.\n\nCommands:\n"
        for command in all.sorted(by: { $0.name < $1.name }) {
            text += "  " + command.name + String(repeating: " ", count: max(1, 20 - command.name.count)) + command.summary + "\n"
        }
        return text + "\nRun 'dosirak COMMAND --help' for more information on a command.\n"
    }
}
