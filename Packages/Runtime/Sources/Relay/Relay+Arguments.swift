import Glibc
import Syscalls

/// How the monitor hands a relay its descriptors, as a command line: descriptors by number
/// (kept open across `execve`), then `--` and the exit command.
///
///     dosirak-relay --init 4711:5 --output 6:stdout --output 7:stderr --listener 8 \
///         --socket /run/dosirak/ID.sock --log 9 -- /usr/local/bin/dosirak monitor ID --started 1795948407.07
///
/// The monitor ends the exit command with `--started` (seconds since 1970); the relay adds
/// `--exit-code`, `--signal` (0 for none) and `--finished`. `Report` reads them back.
extension Relay {
    /// The command line for `relay`'s descriptors, without the program name.
    public func arguments(exitCommand: [String]) -> [String] {
        var result = ["--init", String(initProcess.rawValue) + (initHandle.map { ":" + String($0.fileDescriptor.rawValue) } ?? "")]
        for output in outputs { result += ["--output", "\(output.fd.rawValue):\(output.stream)"] }
        if let terminal { result += ["--terminal", String(terminal.rawValue)] }
        if let input, input != terminal { result += ["--input", String(input.rawValue)] }
        result += ["--listener", String(listener.rawValue), "--socket", socketPath]
        if let log { result += ["--log", String(log.file.rawValue)] }
        return result + ["--"] + exitCommand
    }

    /// Every descriptor the relay holds, each once (the terminal is output and input): what
    /// is kept open across `execve`, and what `close` closes.
    public var descriptors: [FileDescriptor] {
        var result = outputs.map(\.fd) + [listener]
        if let initHandle { result.append(initHandle.fileDescriptor) }
        if let terminal { result.append(terminal) }
        if let input { result.append(input) }
        if let log { result.append(log.file) }
        var seen = Set<FileDescriptor>()
        return result.filter { seen.insert($0).inserted }
    }

    /// What `dosirak-relay` was given: a relay, and the exit command. A clear error for a
    /// command line that does not follow `arguments(exitCommand:)`.
    public static func parse(_ arguments: [String]) throws(UsageError) -> (relay: Relay, exitCommand: [String]) {
        guard let split = arguments.firstIndex(of: "--"), split + 1 < arguments.count else {
            throw UsageError("expected options, then -- and the exit command")
        }
        var initProcess: ProcessID?
        var initHandle: ProcessDescriptor?
        var outputs: [(fd: FileDescriptor, stream: String)] = []
        var input: FileDescriptor?
        var terminal: FileDescriptor?
        var listener: FileDescriptor?
        var socketPath: String?
        var log: JSONFileLog?
        func descriptor(_ text: Substring) throws(UsageError) -> FileDescriptor {
            guard let number = CInt(text), number >= 0 else { throw UsageError("not a descriptor number: \(text)") }
            return FileDescriptor(rawValue: number)
        }
        var index = 0
        while index < split {
            let option = arguments[index]
            guard index + 1 < split else { throw UsageError("\(option) needs a value") }
            let value = arguments[index + 1]
            let parts = value.split(separator: ":", maxSplits: 1)
            switch option {
            case "--init":
                guard let pid = pid_t(parts[0]), pid > 0 else { throw UsageError("not a PID: \(value)") }
                initProcess = ProcessID(rawValue: pid)
                if parts.count == 2 { initHandle = ProcessDescriptor(try descriptor(parts[1])) }
            case "--output":
                guard parts.count == 2 else { throw UsageError("--output takes FD:STREAM, not \(value)") }
                outputs.append((try descriptor(parts[0]), String(parts[1])))
            case "--input": input = try descriptor(Substring(value))
            case "--terminal": terminal = try descriptor(Substring(value))
            case "--listener": listener = try descriptor(Substring(value))
            case "--socket": socketPath = value
            case "--log": log = JSONFileLog(file: try descriptor(Substring(value)))
            default: throw UsageError("unknown option \(option)")
            }
            index += 2
        }
        guard let initProcess else { throw UsageError("--init is required") }
        guard let listener, let socketPath else { throw UsageError("--listener and --socket are required") }
        let relay = Relay(initProcess: initProcess, initHandle: initHandle, outputs: outputs, input: input ?? terminal,
                          terminal: terminal, listener: listener, socketPath: socketPath, log: log)
        return (relay, Array(arguments[(split + 1)...]))
    }

    /// What the monitor adds to the exit command when it hands over: when the init started.
    public static func startedArguments(_ secondsSince1970: Double) -> [String] {
        ["--started", String(secondsSince1970)]
    }

    /// What the relay adds to the exit command: how the init ended, and when.
    public static func exitArguments(_ status: WaitStatus, finished: timespec) -> [String] {
        let signal: CInt = if case .signaled(let signal, _) = status { signal.rawValue } else { 0 }
        return ["--exit-code", String(status.shellCode), "--signal", String(signal),
                "--finished", "\(finished.tv_sec)." + Timestamp.digits(finished.tv_nsec, 9)]
    }

    /// How the init ended and when, read back from the end of the exit command's command line
    /// (`startedArguments` + `exitArguments`). Times in seconds since 1970.
    public struct Report: Sendable, Equatable {
        public var status: WaitStatus
        public var started: Double
        public var finished: Double

        /// Nil when `arguments` are not such a report.
        public init?(arguments: [String]) {
            var values: [String: String] = [:]
            var index = 0
            while index + 1 < arguments.count {
                values[arguments[index]] = arguments[index + 1]
                index += 2
            }
            guard index == arguments.count, let code = values["--exit-code"].flatMap({ CInt($0) }),
                  let signal = values["--signal"].flatMap({ CInt($0) }),
                  let started = values["--started"].flatMap({ Double($0) }),
                  let finished = values["--finished"].flatMap({ Double($0) }) else { return nil }
            status = signal == 0 ? .exited(code) : .signaled(Signal(rawValue: signal), coreDumped: false)
            self.started = started
            self.finished = finished
        }
    }

    /// A command line the relay cannot use.
    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
