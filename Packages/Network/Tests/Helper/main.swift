// network-test-helper: processes of their own for the Network tests.
//   container DIR HOSTNAME -- CMD...   a container's first process: its /etc files from DIR, then CMD
//   serve tcp|udp PORT TEXT            answers every connection/datagram with "TEXT to PEER-IP"
//   request tcp|udp HOST PORT          connects (HOST by name through /etc/resolv.conf) and prints the answer
//   ends HOST PORT                     connects over TCP and prints the socket's two ends: LOCAL PEER
//   allocate DIR SUBNET OWNER          one IPAM allocation, printed
//   attach ROOT NETWORK ID NAME PID [-p SPEC]...   attaches container PID (for crash and concurrency tests)
//   dns ARGS...                        a DNS responder (DNSResponder)
import Foundation
import Glibc
import Network
import Syscalls

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("network-test-helper: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first ?? "" {
    case "container" where arguments.count >= 5 && arguments[3] == "--":
        try ContainerFiles.mount(from: arguments[1])
        try Hostname.set(arguments[2])
        let command = Array(arguments[4...])
        try CurrentProcess.exec(command[0], arguments: command, environment: CurrentProcess.environment())

    case "serve" where arguments.count == 4:
        try TestServer.serve(transport: arguments[1], port: UInt16(arguments[2])!, text: arguments[3])

    case "request" where arguments.count == 4:
        print(try TestServer.request(transport: arguments[1], host: arguments[2], port: UInt16(arguments[3])!))

    case "ends" where arguments.count == 3:
        print(try TestServer.ends(host: arguments[1], port: UInt16(arguments[2])!))

    case "allocate" where arguments.count == 4:
        let subnet = Subnet(arguments[2])!
        let ipam = AddressAllocator(directory: arguments[1], subnet: subnet, gateway: subnet.firstHost)
        print(try ipam.allocate(for: arguments[3]))

    case "attach" where arguments.count >= 6:
        let store = NetworkStore(root: arguments[1])
        let pid = pid_t(arguments[5])!
        var request = AttachRequest(containerID: arguments[3], containerName: arguments[4], network: arguments[2],
                                    namespace: .of(pid: pid), process: ProcessIdentity.of(pid))
        var rest = arguments[6...]
        while let flag = rest.popFirst() {
            guard flag == "-p", let spec = rest.popFirst() else { fail("attach: unknown \(flag)") }
            request.ports.append(try PortMapping(parsing: spec))
        }
        let attachment = try store.attach(request)
        print(attachment.endpoint.address)

    case "dns":
        try DNSResponder.run(try DNSResponder.Configuration(arguments: Array(arguments.dropFirst())))

    default:
        fail("usage: container|serve|request|ends|allocate|attach|dns ...")
    }
} catch {
    fail("\(error)")
}
