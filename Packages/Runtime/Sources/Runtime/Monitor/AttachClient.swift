import Glibc
import Relay
import Syscalls

/// The client side of a monitor's attach socket: what `run -it`, `run` in the foreground
/// and `attach` do. Our input goes to the container (frames), its output comes back (frames,
/// stdout and stderr apart), until the exit frame arrives.
public enum AttachClient {
    /// Ctrl-P Ctrl-Q: Docker's keys to detach and leave the container running.
    static let detachKeys: [UInt8] = [0x10, 0x11]

    /// Relays between our stdin/stdout/stderr and an attach connection. Returns the
    /// container's exit code, or nil if we detached (or the monitor went away first).
    public static func relay(_ socket: FileDescriptor, stdin sendInput: Bool, tty: Bool,
                             input: FileDescriptor = .standardInput, output: FileDescriptor = .standardOutput,
                             errors: FileDescriptor = .standardError) throws -> Int32? {
        let raw = tty && isatty(input.rawValue) == 1
        var saved = termios()
        if raw {
            tcgetattr(input.rawValue, &saved)
            var settings = saved
            cfmakeraw(&settings)
            tcsetattr(input.rawValue, TCSANOW, &settings)
        }
        defer { if raw { tcsetattr(input.rawValue, TCSANOW, &saved) } }
        var size = raw ? try? Terminal.windowSize(of: input) : nil
        if let size { try socket.writeAll(AttachFrame.resize(size).encoded) }
        var reading = sendInput
        var received: [UInt8] = []
        var lastKey: UInt8 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var polls = [pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: reading ? input.rawValue : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&polls, 2, 200)
            if ready < 0 && errno != EINTR { return nil }
            if raw, let now = try? Terminal.windowSize(of: input), now != size {
                size = now
                try? socket.writeAll(AttachFrame.resize(now).encoded)
            }
            if polls[0].revents != 0 {
                let bytes = (try? socket.read(upTo: 65536)) ?? []
                if bytes.isEmpty { return nil }
                received += bytes
                for frame in AttachFrame.decode(&received) {
                    switch frame {
                    case .stdout(let data): try? output.writeAll(data)
                    case .stderr(let data): try? errors.writeAll(data)
                    case .exit(let code): return code
                    default: break
                    }
                }
            }
            if reading && polls[1].revents != 0 {
                let n = (try? buffer.withUnsafeMutableBytes { try input.read(into: $0) }) ?? 0
                if n <= 0 {
                    reading = false
                    try? socket.writeAll(AttachFrame.closeStdin.encoded)
                    continue
                }
                let chunk = Array(buffer[0..<n])
                if tty {
                    for byte in chunk {
                        if lastKey == detachKeys[0] && byte == detachKeys[1] { return nil }
                        lastKey = byte
                    }
                }
                try? socket.writeAll(AttachFrame.stdin(chunk).encoded)
            }
        }
    }
}
