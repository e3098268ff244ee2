// network-demo (chapter 05): two isolated processes on a user-defined network. They ping
// each other, one reaches the other's web server by name, and a port published from one
// is reached from the host, through 127.0.0.1 too.
//
// Everything happens inside a network namespace the demo creates for itself, which plays
// the host: its bridge, its nftables table, its DNS responder. The machine's own network
// is never touched, and when the demo ends, the namespace and all in it are gone.
//
//   network-demo                                the tour
//   network-demo bench [--no-docker]            throughput through a published port (make bench)
//   network-demo container DIR NAME -- CMD...   (internal) a container's first process
//   network-demo dns --records FILE --listen IP ...   a network's DNS responder
import Foundation
import Glibc
import Network
import Syscalls

func say(_ text: String = "") { print(text) }
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("network-demo: \(message)\n".utf8))
    exit(1)
}

let busybox = "/bin/busybox"
let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

/// A container, as small as this chapter needs: new network, UTS, PID and mount
/// namespaces, held right after the fork until its network is ready.
struct Container {
    let name: String
    let id: String
    let process: SpawnedProcess
    let output: FileDescriptor
    let attachment: Attachment

    static func start(_ name: String, network: String, ports: [PortMapping] = [], aliases: [String] = [],
                      store: NetworkStore, state: String, command: [String]) throws -> Container {
        let id = NetworkStore.newContainerID()
        let files = "\(state)/containers/\(name)"
        let (read, write) = try FileDescriptor.pipe()
        var spawn = Spawn(me, arguments: ["container", files, name, "--"] + command)
        spawn.namespaces = [.network, .uts, .pid, .mount]
        spawn.holdUntilReleased = true
        spawn.fileDescriptors = [0: .standardInput, 1: write, 2: write]
        spawn.parentDeathSignal = .kill
        let process = try spawn.start()
        try write.close()
        do {
            var request = AttachRequest(containerID: id, containerName: name, hostname: name, network: network,
                                        namespace: .of(pid: process.pid.rawValue),
                                        process: ProcessIdentity.of(process.pid.rawValue))
            request.ports = ports
            request.aliases = aliases
            request.filesDirectory = files
            let attachment = try store.attach(request)
            try process.release()
            return Container(name: name, id: id, process: process, output: read, attachment: attachment)
        } catch {
            process.abandon()
            try? read.close()
            throw error
        }
    }

    /// Reads what the container printed until it prints `line` or ends.
    func read(until line: String? = nil) throws -> [String] {
        var text = ""
        while line == nil || !text.split(separator: "\n").contains(Substring(line!)) {
            let chunk = try output.read(upTo: 4096)
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return text.split(separator: "\n").map(String.init)
    }

    func stop(_ store: NetworkStore) {
        try? process.pid.send(.kill)
        _ = try? process.wait()
        try? output.close()
        try? store.detach(containerID: id, network: attachment.network.name)
    }
}

/// A command run on the demo's host; its output, trimmed.
func onHost(_ arguments: [String]) throws -> String {
    let (status, output) = try Spawn(busybox, arguments: arguments).output(includeErrors: true)
    let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
    guard status == .exited(0) else { throw DemoError("\(arguments.joined(separator: " ")): \(status): \(text)") }
    return text
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Step 0: the netlink conversation behind `ip link add ... type veth`, shown and checked.
func netlinkByHand() throws {
    say("== 0. netlink by hand: one request creates a veth pair")
    let netlink = try NetlinkSocket()
    var sent: [NetlinkMessage] = []
    netlink.onRequest = { sent.append($0) }
    try netlink.createVethPair(named: "dskdemo0", peer: "dskdemo1")
    guard let request = sent.first else { throw DemoError("nothing was sent") }
    for line in request.dissected() { say("   " + line) }
    say("   bytes:")
    for line in request.hexDump() { say("     " + line) }
    netlink.onRequest = nil
    let veths = try netlink.links().filter { $0.kind == "veth" }.map(\.name).sorted()
    say("   the kernel's link dump now lists: \(veths.joined(separator: ", "))")
    try netlink.deleteLink("dskdemo0")
    say("   deleting dskdemo0 deletes its peer too: \(try netlink.link(named: "dskdemo1") == nil ? "dskdemo1 is gone" : "dskdemo1 is still there")")
}

func tour() throws {
    // The demo's host: a network namespace of its own, made before any thread exists.
    try Namespace.unshare([.network])
    try NetlinkSocket().setUp("lo")
    let state = "/tmp/dosirak-network-demo-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: state) }
    say("network-demo: working in a network namespace of its own (\(try Namespace.network.identity(of: getpid()))),")
    say("which plays the host; the machine's own network is not touched")
    say()

    try netlinkByHand()

    var store = NetworkStore(root: state + "/networks", dnsCommand: [me, "dns"])
    store.hostResolvConf = "/etc/resolv.conf"
    say()
    say("== 1. a user-defined network: a bridge, a subnet from the pool, NAT")
    let network = try store.create(name: "demo")
    say("   network demo: subnet \(network.subnet), gateway \(network.gateway) on bridge \(network.bridge)")

    let www = state + "/www"
    try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
    try "hello from web\n".write(toFile: www + "/index.html", atomically: true, encoding: .utf8)

    var containers: [Container] = []
    defer {
        for container in containers { container.stop(store) }
        try? store.remove("demo")
    }

    say()
    say("== 2. container web: busybox httpd on port 80, published as 8080, alias www")
    let web = try Container.start("web", network: "demo", ports: [try PortMapping(parsing: "8080:80")], aliases: ["www"],
                                  store: store, state: state,
                                  command: [busybox, "sh", "-c", "echo ready; exec \(busybox) httpd -f -p 80 -h \(www)"])
    containers.append(web)
    _ = try web.read(until: "ready")
    let endpoint = web.attachment.endpoint
    say("   \(endpoint.containerInterface) \(endpoint.address)/\(network.subnet.prefixLength) mac \(endpoint.mac), host end \(endpoint.hostInterface) on \(network.bridge)")
    say("   published \(endpoint.ports.map(\.description).joined(separator: ", "))")
    say("   its /etc/resolv.conf: \(web.attachment.files.resolvConf.trimmingCharacters(in: .newlines))")

    say()
    say("== 3. container client: ping web, look it up, fetch its page by name")
    let script = """
        b=\(busybox)
        echo "I am $($b hostname), $($b ip -o -4 addr show eth0 | $b awk '{print $4}'), $($b ip route | $b head -1)"
        $b ping -c 2 -W 2 web | $b grep -E 'bytes from|packets'
        $b nslookup www 2>&1 | $b grep -A1 '^Name'
        echo "wget http://web/ -> $($b wget -q -O - http://web/)"
        """
    let client = try Container.start("client", network: "demo", store: store, state: state, command: [busybox, "sh", "-c", script])
    containers.append(client)
    for line in try client.read() { say("   " + line.trimmingCharacters(in: .whitespaces)) }

    say()
    say("== 4. from the host: the published port, on the gateway address and on 127.0.0.1")
    for address in [network.gateway.description, "127.0.0.1"] {
        say("   wget http://\(address):8080/ -> \(try onHost(["wget", "-q", "-O", "-", "http://\(address):8080/"]))")
    }
    say("   route_localnet on \(network.bridge): \(try String(contentsOfFile: "/proc/sys/net/ipv4/conf/\(network.bridge)/route_localnet", encoding: .utf8).trimmingCharacters(in: .newlines))")
    if let (program, cgroup) = store.firewall.shortcutProgram() {
        say("   the host's connect() to 127.0.0.1:8080 goes straight to \(endpoint.address):80:")
        say("     eBPF programs \(program) on connect(), getpeername() and close, attached to \(cgroup)")
    }
    say("   the rules, in table ip dosirak:")
    let listing = try store.firewall.listing() ?? ""
    for line in listing.split(separator: "\n") where line.contains("dnat to") || line.contains("masquerade") {
        say("     " + line.trimmingCharacters(in: .whitespaces))
    }

    say()
    say("== 5. clean up: containers, network, rules, DNS responder")
    for container in containers { container.stop(store) }
    containers = []
    try store.remove("demo")
    let links = try NetlinkSocket().links().map(\.name)
    say("   links left: \(links.joined(separator: " ")); nftables tables left: \(try store.firewall.listing() == nil ? "none" : "dosirak")" +
        "; eBPF programs left: \(store.firewall.shortcutProgram() == nil ? "none" : "1")")
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case nil:
        try tour()
    case "container" where arguments.count >= 5 && arguments[3] == "--":
        // The container's first process: its /etc files, its hostname, then the command.
        try ContainerFiles.mount(from: arguments[1])
        try Hostname.set(arguments[2])
        let command = Array(arguments[4...])
        try CurrentProcess.exec(command[0], arguments: command, environment: ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"])
    case "bench":
        try Bench.run(docker: !arguments.contains("--no-docker"))
    case "dns":
        try DNSResponder.run(try DNSResponder.Configuration(arguments: Array(arguments.dropFirst())))
    default:
        fail("usage: network-demo [container DIR NAME -- CMD... | dns --records FILE --listen IP ...]")
    }
} catch {
    fail("\(error)")
}
