import Foundation
import Glibc
import CLI
import Layers
import Registry
import Syscalls

/// The registry half of `dosirak`: `pull`, `push`, `login`, `logout`, and the pull before a
/// `run` of an image that is not here. It is linked only into `dosirak-registry`, the second
/// program `dosirak` runs for this work (see `RegistryWork` in the CLI module for why).
public struct RegistryCommands: RegistryWork {
    public init() {}

    public func run(_ command: String, context: Context, arguments: ParsedArguments) throws -> Int32 {
        switch command {
        case "pull": return try RegistryCommands.pull(context, arguments)
        case "push": return try RegistryCommands.push(context, arguments)
        case "login": return try RegistryCommands.login(context, arguments)
        case "logout": return try RegistryCommands.logout(context, arguments)
        default: throw CommandError.failed("dosirak-registry: unknown command \(command)")
        }
    }

    /// The pull before `run` and `create`: progress on `progress` (their stderr), and the
    /// image it brought.
    public func fetch(_ name: String, context: Context, progress: FileDescriptor) throws -> Image {
        let client = RegistryClient(store: context.images, progress: PullProgress(output: progress))
        do {
            return try waitFor { try await client.pull(name) }
        } catch {
            throw CommandError.failed("\(error)")
        }
    }

    static func client(_ context: Context, quiet: Bool) -> RegistryClient {
        RegistryClient(store: context.images, progress: PullProgress(output: quiet ? nil : context.output))
    }

    static func pull(_ context: Context, _ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"pull\" requires exactly 1 argument.") }
        let name = arguments.positional[0]
        let reference = try Commands.reference(name)
        let platform: Platform
        do {
            platform = try arguments.value("platform").map { try Platform(parsing: $0) } ?? .current
        } catch {
            throw CommandError.failed("\(error)")
        }
        let quiet = arguments.bool("quiet")
        if !quiet && reference.digest == nil && !Commands.namesTag(name) { context.say("Using default tag: latest") }
        let client = client(context, quiet: quiet)
        do {
            _ = try waitFor { try await client.pull(name, platform: platform) }
        } catch {
            throw Commands.daemonError(context, error)
        }
        context.say(reference.description)
        return 0
    }

    static func push(_ context: Context, _ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positional.count == 1 else { throw CommandError.usage("\"push\" requires exactly 1 argument.") }
        let name = arguments.positional[0]
        let reference = try Commands.reference(name)
        let quiet = arguments.bool("quiet")
        if !quiet && reference.digest == nil && !Commands.namesTag(name) { context.say("Using default tag: latest") }
        guard (try? context.images.resolve(name)) != nil else {
            context.errors.say("Error response from daemon: An image does not exist locally with the tag: \(reference.familiarRepository)")
            throw CommandError.exit(1)
        }
        let client = client(context, quiet: quiet)
        do {
            _ = try waitFor { try await client.push(name) }
        } catch {
            throw Commands.daemonError(context, error)
        }
        if quiet { context.say(reference.description) }
        return 0
    }

    static func login(_ context: Context, _ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positional.count <= 1 else { throw CommandError.usage("\"login\" requires at most 1 argument.") }
        let registry = registryHost(arguments.positional.first)
        var username = arguments.value("username")
        var password = arguments.value("password")
        if arguments.bool("password-stdin") {
            guard password == nil else { throw CommandError.failed("--password and --password-stdin are mutually exclusive") }
            guard username != nil else { throw CommandError.failed("Must provide --username with --password-stdin") }
            let text = String(decoding: try FileDescriptor.standardInput.readAll(), as: UTF8.self)
            password = String(text.reversed().drop { $0 == "\n" || $0 == "\r" }.reversed())
        } else if password != nil {
            context.errors.say("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
        }
        if username == nil || password == nil {
            guard isatty(0) == 1 else { throw CommandError.failed("Cannot perform an interactive login from a non TTY device") }
            if username == nil { username = Terminal.prompt("Username: ", echo: true) }
            if password == nil { password = Terminal.prompt("Password: ", echo: false) }
        }
        guard let username, !username.isEmpty else { throw CommandError.failed("Username is required") }
        guard let password, !password.isEmpty else { throw CommandError.failed("Password is required") }
        let client = RegistryClient(store: context.images, progress: PullProgress(output: nil))
        do {
            try waitFor { try await client.login(registry: registry, username: username, password: password) }
        } catch {
            throw Commands.daemonError(context, error)
        }
        context.errors.say("WARNING! Your credentials are stored unencrypted in '\(client.credentials.path)'.")
        context.say("Login Succeeded")
        return 0
    }

    static func logout(_ context: Context, _ arguments: ParsedArguments) throws -> Int32 {
        guard arguments.positional.count <= 1 else { throw CommandError.usage("\"logout\" requires at most 1 argument.") }
        let registry = registryHost(arguments.positional.first)
        let credentials = CredentialStore()
        context.say("Removing login credentials for \(registry == Reference.defaultRegistry ? "https://index.docker.io/v1/" : registry)")
        if credentials.credentials(for: registry) != nil {
            do {
                try credentials.remove(for: registry)
            } catch {
                throw CommandError.failed("\(error)")
            }
        }
        return 0
    }

    /// `https://127.0.0.1:5000/`, `127.0.0.1:5000`, `index.docker.io` and nothing, as the
    /// registry host credentials are kept under (`docker.io` for Docker Hub).
    static func registryHost(_ server: String?) -> String {
        guard var host = server, !host.isEmpty else { return Reference.defaultRegistry }
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host.removeFirst(scheme.count) }
        host = String(host.prefix { $0 != "/" })
        return ["index.docker.io", "registry-1.docker.io", "docker.io"].contains(host) ? Reference.defaultRegistry : host
    }
}

/// Runs async work (the registry client's) from a synchronous command, and waits for it.
func waitFor<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
