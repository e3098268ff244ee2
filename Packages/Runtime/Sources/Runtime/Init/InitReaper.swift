import Glibc
import Syscalls

/// `--init` (Docker's tini): PID 1 of the container stays ours, a few lines that any
/// program can sit under. A program run as PID 1 gets no default signal handling (SIGTERM
/// does nothing unless it installs a handler) and inherits every orphan of the namespace,
/// which it must reap. This reaper runs the command as its only child, passes every signal
/// on to it, reaps whatever ends, and exits as the command did. It needs no file in the
/// container: it is the init process itself, which is already in memory.
enum InitReaper {
    static func run(_ program: String, arguments: [String], environment: [String], started: () -> Void) throws -> Never {
        // Signals wait in the queue until sigwaitinfo takes them (the child gets an
        // empty mask and default handlers: dsk_spawn resets both).
        var all = sigset_t()
        sigfillset(&all)
        sigprocmask(SIG_BLOCK, &all, nil)
        var spawn = Spawn(program, environment: environment)
        spawn.arguments = arguments
        let child = try spawn.start().pid.rawValue
        started()
        while true {
            var info = siginfo_t()
            let signal = sigwaitinfo(&all, &info)
            if signal == SIGCHLD {
                while true {
                    var status: CInt = 0
                    let pid = waitpid(-1, &status, WNOHANG)
                    if pid <= 0 { break }
                    guard pid == child else { continue }  // an orphan: reaped, nothing more
                    let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                    exit(code)
                }
            } else if signal > 0 {
                kill(child, signal)
            }
        }
    }
}
