import Glibc
import Syscalls

/// Connects the user's terminal to a container's pseudo-terminal: our terminal in raw
/// mode (so Ctrl-C reaches the container as a byte, and its terminal turns it into SIGINT),
/// bytes copied both ways, the window size passed on when it changes, and the terminal
/// restored however the relay ends.
public struct TerminalRelay {
    public let controller: FileDescriptor
    let input: FileDescriptor
    let output: FileDescriptor

    public init(controller: FileDescriptor, input: FileDescriptor = .standardInput, output: FileDescriptor = .standardOutput) {
        self.controller = controller
        self.input = input
        self.output = output
    }

    /// Relays until the container's side of the terminal is closed (its processes have
    /// exited), then waits for the process and returns how it ended.
    public func run(until process: some WaitableProcess) throws -> WaitStatus {
        let interactive = isatty(input.rawValue) == 1
        var saved = termios()
        if interactive {
            tcgetattr(input.rawValue, &saved)
            var raw = saved
            cfmakeraw(&raw)
            tcsetattr(input.rawValue, TCSANOW, &raw)
        }
        defer {
            if interactive { tcsetattr(input.rawValue, TCSANOW, &saved) }
            try? controller.close()
        }
        var size = interactive ? try? Terminal.windowSize(of: input) : nil
        if let size { try? Terminal.setWindowSize(size, of: controller) }
        var inputOpen = true
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            var descriptors = [pollfd(fd: controller.rawValue, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: inputOpen ? input.rawValue : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, 200)
            if ready < 0 && errno != EINTR { break }
            // The window may have changed (SIGWINCH): checked every 200 ms at most.
            if interactive, let now = try? Terminal.windowSize(of: input), now != size {
                size = now
                try? Terminal.setWindowSize(now, of: controller)
            }
            if descriptors[0].revents != 0 {
                // EIO once every process holding the other end has gone.
                guard let n = try? buffer.withUnsafeMutableBytes({ try controller.read(into: $0) }), n > 0 else { break }
                try? output.writeAll(buffer[0..<n])
            }
            if inputOpen && descriptors[1].revents != 0 {
                let n = (try? buffer.withUnsafeMutableBytes { try input.read(into: $0) }) ?? 0
                if n <= 0 {
                    inputOpen = false  // end of our input: send the terminal's EOF character
                    try? controller.writeAll([4])
                } else {
                    try? controller.writeAll(buffer[0..<n])
                }
            }
        }
        return try process.wait()
    }
}

/// A process we can wait for: an IsolatedProcess or a SpawnedProcess.
public protocol WaitableProcess {
    func wait() throws -> WaitStatus
}

extension SpawnedProcess: WaitableProcess {}
