import Foundation
import Glibc
import Layers
import Runtime
import Syscalls
import Testing
@testable import CLI

let hasZsh = access("/usr/bin/zsh", X_OK) == 0 || access("/bin/zsh", X_OK) == 0
let zshPath = access("/usr/bin/zsh", X_OK) == 0 ? "/usr/bin/zsh" : "/bin/zsh"
/// `network create` and `images` are other engineers' commands: tests that need them run
/// once they are in.
let hasNetworkCreate = Commands.find(["network", "create"])?.command.name == "network create"
let hasImages = Commands.find(["images"])?.command.name == "images"

@Suite("version, info, system df, prune and completion")
struct SystemCommandTests {
    // MARK: - Units and columns

    @Test("sizes in Docker's units (go-units' own examples)", arguments: [
        (Int64(1000), "1kB", "1000B"), (1024, "1.024kB", "1KiB"), (1_000_000, "1MB", "976.6KiB"),
        (1_048_576, "1.049MB", "1MiB"), (3_420_000_000, "3.42GB", "3.185GiB"), (0, "0B", "0B"), (212, "212B", "212B"),
    ])
    func units(_ bytes: Int64, _ human: String, _ binary: String) {
        #expect(Units.humanSize(bytes) == human)
        #expect(Units.bytesSize(bytes) == binary)
    }

    @Test("Go's tabwriter: a column per block of adjacent lines, at least the minimum wide")
    func tabWriter() {
        let writer = TabWriter(minWidth: 20, padding: 1)
        #expect(writer.format("Client:\n Version:\t1\n OS/Arch:\tlinux/amd64") == "Client:\n Version:           1\n OS/Arch:           linux/amd64")
        // A longer label widens only its own block; a line without a tab ends the block.
        #expect(writer.format(" A label longer than twenty:\tx\nbreak\n Short:\ty")
            == " A label longer than twenty: x\nbreak\n Short:             y")
        #expect(TabWriter(minWidth: 20, padding: 3).format("UID\tPID\tCMD\nroot\t1\tsleep 60")
            == "UID                 PID                 CMD\nroot                1                   sleep 60")
    }

    // MARK: - version

    @Test("version prints Docker's sections, the runtime's own answer, and --format fields")
    func version() throws {
        let world = try World(image: false)
        let result = try world.run("version")
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.lines
        #expect(lines.first == "Client:")
        #expect(lines.contains(" Version:           \(Dosirak.version)"))
        #expect(lines.contains("Server:") && lines.contains(" Engine:") && lines.contains(" dosirak-runtime:"))
        #expect(lines.contains("  Spec:             \(Spec.version)"))
        // The runtime's version is what the same binary says when called dosirak-runtime.
        let link = world.root + "/dosirak-runtime"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dosirakBinary)
        let (status, answer) = try Spawn(link, arguments: ["--version"]).output()
        #expect(status == .exited(0))
        let runtimeVersion = try #require(answer.split(separator: "\n").first?.split(separator: " ").last)
        let runtimeIndex = try #require(lines.firstIndex(of: " dosirak-runtime:"))
        #expect(lines[runtimeIndex + 1] == "  Version:          \(runtimeVersion)")
        let formatted = try world.run("version", "--format", "{{.Client.Version}} {{.Server.Os}}")
        #expect(formatted.output == "\(Dosirak.version) linux\n")
        let json = try world.run("version", "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let components = (object["Server"] as? [String: Any])?["Components"] as? [[String: Any]]
        #expect(components?.map { $0["Name"] as? String } == ["Engine", "dosirak-runtime"])
        #expect(try world.run("version", "extra").status == 125)
    }

    // MARK: - info

    @Test("info counts containers by state and reports the kernel's facts", .enabled(if: canRunContainers))
    func info() throws {
        let world = try World()
        _ = try world.started("--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("create", "--network", "none", "busybox", "true").status == 0)
        let result = try world.run("info")
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.lines
        for line in [" Containers: 2", "  Running: 1", "  Paused: 0", "  Stopped: 1", " Images: 1",
                     " Storage Driver: overlay", " Cgroup Driver: cgroupfs", " Dosirak Root Dir: \(world.root)"] {
            #expect(lines.contains(line), "\(line) missing")
        }
        let kernel = (Host.read("/proc/sys/kernel/osrelease") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lines.contains(" Kernel Version: \(kernel)"))
        #expect(lines.contains(" Cgroup Version: \(KernelFacts.cgroupV1 ? 1 : 2)"))
        #expect(lines.contains(" CPUs: \(sysconf(Int32(_SC_NPROCESSORS_ONLN)))"))
        let memTotal = (Host.read("/proc/meminfo") ?? "").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
        let kilobytes = try #require(memTotal?.split(separator: " ").dropFirst().first.flatMap { Int64($0) })
        #expect(lines.contains(" Total Memory: \(Units.bytesSize(kilobytes * 1024))"))
        let formatted = try world.run("info", "--format", "{{.ContainersRunning}} {{.ContainersStopped}} {{.Images}} {{.MemTotal}}")
        #expect(formatted.output == "1 1 1 \(kilobytes * 1024)\n")
    }

    // MARK: - system df

    @Test("system df measures images, containers and volumes from disk", .enabled(if: canRunContainers))
    func diskUsage() throws {
        let world = try World()
        let run = try world.run("run", "--name", "writer", "--network", "none", "-v", "data:/data", "busybox", "sh", "-c",
                                "dd if=/dev/zero of=/big bs=1000 count=300 2>/dev/null; dd if=/dev/zero of=/data/f bs=1000 count=5 2>/dev/null")
        #expect(run.status == 0, "\(run.errors)")
        let id = try world.run("ps", "-aq", "--no-trunc").output.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try world.run("system", "df", "--format", "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}")
        #expect(result.status == 0, "\(result.errors)")
        let rows = result.lines.map { $0.split(separator: "|").map(String.init) }
        #expect(rows.map { $0[0] } == ["Images", "Containers", "Local Volumes"])
        // Images: the layers' sizes as the store recorded them when it unpacked them.
        var layers: Int64 = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: world.root + "/images/snapshots") {
            let data = try #require(FileManager.default.contents(atPath: world.root + "/images/snapshots/\(name)/snapshot.json"))
            layers += try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["size"] as? Int).int64
        }
        #expect(rows[0] == ["Images", "1", "1", Units.humanSize(layers), "0B (0%)"])
        // Containers: what the one container wrote in its writable layer; it has stopped.
        let upper = KernelFacts.fileBytes(under: world.root + "/containers/\(id)/fs/upper")
        #expect(upper >= 300_000)
        #expect(rows[1] == ["Containers", "1", "0", Units.humanSize(upper), Units.humanSize(upper) + " (100%)"])
        // Volumes: the volume's 5 kB; a container names it, so it is active.
        #expect(rows[2] == ["Local Volumes", "1", "1", "5kB", "0B (0%)"])
        let table = try world.run("system", "df")
        #expect(table.lines.first == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE")
        let verbose = try world.run("system", "df", "-v")
        #expect(verbose.output.hasPrefix("Images space usage:\n\nREPOSITORY"))
        #expect(verbose.output.contains("\nContainers space usage:\n\nCONTAINER ID"))
        #expect(verbose.output.contains("\nLocal Volumes space usage:\n\nVOLUME NAME"))
        #expect(verbose.lines.contains { $0.hasPrefix(String(id.prefix(12))) && $0.hasSuffix("writer") })
        #expect(verbose.lines.contains { $0.split(separator: " ") == ["data", "1", "5kB"] })
    }

    // MARK: - prune

    @Test("container prune asks, then removes stopped containers and their directories", .enabled(if: canRunContainers))
    func containerPrune() throws {
        let world = try World()
        let (running, _) = try world.started("--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("run", "--network", "none", "busybox", "sh", "-c", "dd if=/dev/zero of=/f bs=1000 count=100 2>/dev/null").status == 0)
        let all = try world.run("ps", "-aq", "--no-trunc").lines
        let stopped = try #require(all.first { $0 != running })
        let warning = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
        let declined = try world.run("container", "prune", stdin: "n\n")
        #expect(declined.status == 0 && declined.output == warning)
        #expect(FileManager.default.fileExists(atPath: world.root + "/containers/\(stopped)"))
        let upper = KernelFacts.fileBytes(under: world.root + "/containers/\(stopped)/fs/upper")
        let accepted = try world.run("container", "prune", stdin: "y\n")
        #expect(accepted.status == 0, "\(accepted.errors)")
        #expect(accepted.output == warning + "Deleted Containers:\n\(stopped)\n\nTotal reclaimed space: \(Units.humanSize(upper))\n")
        #expect(!FileManager.default.fileExists(atPath: world.root + "/containers/\(stopped)"))
        #expect(FileManager.default.fileExists(atPath: world.root + "/containers/\(running)"))
        #expect(try world.run("container", "prune", "-f").output == "Total reclaimed space: 0B\n")
    }

    @Test("volume prune removes unused anonymous volumes, and named ones with -a", .enabled(if: canRunContainers))
    func volumePrune() throws {
        let world = try World()
        #expect(try world.run("run", "--network", "none", "-v", "/anon", "-v", "named:/named", "busybox",
                              "sh", "-c", "echo hello > /anon/f").status == 0)
        _ = try world.started("--network", "none", "-v", "kept:/kept", "busybox", "sleep", "60")
        #expect(try world.run("container", "prune", "-f").status == 0)
        let volumes = world.root + "/volumes"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: volumes).filter { !$0.hasPrefix(".") })
        #expect(before.count == 3 && before.contains("named") && before.contains("kept"))
        let anonymous = try #require(before.subtracting(["named", "kept"]).first)
        let pruned = try world.run("volume", "prune", "-f")
        #expect(pruned.output == "Deleted Volumes:\n\(anonymous)\n\nTotal reclaimed space: 6B\n")
        #expect(!FileManager.default.fileExists(atPath: volumes + "/" + anonymous))
        let all = try world.run("volume", "prune", "-a", "-f")
        #expect(all.output == "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n")
        #expect(!FileManager.default.fileExists(atPath: volumes + "/named"))
        #expect(FileManager.default.fileExists(atPath: volumes + "/kept/_data"))
    }

    @Test("network prune keeps the default bridge and its link", .enabled(if: canRunContainers))
    func networkPruneKeepsDefault() throws {
        let world = try World(network: true)
        #expect(try world.run("run", "--network", "bridge", "busybox", "true").status == 0)
        let pruned = try world.run("network", "prune", "-f")
        #expect(pruned.status == 0 && pruned.output.isEmpty, "\(pruned.output)\(pruned.errors)")
        #expect(FileManager.default.fileExists(atPath: world.root + "/networks/bridge/network.json"))
        #expect(try world.shell("ip link show dosirak0").status == .exited(0))
    }

    @Test("network prune removes a user network no container uses, and its bridge", .enabled(if: canRunContainers && hasNetworkCreate))
    func networkPrune() throws {
        let world = try World(network: true)
        #expect(try world.run("network", "create", "unused").status == 0)
        #expect(try world.run("network", "create", "used").status == 0)
        _ = try world.started("--network", "used", "busybox", "sleep", "60")
        let file = try #require(FileManager.default.contents(atPath: world.root + "/networks/unused/network.json"))
        let bridge = try #require((try JSONSerialization.jsonObject(with: file) as? [String: Any])?["bridge"] as? String)
        #expect(try world.shell("ip link show \(bridge)").status == .exited(0))
        let pruned = try world.run("network", "prune", "-f")
        #expect(pruned.output == "Deleted Networks:\nunused\n\n")
        #expect(try world.shell("ip link show \(bridge)").status != .exited(0))
        #expect(FileManager.default.fileExists(atPath: world.root + "/networks/used/network.json"))
    }

    @Test("system prune lists what it will remove and does nothing when declined", .enabled(if: canRunContainers))
    func systemPruneDeclined() throws {
        let world = try World()
        #expect(try world.run("create", "--network", "none", "busybox", "true").status == 0)
        let result = try world.run("system", "prune", "--volumes", stdin: "\n")
        #expect(result.output == "WARNING! This will remove:\n  - all stopped containers\n"
            + "  - all networks not used by at least one container\n"
            + "  - all anonymous volumes not used by at least one container\n  - all dangling images\n"
            + "\nAre you sure you want to continue? [y/N] ")
        #expect(try world.run("ps", "-aq").lines.count == 1)
    }

    @Test("system prune removes stopped containers and image content nothing names any more", .enabled(if: canRunContainers))
    func systemPruneDangling() throws {
        let world = try World()
        let id = try world.run("create", "--network", "none", "busybox", "true").output.trimmingCharacters(in: .whitespacesAndNewlines)
        // Untag the image the container uses: its content stays while the container holds it.
        let store = try ImageStore(root: world.root + "/images")
        _ = try store.remove("busybox", force: true)
        let snapshots = world.root + "/images/snapshots"
        #expect(try !FileManager.default.contentsOfDirectory(atPath: snapshots).isEmpty)
        let before = KernelFacts.fileBytes(under: world.root + "/images")
        let result = try world.run("system", "prune", "-f")
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.components(separatedBy: "\n")
        #expect(Array(lines.prefix(4)) == ["Deleted Containers:", id, "", "Deleted Images:"])
        #expect(lines.contains("Deleted Images:"))
        #expect(lines.contains { $0.hasPrefix("deleted: sha256:") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.root + "/images/blobs/sha256").isEmpty)
        // What it says it freed is what left the disk (files' sizes; directories aside).
        let total = try #require(lines.last { $0.hasPrefix("Total reclaimed space: ") })
        let freed = try #require(KernelFacts.bytes(String(total.dropFirst("Total reclaimed space: ".count))))
        #expect(freed >= Double(before) * 0.999)
    }

    @Test("system prune -a removes images no container uses, never one a container runs", .enabled(if: canRunContainers))
    func systemPruneAll() throws {
        let world = try World()
        let (running, _) = try world.started("--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("run", "--network", "none", "-v", "/anon", "busybox", "true").status == 0)
        let kept = try world.run("system", "prune", "-a", "-f", "--volumes")
        #expect(kept.status == 0, "\(kept.errors)")
        #expect(kept.lines.first == "Deleted Containers:")
        #expect(kept.lines.contains("Deleted Volumes:"))
        #expect(!kept.lines.contains("Deleted Images:"))
        #expect(try world.run("ps", "-aq", "--no-trunc").lines == [running])
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.root + "/volumes").filter { !$0.hasPrefix(".") }.isEmpty)
        let images = world.root + "/images/images.json"
        #expect(String(decoding: FileManager.default.contents(atPath: images) ?? Data(), as: UTF8.self).contains("busybox"))
        #expect(try world.run("stop", "-t", "0", running).status == 0)
        let removed = try world.run("system", "prune", "-a", "-f")
        #expect(removed.lines.contains("untagged: busybox:latest"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.root + "/images/snapshots").isEmpty)
        #expect(!String(decoding: FileManager.default.contents(atPath: images) ?? Data(), as: UTF8.self).contains("busybox"))
    }

    // MARK: - completion

    /// Runs the bash completion function for a command line (the last word is the one being
    /// completed) and returns what it offers.
    func bashCompletes(_ script: String, _ words: [String]) throws -> [String] {
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let program = """
            source \(script)
            COMP_WORDS=(\(quoted)); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}"
            _dosirak
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let (status, output) = try Spawn("/bin/bash", arguments: ["--norc", "-c", program]).output()
        #expect(status == .exited(0))
        return output.split(separator: "\n").map(String.init)
    }

    /// The same with the zsh script, autoloaded as zsh does from site-functions, and compadd
    /// standing in for the completion system (it prints what it is given).
    func zshCompletes(_ directory: String, _ words: [String]) throws -> [String] {
        let quoted = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let program = """
            fpath=(\(directory) $fpath); autoload -Uz _dosirak
            compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -rl -- "$@" }
            _files() { print -r -- '<files>' }
            words=(\(quoted)); CURRENT=${#words}
            _dosirak
            """
        let (status, output) = try Spawn(zshPath, arguments: ["-f", "-c", program]).output()
        #expect(status == .exited(0))
        return output.split(separator: "\n").map(String.init)
    }

    @Test("the bash completion is valid bash and completes commands, subcommands and flags")
    func bashCompletion() throws {
        let world = try World(image: false)
        let result = try world.run("completion", "bash")
        #expect(result.status == 0)
        let script = world.root + "/dosirak.bash"
        try result.output.write(toFile: script, atomically: true, encoding: .utf8)
        let (syntax, errors) = try Spawn("/bin/bash", arguments: ["-n", script]).output(includeErrors: true)
        #expect(syntax == .exited(0), "\(errors)")
        let top = try bashCompletes(script, [dosirakBinary, ""])
        for word in Set(Commands.all.map { String($0.name.split(separator: " ")[0]) }) { #expect(top.contains(word), "\(word)") }
        #expect(try bashCompletes(script, [dosirakBinary, "system", ""]) == ["df", "prune"])
        #expect(try bashCompletes(script, [dosirakBinary, "stats", "--no"]) == ["--no-stream", "--no-trunc"])
        #expect(try bashCompletes(script, [dosirakBinary, "container", "ls", "--fo"]) == ["--format"])
        #expect(try bashCompletes(script, [dosirakBinary, "completion", ""]) == ["bash", "zsh"])
        #expect(try bashCompletes(script, [dosirakBinary, "--root", world.root, "container", "p"]) == ["port", "prune", "ps"])
        #expect(try world.run("completion", "fish").status == 1)
    }

    @Test("the zsh completion is valid zsh and completes like the bash one", .enabled(if: hasZsh))
    func zshCompletion() throws {
        let world = try World(image: false)
        let directory = world.root + "/site-functions"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try world.run("completion", "zsh")
        #expect(result.status == 0 && result.output.hasPrefix("#compdef dosirak\n"))
        try result.output.write(toFile: directory + "/_dosirak", atomically: true, encoding: .utf8)
        let (syntax, errors) = try Spawn(zshPath, arguments: ["-n", directory + "/_dosirak"]).output(includeErrors: true)
        #expect(syntax == .exited(0), "\(errors)")
        #expect(try zshCompletes(directory, [dosirakBinary, "system", ""]) == ["df", "prune"])
        #expect(try zshCompletes(directory, [dosirakBinary, "completion", ""]) == ["bash", "zsh"])
        #expect(try zshCompletes(directory, [dosirakBinary, "run", "busybox", ""]) == ["<files>"])
        #expect(try zshCompletes(directory, [dosirakBinary, "stats", "-"]).contains("--no-stream"))
    }

    @Test("completion offers running containers to stop and every container to rm", .enabled(if: canRunContainers))
    func containerNames() throws {
        let world = try World()
        _ = try world.started("--name", "up", "--network", "none", "busybox", "sleep", "60")
        #expect(try world.run("create", "--name", "down", "--network", "none", "busybox", "true").status == 0)
        let script = world.root + "/dosirak.bash"
        try world.run("completion", "bash").output.write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try bashCompletes(script, [dosirakBinary, "--root", world.root, "stop", ""]) == ["up"])
        #expect(try bashCompletes(script, [dosirakBinary, "--root", world.root, "rm", "-f", ""]).sorted() == ["down", "up"])
        #expect(try bashCompletes(script, [dosirakBinary, "--root", world.root, "top", "u"]) == ["up"])
        if hasZsh {
            let directory = world.root + "/site-functions"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try world.run("completion", "zsh").output.write(toFile: directory + "/_dosirak", atomically: true, encoding: .utf8)
            #expect(try zshCompletes(directory, [dosirakBinary, "--root", world.root, "stop", ""]) == ["up"])
        }
    }

    @Test("completion offers image names where an image goes", .enabled(if: canRunContainers && hasImages))
    func imageNames() throws {
        let world = try World()
        let script = world.root + "/dosirak.bash"
        try world.run("completion", "bash").output.write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try bashCompletes(script, [dosirakBinary, "--root", world.root, "run", "-d", "bu"]) == ["busybox:latest"])
    }
}

private extension Int {
    var int64: Int64 { Int64(self) }
}
