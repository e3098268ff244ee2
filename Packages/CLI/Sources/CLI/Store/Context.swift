import FoundationEssentials
import Glibc
import Layers
import Network
import Runtime
import Syscalls

/// Where `dosirak` keeps everything, and the stores over it. One root holds it all
/// (`--root`, or `DOSIRAK_ROOT`, else /var/lib/dosirak), so a test can keep a world of its own:
///
///     <root>/images/       chapter 04's image store (blobs, snapshots, names)
///     <root>/networks/     chapter 05's networks, addresses and rules
///     <root>/containers/   one directory per container: container.json, its log, its bundle
///     <root>/volumes/      named volumes
///     <root>/runtime/      chapter 06's state for the OCI containers now running
///     <root>/sockets/      the monitors' attach sockets (short paths: a socket's path is
///                          limited to 107 bytes)
public final class Context: @unchecked Sendable {
    public let root: String
    /// The dosirak program itself: monitors, inits and DNS responders are this binary, again.
    public let executable: String
    /// Where `executable` is: its two helper programs, dosirak-registry and dosirak-relay, are
    /// installed beside it.
    public var executableDirectory: String { URL(fileURLWithPath: executable).deletingLastPathComponent().path }
    public var output: FileDescriptor = .standardOutput
    public var errors: FileDescriptor = .standardError

    public static let defaultRoot = "/var/lib/dosirak"

    public init(root: String? = nil) {
        // getenv(3) and readlink(2) themselves: ProcessInfo copies the whole environment into a
        // dictionary first, and it and FileManager set themselves up, 0.7 ms of every command.
        let environment = getenv("DOSIRAK_ROOT").map { String(cString: $0) }
        self.root = root ?? (environment?.isEmpty == false ? environment! : Context.defaultRoot)
        executable = Context.linkTarget("/proc/self/exe") ?? CommandLine.arguments[0]
    }

    /// Where symbolic link `path` points, or nil.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let length = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!, $0.count) }
        return length > 0 ? String(decoding: buffer[..<length], as: UTF8.self) : nil
    }

    public var containersRoot: String { root + "/containers" }
    public var socketsRoot: String { root + "/sockets" }
    public func attachSocket(_ id: String) -> String { socketsRoot + "/" + id.prefix(12) + ".sock" }

    public lazy var images: ImageStore = {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            return try ImageStore(root: root + "/images")
        } catch {
            errors.say("dosirak: Error: the image store at \(root)/images cannot be opened: \(error)")
            exit(125)
        }
    }()

    public lazy var networks: NetworkStore = NetworkStore(root: root + "/networks", dnsCommand: [executable, "dns"])

    public lazy var containers = ContainerIndex(root: containersRoot)

    public lazy var volumes = VolumeStore(root: root + "/volumes")

    public lazy var runtime = Runtime.ContainerStore(root: root + "/runtime")

    /// The images this command has read, by manifest digest: `run` reads its image to create
    /// the container, and needs it again a moment later to start it.
    var imagesRead: [String: Image] = [:]

    /// The image `entry` was created from: as this command read it already, or from the store.
    /// An image removed meanwhile (`rmi -f`) is an error that says so.
    func image(of entry: ContainerEntry) throws -> Image {
        if let read = imagesRead[entry.imageManifest] { return read }
        do {
            let image = try images.image(manifest: try Digest(parsing: entry.imageManifest))
            imagesRead[entry.imageManifest] = image
            return image
        } catch {
            throw CommandError.failed("the image of \(entry.name) (\(entry.image)) is gone: \(error)")
        }
    }

    /// Prints a line to our stdout.
    public func say(_ text: String) {
        output.say(text)
    }
}
