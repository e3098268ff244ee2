import Syscalls

/// The attach socket's protocol: frames of one type byte, a 4-byte big-endian length,
/// and the payload. Clients send stdin, resizes and end-of-input; the monitor sends the
/// container's stdout and stderr (apart, unlike a terminal) and, at the end, its exit code.
public enum AttachFrame: Equatable, Sendable {
    case stdin([UInt8])
    case resize(Terminal.WindowSize)
    case closeStdin
    case stdout([UInt8])
    case stderr([UInt8])
    /// The container's exit code, as a shell reports it (128 + signal when killed).
    case exit(Int32)

    var type: UInt8 {
        switch self {
        case .stdin: 0
        case .resize: 1
        case .closeStdin: 2
        case .stdout: 3
        case .stderr: 4
        case .exit: 5
        }
    }

    var payload: [UInt8] {
        switch self {
        case .stdin(let bytes), .stdout(let bytes), .stderr(let bytes): bytes
        case .resize(let size): AttachFrame.bigEndian(UInt32(size.rows) << 16 | UInt32(size.columns))
        case .closeStdin: []
        case .exit(let code): AttachFrame.bigEndian(UInt32(bitPattern: code))
        }
    }

    /// The frame as bytes on the wire.
    public var encoded: [UInt8] {
        let payload = payload
        return [type] + AttachFrame.bigEndian(UInt32(payload.count)) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Takes every complete frame off the front of `buffer`; what is left is a partial frame.
    public static func decode(_ buffer: inout [UInt8]) -> [AttachFrame] {
        var frames: [AttachFrame] = []
        while buffer.count >= 5 {
            let length = Int(number(buffer[1..<5]))
            guard buffer.count >= 5 + length else { break }
            let payload = Array(buffer[5..<5 + length])
            switch buffer[0] {
            case 0: frames.append(.stdin(payload))
            case 1 where payload.count == 4:
                let value = number(payload[0...])
                frames.append(.resize(.init(rows: UInt16(value >> 16), columns: UInt16(value & 0xffff))))
            case 2: frames.append(.closeStdin)
            case 3: frames.append(.stdout(payload))
            case 4: frames.append(.stderr(payload))
            case 5 where payload.count == 4: frames.append(.exit(Int32(bitPattern: number(payload[0...]))))
            default: break  // unknown frames are skipped
            }
            buffer.removeFirst(5 + length)
        }
        return frames
    }
}
