extension Commands {
    static var systemCommands: [Command] { [] }
}
