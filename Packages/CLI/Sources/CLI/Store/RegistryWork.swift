import FoundationEssentials
import Glibc
import Layers
import Syscalls

/// What talks to registries: `pull`, `push`, `login`, `logout`, and the pull before a `run`
/// of an image that is not here.
///
/// That work needs URLSession, and URLSession brings libcurl with its TLS and Kerberos
/// libraries: some 30 shared libraries, whose loading costs each process about 5 ms. A
/// `dosirak run` starts three processes (this command, the monitor, the container's init)
/// and none of them talks to a registry. So the registry code lives in a second program,
/// `dosirak-registry`, installed next to `dosirak`, which runs it when needed; git keeps
/// HTTPS out of `git` the same way, in `git-remote-https`. In `dosirak-registry` (and in
/// tests) `RegistryHelper.inProcess` is set, and the work happens in the same process.
public protocol RegistryWork: Sendable {
    /// Runs `pull`, `push`, `login` or `logout`.
    func run(_ command: String, context: Context, arguments: ParsedArguments) throws -> Int32
    /// Pulls `name` for `run` or `create`, with the progress on `progress`.
    func fetch(_ name: String, context: Context, progress: FileDescriptor) throws -> Image
}

public enum RegistryHelper {
    /// The registry work of this process, if it has any (`dosirak-registry` sets it first thing).
    nonisolated(unsafe) public static var inProcess: (any RegistryWork)?

    /// The program's name; it is looked for next to the running `dosirak`.
    public static let program = "dosirak-registry"
}

extension Context {
    /// `pull`, `push`, `login`, `logout`: here if this process has the registry code, or else
    /// by becoming `dosirak-registry` with the same command line (execve: same PID, same
    /// terminal, and its exit code is ours).
    func registryCommand(_ name: String, _ arguments: ParsedArguments) throws -> Int32 {
        if let work = RegistryHelper.inProcess { return try work.run(name, context: self, arguments: arguments) }
        try becomeRegistryHelper(name)
    }

    /// Replaces this process with `dosirak-registry`, same command line and environment.
    func becomeRegistryHelper(_ name: String) throws -> Never {
        let helper = try registryHelper()
        var argv = CommandLine.arguments
        argv[0] = helper
        do {
            try CurrentProcess.exec(helper, arguments: argv, environment: CurrentProcess.environment())
        } catch {
            throw CommandError.failed("\(name): cannot run \(helper): \(error)")
        }
    }

    /// The pull before `run` and `create`: here, or in a `dosirak-registry fetch` child whose
    /// output (the progress) goes to our stderr; then the image, from the store.
    func fetch(_ name: String) throws -> Image {
        if let work = RegistryHelper.inProcess { return try work.fetch(name, context: self, progress: errors) }
        let helper = try registryHelper()
        var spawn = Spawn(helper, arguments: ["--root", root, "fetch", name])
        let status: WaitStatus
        do {
            let null = try FileDescriptor.open("/dev/null")
            defer { try? null.close() }
            spawn.fileDescriptors = [0: null, 1: errors, 2: errors]
            status = try spawn.start().wait()
        } catch {
            throw CommandError.failed("pull \(name): cannot run \(helper): \(error)")
        }
        // The helper has said what went wrong, on our stderr.
        guard status == .exited(0) else { throw CommandError.exit(125) }
        do {
            return try images.image(name)
        } catch {
            throw CommandError.failed("pull \(name): \(error)")
        }
    }

    /// `dosirak-registry`, next to this program; a clear error if it is not there.
    func registryHelper() throws -> String {
        let path = executableDirectory + "/" + RegistryHelper.program
        guard access(path, X_OK) == 0 else {
            throw CommandError.failed("\(path) is missing: registry commands need it next to \(executable) (make install puts it there)")
        }
        return path
    }
}
