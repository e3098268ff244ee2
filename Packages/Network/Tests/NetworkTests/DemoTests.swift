import Foundation
import Syscalls
import Testing
@testable import Network

/// The chapter's demo is an example that must keep working: run it, check what it says.
@Suite("network-demo", .enabled(if: isRoot && hasNft, "needs root and nft"))
struct DemoTests {
    @Test("the demo's containers ping, resolve and fetch each other, and the host reaches the published port")
    func tour() throws {
        let (status, output) = try Spawn(builtExecutable("network-demo")).output(includeErrors: true)
        #expect(status == .exited(0), "\(output)")
        for expected in [
            "IFLA_INFO_KIND  \"veth\"", "deleting dskdemo0 deletes its peer too: dskdemo1 is gone",
            "2 packets transmitted, 2 packets received", "Address: 172.18.0.2", "wget http://web/ -> hello from web",
            "wget http://172.18.0.1:8080/ -> hello from web", "wget http://127.0.0.1:8080/ -> hello from web",
            "links left: lo; nftables tables left: none; eBPF programs left: none",
        ] + (PortShortcut.cgroupRoot() == nil ? [] : ["the host's connect() to 127.0.0.1:8080 goes straight to 172.18.0.2:80"]) {
            #expect(output.contains(expected), "missing: \(expected)")
        }
    }
}
