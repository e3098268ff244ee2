extension Commands {
    static var containerCommands: [Command] {
        [run, create, start, stop, restart, kill, rm, ps, logs, exec, attach, inspect, wait, pause, unpause, rename, port]
    }
}
