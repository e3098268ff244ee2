import FoundationEssentials
import Glibc
import Syscalls

/// One end of the parent/child socket pair: typed messages, one JSON document per
/// `SOCK_SEQPACKET` packet, so a message never arrives half or glued to the next.
struct SyncSocket {
    let fd: FileDescriptor

    /// The largest message either side sends (a configuration with a long environment).
    static let maximumMessageSize = 1 << 20

    func send<Message: Encodable>(_ message: Message) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let bytes = try encoder.encode(message)
        guard bytes.count <= SyncSocket.maximumMessageSize else {
            throw IsolationError.protocolError("message of \(bytes.count) bytes is too large")
        }
        try fd.sendMessage(Array(bytes))
    }

    /// The next message, or nil when the other side has closed its end (it exited or, after
    /// a successful exec, its close-on-exec socket was closed by the kernel).
    func receive<Message: Decodable>(_ type: Message.Type) throws -> Message? {
        let bytes: [UInt8]
        do {
            bytes = try fd.read(upTo: SyncSocket.maximumMessageSize)
        } catch Errno(rawValue: ECONNRESET) {
            // The other side exited without reading what we sent last (init failed before
            // reading "go"). The kernel reports that once; its last message may still wait.
            bytes = (try? fd.read(upTo: SyncSocket.maximumMessageSize)) ?? []
        }
        if bytes.isEmpty { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw IsolationError.protocolError("unreadable \(type): \(error)")
        }
    }
}

/// What the parent says to init, in this order.
enum ParentMessage: Codable {
    /// Everything init needs to build the container.
    case configuration(IsolatedProcess.Configuration)
    /// The maps are written and the parent's own set-up is done: build the container.
    case go
    /// Run the command.
    case start
    /// Wait for a separate `start` command on the configuration's start FIFO, then run
    /// the command (the OCI lifecycle: the creating process exits after `create`).
    case handOff
}

/// What init says to the parent.
enum ChildMessage: Codable {
    /// The container is built; init waits for `start`.
    case ready
    /// After `handOff`: init no longer depends on us and waits on the start FIFO.
    case waiting
    /// The terminal's controller end follows, as a descriptor in the next packet.
    case terminal
    /// A step failed. `errno` is the raw code when a system call failed.
    case failed(stage: String, errno: CInt?, detail: String)
    case commandNotFound(String)
    case commandNotExecutable(String, errno: CInt)

    var error: IsolationError? {
        switch self {
        case .ready, .waiting, .terminal: nil
        case .failed(let stage, let errno, let detail):
            .child(stage: stage, errno: errno.map(Errno.init(rawValue:)), detail: detail)
        case .commandNotFound(let command): .commandNotFound(command)
        case .commandNotExecutable(let command, let errno): .commandNotExecutable(command, Errno(rawValue: errno))
        }
    }
}
