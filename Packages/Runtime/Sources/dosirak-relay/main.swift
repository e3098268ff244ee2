import Glibc
import Relay
import Syscalls

// dosirak-relay: the long-lived half of a container's monitor (chapter 06). The monitor
// creates and starts the container, then becomes this program with execve, keeping its
// PID, its children and the descriptors named on the command line (see Relay+Arguments).
// When the container's init has ended, this program becomes the exit command, which
// records the exit and cleans up.
let arguments = Array(CommandLine.arguments.dropFirst())
let relay: Relay
let exitCommand: [String]
do {
    (relay, exitCommand) = try Relay.parse(arguments)
} catch {
    try? FileDescriptor.standardError.writeAll("dosirak-relay: \(error)\n")
    exit(2)
}
try? CurrentProcess.setName("dosirak:[monitor]")
signal(SIGPIPE, SIG_IGN)
let status = relay.run()
var finished = timespec()
clock_gettime(CLOCK_REALTIME, &finished)
relay.close()
do {
    try CurrentProcess.exec(exitCommand[0], arguments: exitCommand + Relay.exitArguments(status, finished: finished),
                            environment: CurrentProcess.environment())
} catch {
    try? FileDescriptor.standardError.writeAll("dosirak-relay: cannot run \(exitCommand[0]): \(error)\n")
    exit(1)
}
